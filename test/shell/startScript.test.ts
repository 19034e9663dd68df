import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Cleanup } from '../support/cleanup';
import { ensureFreshBuild } from '../support/cliProcess';
import { spawnTracked, type TrackedChild } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const FALLBACK_LINE = 'relayscope: the Electron binary is not installed (it downloads from GitHub on first use); starting the browser mode instead';

/**
 * A copy of the project's scripts/ next to a node_modules/electron of the test's making, so the
 * test decides whether "the Electron binary" exists; bin/ links to the real CLI (and its dist/).
 */
function makeProject(dir: string): { project: string; electronDir: string } {
  const project = path.join(dir, 'project');
  fs.mkdirSync(path.join(project, 'scripts'), { recursive: true });
  for (const file of ['start.js', 'electronBinary.js']) fs.copyFileSync(path.join(REPO_ROOT, 'scripts', file), path.join(project, 'scripts', file));
  fs.symlinkSync(path.join(REPO_ROOT, 'bin'), path.join(project, 'bin'));
  const electronDir = path.join(project, 'node_modules', 'electron');
  fs.mkdirSync(electronDir, { recursive: true });
  fs.writeFileSync(path.join(electronDir, 'package.json'), '{"name":"electron"}');
  return { project, electronDir };
}

/** Every process whose parent is `pid`, from /proc. */
function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name (field 2) is in parentheses and may contain spaces: the ppid follows the last ")".
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return children;
}

describe('npm start (scripts/start.js)', () => {
  // The browser-mode fallback runs the real CLI (bin/ → dist/).
  beforeAll(() => ensureFreshBuild(), 180_000);

  let cleanup: Cleanup;
  let dir: string;
  let project: string;
  let electronDir: string;

  beforeEach(() => {
    cleanup = new Cleanup();
    dir = makeTempDir();
    cleanup.add(() => removeTempDir(dir));
    ({ project, electronDir } = makeProject(dir));
  });

  afterEach(() => cleanup.run());

  function start(args: string[], env: Record<string, string> = {}): TrackedChild {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RELAYSCOPE_')));
    const started = spawnTracked(cleanup, process.execPath, [path.join(project, 'scripts', 'start.js'), ...args], { env: { ...inherited, ...env, RELAYSCOPE_SKIP_BUILD: '1' } });
    // start.js runs its child in a process group of its own; if the test fails before start.js is stopped, end that child by its pid too.
    const pid = started.child.pid as number;
    cleanup.add(() => {
      for (const child of childPids(pid)) process.kill(child, 'SIGKILL');
    });
    return started;
  }

  it('starts the browser mode with the same arguments when the Electron binary is missing, and stops it on SIGTERM', async () => {
    const socket = path.join(dir, 'hub.sock');
    const started = start(['--socket', socket, '--port', '0']);
    await waitUntil(() => /^relayscope serve: open http:\/\/127\.0\.0\.1:\d+\/#token=\S+$/m.test(started.stdout()), 'the serve URL line', 15_000);
    expect(started.stderr().split('\n')[0]).toBe(FALLBACK_LINE);
    // serve prints the hub's listeners after the URL line; a pipe may deliver them in a later chunk.
    await waitUntil(() => started.stdout().includes(`relayscope hub listening on ${socket}`), 'the hub listening line', 5_000);

    started.child.kill('SIGTERM');
    const exit = await started.exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('relayscope serve stopped');
    expect(exit.stderr.split('\n').filter((line) => line.startsWith('relayscope:'))).toEqual([FALLBACK_LINE]);
    expect(fs.existsSync(socket)).toBe(false);
  });

  it('runs the installed Electron binary on the project with the arguments, outside ELECTRON_RUN_AS_NODE, and exits with its status', async () => {
    fs.writeFileSync(path.join(electronDir, 'path.txt'), 'electron');
    fs.mkdirSync(path.join(electronDir, 'dist'));
    fs.writeFileSync(path.join(electronDir, 'dist', 'electron'), '#!/bin/sh\necho "electron $*"\necho "ELECTRON_RUN_AS_NODE=${ELECTRON_RUN_AS_NODE-unset}"\nexit 3\n', { mode: 0o755 });
    const started = start(['--socket', '/tmp/x.sock'], { ELECTRON_RUN_AS_NODE: '1' });
    const exit = await started.exited;
    expect(exit.stdout).toBe(`electron ${project} --socket /tmp/x.sock\nELECTRON_RUN_AS_NODE=unset\n`);
    expect(exit.stderr).toBe('');
    expect(exit.code).toBe(3);
  });
});
