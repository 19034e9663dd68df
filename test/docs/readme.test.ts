/**
 * Keeps README.md honest the way protocolDoc.test.ts keeps PROTOCOL.md: every ```sh block runs, in
 * order, as a person with three terminals would run it in this checkout.
 *
 * The convention (also in a comment at the top of README.md's source). An HTML comment on the
 * line(s) right before a block changes how it runs:
 *   <!-- readme-test: background until "TEXT" -->  a long-running command (hub, listen, serve, monitor):
 *       started in the background in its own process group, waited on until TEXT appears in its
 *       stdout or stderr; at the next level-2 heading ("## ") it gets SIGINT, as a reader's Ctrl-C,
 *       and must exit (a hub then has removed its socket file); a command the block starts with `&`
 *       (a hub in the background of the reader's terminal) is part of it until that command exits too;
 *   <!-- readme-test: expect "TEXT" -->  once the block ran, TEXT (a JSON string) must appear within 5 s
 *       in the output of the block or of a background command of the same section: what the README
 *       says the reader will see ("watch terminal 2 print `A: hello`");
 *   <!-- readme-test: skip REASON -->  not run, only for what cannot run here (npm install, the Electron
 *       window, interactive programs, minutes-long benchmarks); REASON is required and shown.
 *   <!-- readme-test: stop "TEXT" with SIGINT -->  (or SIGKILL, SIGTERM) before the block runs, the one
 *       running background command of the section whose block holds TEXT gets the signal and must exit
 *       within 10 s: the reader's Ctrl-C in that terminal (or kill -9) in the middle of a section, so
 *       the block can show what that left behind ("the tap put the socket back");
 * Any other block runs with `bash -e -o pipefail` and must exit 0. Blocks fenced as anything but sh
 * (ts, the layout) are not run. A comment starting "readme-test:" that does not parse fails the test.
 *
 * The environment: $RELAYSCOPE_SOCKET, $XDG_RUNTIME_DIR and $TMPDIR point into a temporary directory, so the
 * test never meets the user's hub; `npm link` links into a temporary npm prefix (scripts off, since
 * dist/ is already built) whose bin/ is first on PATH, so `relayscope` is the command the README
 * installs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFreshBuild } from '../support/cliProcess';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const README = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

type Directive = { kind: 'background'; until: string } | { kind: 'expect'; text: string } | { kind: 'skip'; reason: string } | { kind: 'stop'; text: string; signal: NodeJS.Signals };

interface ShellBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The level-2 heading the block is under. */
  section: string;
  script: string;
  directives: Directive[];
}

const QUOTED = '("(?:[^"\\\\]|\\\\.)*")';
const DIRECTIVES: [RegExp, (match: RegExpExecArray) => Directive][] = [
  [new RegExp(`^<!-- readme-test: background until ${QUOTED} -->$`), (m) => ({ kind: 'background', until: JSON.parse(m[1]) as string })],
  [new RegExp(`^<!-- readme-test: expect ${QUOTED} -->$`), (m) => ({ kind: 'expect', text: JSON.parse(m[1]) as string })],
  [/^<!-- readme-test: skip (\S.*) -->$/, (m) => ({ kind: 'skip', reason: m[1] })],
  [new RegExp(`^<!-- readme-test: stop ${QUOTED} with (SIGINT|SIGKILL|SIGTERM) -->$`), (m) => ({ kind: 'stop', text: JSON.parse(m[1]) as string, signal: m[2] as NodeJS.Signals })],
];

function parseDirective(text: string, line: number): Directive {
  for (const [pattern, build] of DIRECTIVES) {
    const match = pattern.exec(text);
    if (match !== null) return build(match);
  }
  throw new Error(`README.md line ${line}: "${text}" is not a readme-test directive (see test/docs/readme.test.ts)`);
}

