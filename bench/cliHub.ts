/**
 * A `relayscope hub` process as a person runs it (bin/relayscope.js), for the federation section:
 * started with the given flags, ready once its stdout says `ready` matches, stopped with SIGTERM.
 * With BENCH_PROF=DIR set, Node writes a CPU profile of it there (as bench.ts does for hubProcess).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

const CLI = path.join(__dirname, '..', '..', 'bin', 'relayscope.js');
const READY_TIMEOUT_MS = 15_000;

export interface CliHub {
  socket: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

async function stop(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

export async function startCliHub(socket: string, flags: string[], ready: RegExp): Promise<CliHub> {
  const profile = process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, CLI, 'hub', '--socket', socket, '--idle-timeout', '0', ...flags], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`relayscope hub ${flags.join(' ')} did not print ${ready} within ${READY_TIMEOUT_MS} ms: ${out.trim()}`)), READY_TIMEOUT_MS);
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (!ready.test(out)) return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`relayscope hub ${flags.join(' ')} exited with ${code}: ${out.trim()}`));
      });
    });
  } catch (err) {
    await stop(child);
    throw err;
  }
  // Its log is read and dropped from now on, so the pipe never fills.
  child.stdout?.removeAllListeners('data');
  child.stdout?.resume();
  return { socket, child, stop: () => stop(child) };
}
