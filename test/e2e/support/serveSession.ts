import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CliProcesses, type CliProcess, type Exit } from '../../support/cliProcess';

const SERVE_URL_LINE = /^relayscope serve: open (http:\/\/\S+)$/;

/**
 * One test's world: a temp dir, `relayscope serve` with its hub on a socket in that dir, and the
 * module processes the test starts against that hub. `close()` stops every process and removes the dir.
 */
export class ServeSession {
  private constructor(
    private readonly dir: string,
    private readonly processes: CliProcesses,
    readonly serve: CliProcess,
    /** The socket the served hub listens on, for the module processes. */
    readonly socket: string,
    /** The URL serve printed, with the token in its fragment. */
    readonly url: URL,
  ) {}

  /**
   * `serveArgs` replaces the hub's socket flags (e.g. `--open FILE`). serve's captures folder
   * ($XDG_RUNTIME_DIR/relayscope/captures) is made inside this test's dir.
   */
  static async start(serveArgs?: (dir: string) => string[]): Promise<ServeSession> {
    // Short: a Unix socket path must fit in 108 bytes.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-e2e-'));
    const processes = new CliProcesses();
    const socket = path.join(dir, 'hub.sock');
    try {
      const runtimeDir = path.join(dir, 'run');
      fs.mkdirSync(runtimeDir, { mode: 0o700 });
      const args = serveArgs === undefined ? ['--socket', socket] : serveArgs(dir);
      const serve = processes.start(['serve', ...args, '--port', '0'], { env: { XDG_RUNTIME_DIR: runtimeDir } });
      const line = await firstLineOfEither(serve, SERVE_URL_LINE, 15_000);
      const url = new URL((SERVE_URL_LINE.exec(line) as RegExpExecArray)[1]);
      return new ServeSession(dir, processes, serve, socket, url);
    } catch (err) {
      await processes.stopAll();
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** This test's temp dir, removed by close(). */
  get directory(): string {
    return this.dir;
  }

  /** Runs any relayscope command against this session's hub socket; rejects when it fails. */
  async cli(...args: string[]): Promise<string> {
    return this.runToSuccess(args);
  }

  /** http://127.0.0.1:PORT, without path or token. */
  get origin(): string {
    return this.url.origin;
  }

  get token(): string {
    return new URLSearchParams(this.url.hash.slice(1)).get('token') ?? '';
  }

  /** Starts `listen --as ID` and resolves once the module is registered, so what is sent next reaches it. */
  async listen(id: string, ...flags: string[]): Promise<CliProcess> {
    return this.listenAt(this.socket, id, ...flags);
  }

  /** A `listen` module on another socket of the same hub (after the UI made it listen there). */
  async listenAt(socket: string, id: string, ...flags: string[]): Promise<CliProcess> {
    const listener = this.processes.start(['listen', '--socket', socket, '--as', id, ...flags]);
    await listener.waitForStderr(`relayscope: listening as ${id} on ${socket}`, 10_000);
    return listener;
  }

  /** `send --as FROM --to TO PAYLOAD` as its own process; resolves when it has exited successfully. */
  async send(from: string, to: string, payload: string): Promise<void> {
    await this.runToSuccess(['send', '--as', from, '--to', to, payload]);
  }

  async broadcast(from: string, payload: string): Promise<void> {
    await this.runToSuccess(['broadcast', '--as', from, payload]);
  }

  /** `request --as FROM --to TO PAYLOAD`; resolves with what it printed (the reply). */
  async request(from: string, to: string, payload: string): Promise<string> {
    return this.runToSuccess(['request', '--as', from, '--to', to, payload]);
  }

  private async runToSuccess(args: string[]): Promise<string> {
    const { exit, stdout, stderr } = await this.processes.run([...args, '--socket', this.socket], undefined, 10_000);
    if (exit.code !== 0) throw new Error(`relayscope ${args.join(' ')} exited ${describeExit(exit)}: ${stderr.trim()}`);
    return stdout;
  }

  async close(): Promise<void> {
    try {
      await this.processes.stopAll();
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

function describeExit(exit: Exit): string {
  return exit.signal === null ? `with code ${exit.code}` : `on ${exit.signal}`;
}

/** The first line matching `pattern` on stdout or stderr, whichever the command prints it on. */
function firstLineOfEither(cli: CliProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let failures = 0;
    const onFailure = (err: unknown): void => {
      // Both waits fail together (timeout or exit); report once.
      if (++failures === 2) reject(err);
    };
    cli.waitForStdout(pattern, timeoutMs).then(resolve, onFailure);
    cli.waitForStderr(pattern, timeoutMs).then(resolve, onFailure);
  });
}
