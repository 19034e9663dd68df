/**
 * A private Mosquitto broker for the "hub vs Mosquitto" line of bench.ts: started on a Unix socket in
 * the bench's temp dir with a config written for the run, so the C load generator can push the same
 * 64 B one-to-one load through it as through the hub. `apt-get install mosquitto` enables it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Mosquitto {
  socketPath: string;
  version: string;
  stop(): Promise<void>;
}

/** Debian installs the broker in /usr/sbin, which is not on an ordinary user's PATH. */
const SEARCH_DIRS = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin'];

export function findMosquitto(): string | null {
  for (const dir of SEARCH_DIRS) {
    const candidate = path.join(dir, 'mosquitto');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

function mosquittoVersion(binary: string): string {
  // `mosquitto -h` prints "mosquitto version X.Y.Z" on its first line (and exits non-zero).
  const help = spawnSync(binary, ['-h'], { encoding: 'utf8' });
  return /mosquitto version (\S+)/.exec(`${help.stdout}${help.stderr}`)?.[1] ?? 'unknown version';
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export async function startMosquitto(binary: string, dir: string): Promise<Mosquitto> {
  const socketPath = path.join(dir, 'mosquitto.sock');
  const configPath = path.join(dir, 'mosquitto.conf');
  const config = [
    // Port 0 plus a path: a Unix socket listener (mosquitto.conf(5), "listener").
    `listener 0 ${socketPath}`,
    'allow_anonymous true',
    'persistence false',
    // No per-client queue cap: the default (1000 messages) lets the broker drop messages queued to a
    // subscriber that falls behind; the generator's 1 MiB window is the bound instead, as for the hub.
    'max_queued_messages 0',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
  ];
  // As root, mosquitto switches to the mosquitto user, which cannot use a socket in our temp dir.
  if (process.getuid?.() === 0) config.push('user root');
  fs.writeFileSync(configPath, `${config.join('\n')}\n`);

  const child: ChildProcess = spawn(binary, ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = performance.now() + 5000;
  while (!fs.existsSync(socketPath)) {
    if (hasExited(child) || performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mosquitto did not open ${socketPath}${hasExited(child) ? ` (it exited: ${child.exitCode ?? child.signalCode})` : ' within 5 s'}:\n${log.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    socketPath,
    version: mosquittoVersion(binary),
    async stop(): Promise<void> {
      if (hasExited(child)) return;
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      if (!hasExited(child)) child.kill('SIGKILL');
    },
  };
}
