import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Cleanup } from '../support/cleanup';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'relayscope.js');
const URL_LINE = /^relayscope serve: open http:\/\/127\.0\.0\.1:(\d+)\/#token=([0-9a-f]{64})$/m;
/**
 * Past this RSS serve is killed: an attack that works (on code without the bounds) would otherwise
 * take the machine's memory before the test's own check fails.
 */
const RSS_CEILING_BYTES = 3 * 1024 * 1024 * 1024;

/** `relayscope serve` (its hub included) as a child process, its RSS sampled every 20 ms from /proc. */
export class ServeProcess {
  /** The hub's socket, for modules. */
  readonly socket: string;
  port = 0;
  token = '';
  peakRssBytes = 0;
  private readonly child: ChildProcess;
  private readonly sampler: NodeJS.Timeout;
  private outputText = '';

  private constructor(cleanup: Cleanup, dir: string, fileLimit: number | undefined) {
    this.socket = path.join(dir, 'hub.sock');
    const args = [CLI, 'serve', '--socket', this.socket, '--port', '0'];
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RELAYSCOPE_')));
    // With a file limit, a shell lowers it and execs node, so the pid stays the one sampled.
    this.child =
      fileLimit === undefined
        ? spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn('/bin/sh', ['-c', `ulimit -n ${fileLimit} && exec "$@"`, 'sh', process.execPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.outputText += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.outputText += chunk.toString()));
    this.sampler = setInterval(() => this.sample(), 20);
    cleanup.add(async () => {
      clearInterval(this.sampler);
      if (this.alive) {
        const exited = new Promise((resolve) => this.child.once('close', resolve));
        this.child.kill('SIGKILL');
        await exited;
      }
    });
  }

  /** Starts serve and waits for its URL; `fileLimit` is its RLIMIT_NOFILE. */
  static async start(cleanup: Cleanup, options: { fileLimit?: number } = {}): Promise<ServeProcess> {
    const dir = makeTempDir('rs-serve-');
    cleanup.add(() => removeTempDir(dir));
    const serve = new ServeProcess(cleanup, dir, options.fileLimit);
    const [, port, token] = await serve.waitForOutput(URL_LINE, 15_000);
    serve.port = Number(port);
    serve.token = token;
    return serve;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get output(): string {
    return this.outputText;
  }

  /** The match of `pattern` in serve's output (stdout and stderr) once it is there. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.outputText);
      if (match !== null) return match;
      if (!this.alive || Date.now() > deadline)
        throw new Error(`serve printed nothing matching ${String(pattern)}${this.alive ? ` within ${timeoutMs} ms` : ' before it exited'}:\n${this.outputText}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Restarts the peak from the current RSS, so a figure covers only what follows. */
  resetPeak(): void {
    this.peakRssBytes = 0;
    this.sample();
  }

  private sample(): void {
    let status: string;
    try {
      status = fs.readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    } catch {
      return; // The process is gone: its last sample stands.
    }
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    this.peakRssBytes = Math.max(this.peakRssBytes, rss);
    if (rss > RSS_CEILING_BYTES) this.child.kill('SIGKILL');
  }
}
