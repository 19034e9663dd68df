import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { RelayClient } from '../../../electron/client';
import type { Cleanup } from '../../support/cleanup';
import { makeTempDir, removeTempDir } from '../../support/tempDir';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** The CLI under attack; HOSTILE_HUB_CLI points at another checkout's bin/relayscope.js to show an attack working on older code. */
const CLI = process.env.HOSTILE_HUB_CLI ?? path.join(REPO_ROOT, 'bin', 'relayscope.js');

/** The full attacks (npm run test:hostile) or the quick ones npm test runs. */
export const FULL = process.env.HOSTILE_FULL === '1';

/** A real hub process (`relayscope hub`), its RSS sampled every 20 ms. */
export class HubProcess {
  readonly socket: string;
  peakRssBytes = 0;
  private readonly child: ChildProcess;
  private readonly sampler: NodeJS.Timeout;
  private output = '';

  private constructor(cleanup: Cleanup, dir: string, flags: string[]) {
    this.socket = path.join(dir, 'hub.sock');
    this.child = spawn(process.execPath, [CLI, 'hub', '--socket', this.socket, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000)));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000)));
    this.sampler = setInterval(() => this.sample(), 20);
    cleanup.add(async () => {
      clearInterval(this.sampler);
      if (this.child.exitCode === null && this.child.signalCode === null) {
        const exited = new Promise((resolve) => this.child.once('close', resolve));
        this.child.kill('SIGKILL');
        await exited;
      }
    });
  }

  static async start(cleanup: Cleanup, flags: string[] = []): Promise<HubProcess> {
    const dir = makeTempDir('rs-hostile-');
    cleanup.add(() => removeTempDir(dir));
    const hub = new HubProcess(cleanup, dir, flags);
    const deadline = Date.now() + 15_000;
    while (!fs.existsSync(hub.socket)) {
      if (hub.child.exitCode !== null || Date.now() > deadline) throw new Error(`the hub did not start: ${hub.output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    hub.peakRssBytes = 0;
    return hub;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get log(): string {
    return this.output;
  }

  private sample(): void {
    try {
      const status = fs.readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
      this.peakRssBytes = Math.max(this.peakRssBytes, kb * 1024);
    } catch {
      // The process is gone: its last sample stands.
    }
  }
}

/**
 * Two well-behaved modules beside an attack: A sends numbered requests to B one at a time, B
 * answers each. Records the longest wait for an answer (a freeze of the hub shows here) and checks
 * that every answer comes back, in order.
 */
export class CheckedPair {
  sent = 0;
  answered = 0;
  outOfOrder = 0;
  longestWaitMs = 0;
  private running = true;
  private loop: Promise<void> = Promise.resolve();

  /** `a` asks; B, which answers, is kept alive by its 'request' listener. */
  private constructor(private readonly a: RelayClient) {}

  static async start(cleanup: Cleanup, socket: string): Promise<CheckedPair> {
    const b = await RelayClient.connect({ id: 'checked-b', socket, reconnect: false });
    const a = await RelayClient.connect({ id: 'checked-a', socket, reconnect: false });
    cleanup.add(() => Promise.all([a.close(), b.close()]).then(() => undefined));
    b.on('request', (request) => b.reply(request, request.payload));
    const pair = new CheckedPair(a);
    pair.loop = pair.run();
    return pair;
  }

  private async run(): Promise<void> {
    try {
      await this.exchange();
    } catch (err) {
      // A test that ends early closes the clients under the loop; only a failure while running counts.
      if (this.running) throw err;
    }
  }

  private async exchange(): Promise<void> {
    while (this.running) {
      const n = ++this.sent;
      const startedAt = performance.now();
      const reply = await this.a.request('checked-b', String(n), { timeoutMs: 30_000 });
      this.longestWaitMs = Math.max(this.longestWaitMs, performance.now() - startedAt);
      if (reply.text() !== String(n)) this.outOfOrder++;
      this.answered++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Stops after the request in flight and returns the figures; rejects if a request failed. */
  async stop(): Promise<{ sent: number; answered: number; outOfOrder: number; longestWaitMs: number }> {
    this.running = false;
    await this.loop;
    return { sent: this.sent, answered: this.answered, outOfOrder: this.outOfOrder, longestWaitMs: this.longestWaitMs };
  }
}

/** A raw connection that writes what it is told and never reads (its socket stays paused). */
export async function rawConnection(cleanup: Cleanup, socket: string): Promise<net.Socket> {
  const conn = net.connect(socket);
  await new Promise<void>((resolve, reject) => {
    conn.once('connect', resolve);
    conn.once('error', reject);
  });
  conn.on('error', () => {});
  conn.pause();
  cleanup.add(() => {
    conn.destroy();
  });
  return conn;
}

/** Writes `data` as fast as the socket accepts it, `times` times, without reading anything. */
export async function writeAll(conn: net.Socket, data: Buffer, times: number): Promise<void> {
  for (let i = 0; i < times && !conn.destroyed; i++) {
    if (!conn.write(data)) await new Promise((resolve) => conn.once('drain', resolve).once('close', resolve));
  }
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** One line of figures per attack, printed so the run's log carries them. */
export function report(attack: string, hub: HubProcess, pair: { answered: number; longestWaitMs: number }, extra = ''): void {
  console.log(`hostile: ${attack}: hub peak RSS ${mib(hub.peakRssBytes)}, checked pair ${pair.answered} round trips, longest ${pair.longestWaitMs.toFixed(1)} ms${extra ? `, ${extra}` : ''}`);
}
