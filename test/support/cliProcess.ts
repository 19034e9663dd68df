import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

// bin/relayscope.js runs dist/: test files that start the CLI call ensureFreshBuild() in beforeAll.
export { ensureFreshBuild } from './freshBuild';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO_ROOT, 'bin', 'relayscope.js');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartOptions {
  /** Variables added to the environment (which never inherits RELAYSCOPE_*, so tests do not see the user's hub). */
  env?: Record<string, string>;
  /** Written to standard input, which is then closed; without it stdin is closed at once. */
  stdin?: string | Uint8Array;
}

/** One `node bin/relayscope.js ...` child, with its output collected for waiting and assertions. */
export class CliProcess {
  private readonly child: ChildProcess;
  private stdoutBytes: Buffer[] = [];
  private stderrText = '';
  private exit: Exit | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly args: readonly string[],
    options: StartOptions = {},
  ) {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RELAYSCOPE_')));
    this.child = spawn(process.execPath, [CLI, ...args], { env: { ...env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => this.changed(() => this.stdoutBytes.push(chunk)));
    this.child.stderr?.on('data', (chunk: Buffer) => this.changed(() => (this.stderrText += chunk.toString('utf8'))));
    // 'close' rather than 'exit': it comes after stdout and stderr are drained, so the output is complete.
    this.child.on('close', (code, signal) => this.changed(() => (this.exit = { code, signal })));
    this.child.stdin?.on('error', () => {
      // The CLI may exit before reading its stdin (e.g. a usage error); that is not the test's concern.
    });
    this.child.stdin?.end(options.stdin);
  }

  /** The process ID, e.g. to read what others can see of it in /proc. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get stdout(): string {
    return Buffer.concat(this.stdoutBytes).toString('utf8');
  }

  get stderr(): string {
    return this.stderrText;
  }

  private changed(update: () => void): void {
    update();
    for (const listener of [...this.listeners]) listener();
  }

  /** Resolves with the first complete line of stdout matching `pattern`; rejects after `timeoutMs`. */
  waitForStdout(pattern: RegExp | string, timeoutMs = 5000): Promise<string> {
    return this.waitForLine('stdout', pattern, timeoutMs);
  }

  waitForStderr(pattern: RegExp | string, timeoutMs = 5000): Promise<string> {
    return this.waitForLine('stderr', pattern, timeoutMs);
  }

  private waitForLine(stream: 'stdout' | 'stderr', pattern: RegExp | string, timeoutMs: number): Promise<string> {
    const matches = (line: string): boolean => (typeof pattern === 'string' ? line === pattern : pattern.test(line));
    return this.waitFor(`a ${stream} line matching ${String(pattern)}`, timeoutMs, true, () => {
      const text = stream === 'stdout' ? this.stdout : this.stderr;
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      return complete.split('\n').find(matches);
    });
  }

  /** Resolves with the exit code and signal; rejects when the process is still running after `timeoutMs`. */
  waitForExit(timeoutMs = 10_000): Promise<Exit> {
    return this.waitFor('the process to exit', timeoutMs, false, () => this.exit ?? undefined);
  }

  /** Runs `check` on every change of output or state until it returns a value; `failOnExit`: give up once the process is gone. */
  private waitFor<T>(what: string, timeoutMs: number, failOnExit: boolean, check: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(onChange);
      };
      const onChange = (): void => {
        const value = check();
        if (value !== undefined) {
          finish();
          resolve(value);
        } else if (failOnExit && this.exit !== null) {
          finish();
          reject(new Error(`relayscope ${this.args.join(' ')} exited (${JSON.stringify(this.exit)}) before ${what}\n${this.describeOutput()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} from relayscope ${this.args.join(' ')}\n${this.describeOutput()}`));
      }, timeoutMs);
      this.listeners.add(onChange);
      onChange();
    });
  }

  private describeOutput(): string {
    return `--- stdout ---\n${this.stdout}--- stderr ---\n${this.stderr}`;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.exit === null) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exit !== null) return;
    this.child.kill('SIGTERM');
    try {
      await this.waitForExit(graceMs);
    } catch {
      this.child.kill('SIGKILL');
      await this.waitForExit(graceMs);
    }
  }
}

/** Starts CLI processes for one test and stops every one of them afterwards. */
export class CliProcesses {
  private readonly started: CliProcess[] = [];

  start(args: readonly string[], options?: StartOptions): CliProcess {
    const cli = new CliProcess(args, options);
    this.started.push(cli);
    return cli;
  }

  /** Starts a command and waits for it to finish. */
  async run(args: readonly string[], options?: StartOptions, timeoutMs?: number): Promise<{ exit: Exit; stdout: string; stderr: string }> {
    const cli = this.start(args, options);
    const exit = await cli.waitForExit(timeoutMs);
    return { exit, stdout: cli.stdout, stderr: cli.stderr };
  }

  async stopAll(): Promise<void> {
    const running = this.started.splice(0);
    await Promise.all(running.map((cli) => cli.stop()));
  }
}
