/**
 * send, broadcast and request with no PAYLOAD on a terminal say on stderr that they read standard
 * input, then read it. Run in a real pseudo-terminal (python3's pty module), since isatty is the point.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CliProcesses, ensureFreshBuild } from '../support/cliProcess';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'relayscope.js');
const HINT = /relayscope: (send|broadcast): no PAYLOAD given, so reading it from standard input; type it and end with Ctrl-D/;

/**
 * Runs the CLI with its stdin and stdout on a pty and stderr on a pipe; after 1.5 s types `typed`
 * and Ctrl-D. Returns stderr and the exit code.
 */
function runOnTerminal(args: string[], typed: string): Promise<{ stderr: string; code: number | null }> {
  const driver = `
import os, pty, select, sys, time
stderr = os.dup(2)
pid, fd = pty.fork()
if pid == 0:
    # stdin and stdout stay on the pty; stderr goes back to the pipe the test reads.
    os.dup2(stderr, 2)
    os.execv(sys.argv[1], sys.argv[1:])
time.sleep(float(os.environ['TYPE_AFTER']))
# The first Ctrl-D hands over the typed text (no newline), the second one, on an empty line, is the end of input.
os.write(fd, os.environ['TYPED'].encode() + b'\\x04\\x04')
# Drain the terminal until the child closes it (EIO), then report its exit code.
deadline = time.time() + 10
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.1)
    try:
        if r and not os.read(fd, 4096): break
    except OSError:
        break
else:
    os.kill(pid, 9)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
`;
  return new Promise((resolve) => {
    const child = spawn('python3', ['-c', driver, process.execPath, CLI, ...args], { env: { ...process.env, TYPED: typed, TYPE_AFTER: '1.5' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ stderr, code }));
  });
}

describe('a payload read from a terminal', () => {
  let dir: string;
  let socket: string;
  let cli: CliProcesses;

  beforeAll(() => ensureFreshBuild(), 180_000);

  beforeEach(() => {
    dir = makeTempDir();
    socket = path.join(dir, 'hub.sock');
    cli = new CliProcesses();
  });

  afterEach(async () => {
    await cli.stopAll();
    removeTempDir(dir);
  });

  it('send says it reads standard input, then sends what was typed', async () => {
    const hub = cli.start(['hub', '--socket', socket]);
    await hub.waitForStdout(`relayscope hub listening on ${socket}`);
    const b = cli.start(['listen', '--socket', socket, '--as', 'B', '--count', '1']);
    await b.waitForStderr(/^relayscope: listening as B/);
    const result = await runOnTerminal(['send', '--socket', socket, '--as', 'A', '--to', 'B'], 'typed here');
    expect(result.stderr).toMatch(HINT);
    expect(result.code).toBe(0);
    await b.waitForExit();
    expect(b.stdout).toBe('A: typed here\n');
  });

  it('broadcast says it too; from a pipe nothing is said', async () => {
    const hub = cli.start(['hub', '--socket', socket]);
    await hub.waitForStdout(`relayscope hub listening on ${socket}`);
    const onTerminal = await runOnTerminal(['broadcast', '--socket', socket, '--as', 'A'], 'x');
    expect(onTerminal.stderr).toMatch(HINT);
    expect(onTerminal.code).toBe(0);
    const fromPipe = await cli.run(['broadcast', '--socket', socket, '--as', 'A'], { stdin: 'x' });
    expect(fromPipe.exit.code).toBe(0);
    expect(fromPipe.stderr).toBe('');
  });
});
