import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The Debian package's binary, or one on PATH; null when neither is there (the suites then skip, naming it). */
export const NATS_SERVER =
  ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((file) => fs.existsSync(file)) ?? (spawnSync('sh', ['-c', 'command -v nats-server']).stdout.toString().trim() || null);

export interface NatsServer {
  url: string;
  port: number;
  /** The leaf node port, when started with leafListen. */
  leafPort?: number;
  child: ChildProcess;
  /** Stops it (SIGTERM, then SIGKILL after 3 s). */
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  /** Listen on this client port (to restart a server where the hubs look for it); a free one otherwise. */
  port?: number;
  /** Accept leaf node connections on a port the server picks. */
  leafListen?: boolean;
  /** Join the server at this leaf port as a leaf node. */
  leafRemote?: number;
  /** Where to write its configuration file. */
  dir: string;
}

/**
 * Starts nats-server on 127.0.0.1 (port -1: one the server picks, read back from its log) and
 * resolves once it accepts clients, and leaf nodes when asked.
 */
export async function startNatsServer(options: NatsServerOptions): Promise<NatsServer> {
  if (NATS_SERVER === null) throw new Error('nats-server is not installed');
  const lines = [`listen: "127.0.0.1:${options.port ?? -1}"`];
  if (options.leafListen) lines.push('leafnodes { listen: "127.0.0.1:-1" }');
  if (options.leafRemote !== undefined) lines.push(`leafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${options.leafRemote}" } ] }`);
  const config = path.join(options.dir, `nats-${process.hrtime.bigint()}.conf`);
  fs.writeFileSync(config, `${lines.join('\n')}\n`);
  const child = spawn(NATS_SERVER, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ports = await new Promise<{ port: number; leafPort?: number }>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nats-server did not start within 10 s: ${log.trim()}`));
    }, 10_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const port = /client connections on 127\.0\.0\.1:(\d+)/.exec(log)?.[1];
      const leafPort = /leafnode connections on 127\.0\.0\.1:(\d+)/.exec(log)?.[1];
      const leafConnected = options.leafRemote === undefined || /Leafnode connection created/i.test(log);
      if (port === undefined || (options.leafListen && leafPort === undefined) || !leafConnected || !/Server is ready/.test(log)) return;
      clearTimeout(timer);
      resolve({ port: Number(port), leafPort: leafPort === undefined ? undefined : Number(leafPort) });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}: ${log.trim()}`));
    });
  });
  return {
    url: `nats://127.0.0.1:${ports.port}`,
    port: ports.port,
    leafPort: ports.leafPort,
    child,
    async stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port nothing listens on: a server started there and stopped again (to start one there later). */
export async function freedPort(dir: string): Promise<number> {
  const server = await startNatsServer({ dir });
  await server.stop();
  return server.port;
}
