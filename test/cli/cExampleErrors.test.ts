/**
 * The C examples' error lines, from the gcc-built programs: a failed connect names the address and
 * the reason (rs_strerror and the system's words) and says what to do; reconnecting reports every
 * attempt on stderr, then registers once a hub appears.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CliProcesses, ensureFreshBuild } from '../support/cliProcess';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples', 'c');

describe('C example errors', () => {
  let build: string;
  let dir: string;
  let cli: CliProcesses;

  beforeAll(async () => {
    await ensureFreshBuild();
    build = makeTempDir();
    execFileSync('make', ['-s', '-C', EXAMPLES, `BUILD_DIR=${build}`], { stdio: 'pipe' });
  }, 180_000);

  beforeEach(() => {
    dir = makeTempDir();
    cli = new CliProcesses();
  });

  afterEach(async () => {
    await cli.stopAll();
    removeTempDir(dir);
  });

  it('ab_demo with no hub prints the address, the reason and what to do', () => {
    const socket = path.join(dir, 'none.sock');
    let stderr = '';
    let status: number | null = null;
    try {
      execFileSync(path.join(build, 'ab_demo'), ['A', 'B', '1'], { env: { RELAYSCOPE_SOCKET: socket }, stdio: 'pipe' });
    } catch (error) {
      ({ status } = error as { status: number });
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    expect(status).toBe(1);
    expect(stderr).toBe(
      `ab_demo: connect (${socket}): could not connect to the hub: No such file or directory\n` +
        `ab_demo: start a hub there (relayscope hub --socket ${socket}), or set RELAYSCOPE_SOCKET to the running hub's address\n`,
    );
  });

  it('reconnecting reports each failed attempt with the address and reason, then connects when the hub starts', async () => {
    const socket = path.join(dir, 'hub.sock');
    const child = spawn(path.join(build, 'reconnecting'), ['R', '1'], { env: { RELAYSCOPE_SOCKET: socket } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const attempt = (n: number): RegExp => new RegExp(`^reconnecting: attempt ${n} \\(${socket}\\): could not connect to the hub: No such file or directory; next attempt in \\d+ ms$`, 'm');
      await expect.poll(() => stderr, { timeout: 5000 }).toMatch(attempt(2));
      expect(stderr).toMatch(attempt(1));
      const hub = cli.start(['hub', '--socket', socket]);
      await hub.waitForStdout(`relayscope hub listening on ${socket}`);
      await expect.poll(() => stdout, { timeout: 5000 }).toBe('connected as R\n');
      expect((await cli.run(['send', '--socket', socket, '--as', 'x', '--to', 'R', 'hi'])).exit.code).toBe(0);
      expect(await exited).toBe(0);
      expect(stdout).toBe('connected as R\nR received "hi" from x\n');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