/** Every ```sh block with its section and the directives on the lines right before it. */
function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  let section = '(top)';
  let pending: Directive[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('## ')) section = line.slice(3);
    if (line.startsWith('<!-- readme-test:')) {
      pending.push(parseDirective(line, i + 1));
      continue;
    }
    const fence = /^```(\w*)\s*$/.exec(line);
    if (fence !== null) {
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
      if (i >= lines.length) throw new Error(`README.md line ${start + 1}: the block is never closed`);
      if (fence[1] === 'sh') blocks.push({ line: start + 1, section, script: body.join('\n'), directives: pending });
      else if (pending.length > 0) throw new Error(`README.md line ${start + 1}: readme-test directives before a ${fence[1] || 'plain'} block, which is not run`);
      pending = [];
      continue;
    }
    if (pending.length > 0 && line.trim() !== '') throw new Error(`README.md line ${i + 1}: readme-test directives must come right before a sh block`);
  }
  return blocks;
}

/** A command started by a block, with everything it printed. */
interface Running {
  child: ChildProcess;
  output: string;
  exited: Promise<void>;
  /** Every process of the block is gone: the last one holding its output pipes (a bash, or a command it started with &) has exited. */
  closed: boolean;
  block: ShellBlock;
}

function run(script: string, env: NodeJS.ProcessEnv, background: boolean, block: ShellBlock): Running {
  const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: REPO_ROOT, env, detached: background, stdio: ['ignore', 'pipe', 'pipe'] });
  const running: Running = { child, output: '', block, closed: false, exited: new Promise((resolve) => child.once('close', () => resolve())) };
  running.exited.then(() => (running.closed = true));
  child.stdout?.on('data', (chunk: Buffer) => (running.output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (running.output += chunk.toString('utf8')));
  return running;
}

async function poll(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

function describeOutput(runs: Running[]): string {
  return runs.map((r) => `--- README.md line ${r.block.line} (${r.block.script.split('\n')[0]}) ---\n${r.output}`).join('\n');
}

const blocks = shellBlocks(README);

describe('README.md, run top to bottom', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const background: Running[] = [];
  let currentSection: string | null = null;

  beforeAll(async () => {
    await ensureFreshBuild();
    dir = makeTempDir('rs-readme-');
    fs.chmodSync(dir, 0o700);
    const prefix = path.join(dir, 'npm-global');
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RELAYSCOPE_') && !name.startsWith('npm_')));
    env = {
      ...inherited,
      RELAYSCOPE_SOCKET: path.join(dir, 'relayscope.sock'),
      XDG_RUNTIME_DIR: dir,
      // The private socket directory (a tap's own hub) is under $TMPDIR: keep it in the test's directory too.
      TMPDIR: dir,
      npm_config_prefix: prefix,
      npm_config_ignore_scripts: 'true',
      npm_config_update_notifier: 'false',
      PATH: `${path.join(prefix, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    };
  }, 180_000);

  /** Ctrl-C to every background command of the finished section; each must exit. */
  async function endSection(): Promise<void> {
    const stopping = background.splice(0);
    for (const r of stopping) {
      // One stopped in the middle of the section has exited already; its process group may be gone.
      if (r.closed) continue;
      try {
        process.kill(-(r.child.pid as number), 'SIGINT');
      } catch {
        // Already gone.
      }
    }
    const timedOut: Running[] = [];
    await Promise.all(stopping.map(async (r) => (await poll(() => r.closed, 10_000)) || timedOut.push(r)));
    for (const r of timedOut) process.kill(-(r.child.pid as number), 'SIGKILL');
    expect(
      timedOut.map((r) => `line ${r.block.line}`),
      `background commands still running 10 s after Ctrl-C\n${describeOutput(timedOut)}`,
    ).toEqual([]);
    await Promise.all(stopping.map((r) => r.exited));
    // The reader's next section may start a hub on the default socket: the stopped one must have removed its file.
    if (env !== undefined) expect(fs.existsSync(env.RELAYSCOPE_SOCKET as string), `${env.RELAYSCOPE_SOCKET} is left after Ctrl-C`).toBe(false);
  }

  /** The reader's Ctrl-C (or kill) in the terminal of the section's one running command started by a block holding `text`. */
  async function stopOne(text: string, signal: NodeJS.Signals): Promise<void> {
    const matching = background.filter((r) => !r.closed && r.block.script.includes(text));
    expect(
      matching.map((r) => `line ${r.block.line}`),
      `"stop ${JSON.stringify(text)}" must match exactly one running background command of the section`,
    ).toHaveLength(1);
    const [r] = matching;
    process.kill(-(r.child.pid as number), signal);
    expect(await poll(() => r.closed, 10_000), `still running 10 s after ${signal}\n${describeOutput([r])}`).toBe(true);
  }

  afterAll(async () => {
    try {
      await endSection();
    } finally {
      if (dir !== undefined) removeTempDir(dir);
    }
  });

  it('has sh blocks, and every skip says why', () => {
    expect(blocks.length).toBeGreaterThan(10);
    for (const block of blocks) for (const d of block.directives) if (d.kind === 'skip') expect(d.reason.length).toBeGreaterThan(10);
  });

  for (const block of blocks) {
    const skip = block.directives.find((d): d is Directive & { kind: 'skip' } => d.kind === 'skip');
    const title = `line ${block.line} (${block.section}): ${
      block.script
        .split('\n')
        .find((l) => l.trim() !== '' && !l.startsWith('#'))
        ?.trim() ?? ''
    }`;
    if (skip !== undefined) {
      it.skip(`${title} — skipped: ${skip.reason}`, () => {});
      continue;
    }
    it(title, async () => {
      if (currentSection !== block.section) {
        await endSection();
        currentSection = block.section;
      }
      for (const d of block.directives) if (d.kind === 'stop') await stopOne(d.text, d.signal);
      const until = block.directives.find((d): d is Directive & { kind: 'background' } => d.kind === 'background');
      if (until !== undefined) {
        const r = run(block.script, env, true, block);
        background.push(r);
        const ready = await poll(() => r.output.includes(until.until) || r.closed, 20_000);
        expect(r.output.includes(until.until), `waiting for "${until.until}"${ready ? ' (the command exited)' : ''}\n${describeOutput([r])}`).toBe(true);
      } else {
        const r = run(block.script, env, false, block);
        await r.exited;
        expect(r.child.exitCode, `the block failed\n${describeOutput([r])}`).toBe(0);
        for (const d of block.directives) {
          if (d.kind !== 'expect') continue;
          const seen = await poll(() => [r, ...background].some((x) => x.output.includes(d.text)), 5000);
          expect(seen, `expected "${d.text}" in the output\n${describeOutput([r, ...background])}`).toBe(true);
        }
      }
    }, 180_000);
  }
});
