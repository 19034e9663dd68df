/**
 * The clients' module listing with peer identity (issue 12, item 2): RelayClient.listModules(),
 * Client.list_modules() in Python and rs_list_modules() in C, each run by a monitor against a hub
 * with a python3 module and a socat line program, must name those processes' own pids, uid, gid,
 * executables and command lines; a module asking is refused NOT_PERMITTED. The C client's JSON
 * reader is also given STATS_REPLY texts a hub would never send, built with the sanitizers.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RelayClient, type ModuleIdentity } from '../../electron/client';
import { decodeFrames, encodeStatsReply, encodeWelcome, FrameDecoder } from '../../electron/protocol/frameCodec';
import { FrameType } from '../../electron/protocol/protocol';
import { listenPlain } from '../../electron/hub/plain/plainListener';
import { Cleanup } from '../support/cleanup';
import { startHub } from '../support/hubFixture';
import { spawnTracked, type TrackedChild } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';
import { buildCPrograms, cEnvironment, hasCCompiler, lines, startProgram, waitForExit } from './c/programs';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SCENARIOS = path.join(__dirname, 'python', 'scenarios.py');
const PYTHON_ENV = { ...cEnvironment(), PYTHONPATH: path.join(REPO_ROOT, 'clients', 'python'), PYTHONDONTWRITEBYTECODE: '1' };
/** What the python3 module runs: registers as py-target and stays until its stdin closes. */
const TARGET_SCRIPT = 'import sys, relayscope\nc = relayscope.Client.connect("py-target", sys.argv[1])\nprint("ready", flush=True)\nsys.stdin.read()';
const SANITIZE_FLAGS = '-O0 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined';

const describeWithCompiler = hasCCompiler ? describe : describe.skip;

/** The fields every language reports, in the TypeScript names. */
interface Identity {
  id: string;
  transport: string;
  framing?: string;
  pid?: number;
  uid?: number;
  gid?: number;
  exe?: string;
  cmdline?: string[];
}

function identityOf(module: ModuleIdentity): Identity {
  const { id, transport, framing, pid, uid, gid, exe, cmdline } = module;
  return Object.fromEntries(Object.entries({ id, transport, framing, pid, uid, gid, exe, cmdline }).filter(([, value]) => value !== undefined)) as unknown as Identity;
}

/** rs_modules writes a backslash as \\ and a newline as \n. */
function unescapeLine(text: string): string {
  return text.replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch));
}

/** rs_modules' lines ("module ID TRANSPORT FRAMING PID UID GID", "exe …", "arg …") as identities, or its "error …" line. */
function parseCListing(stdout: string): Identity[] | string {
  const modules: Identity[] = [];
  for (const line of lines(stdout)) {
    const [word, ...rest] = line.split(' ');
    if (word === 'error') return line;
    if (word === 'module') {
      const [id, transport, framing, pid, uid, gid] = rest;
      const known = (text: string): number | undefined => (text === '-1' ? undefined : Number(text));
      modules.push(identityOf({ id, transport, framing: framing === '-' ? undefined : framing, pid: known(pid), uid: known(uid), gid: known(gid) } as ModuleIdentity));
    } else if (word === 'exe') modules[modules.length - 1].exe = unescapeLine(rest.join(' '));
    else if (word === 'arg') (modules[modules.length - 1].cmdline ??= []).push(unescapeLine(rest.join(' ')));
  }
  return modules;
}

describeWithCompiler('listing modules with who is behind them', () => {
  let buildDir = '';
  let sanitizedDir = '';
  let cleanup: Cleanup;

  beforeAll(() => {
    buildDir = makeTempDir('rs-modules-');
    sanitizedDir = makeTempDir('rs-modules-san-');
    buildCPrograms(buildDir, ['test/clients/c']);
    buildCPrograms(sanitizedDir, ['test/clients/c'], SANITIZE_FLAGS);
  });

  afterAll(() => {
    for (const dir of [buildDir, sanitizedDir]) if (dir !== '') removeTempDir(dir);
  });

  beforeEach(() => {
    cleanup = new Cleanup();
  });

  afterEach(async () => {
    await cleanup.run();
  });

  it('gives the pid, uid, gid, exe, cmdline and framing of a python3 module and a socat line program, the same in TypeScript, Python and C', async () => {
    const hub = await startHub(cleanup);
    const socket = hub.address.kind === 'path' ? hub.address.path : '';
    const chat = path.join(hub.dir, 'chat.sock');
    const plain = await listenPlain(hub.hub, { framing: 'line', address: { kind: 'path', path: chat } });
    cleanup.add(() => plain.close());

    // The interpreter itself, not a wrapper that execs it (pyenv's shim is a shell script): its path is then argv[0] and the exe.
    const python3 = fs.realpathSync(execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim());
    const target = spawnTracked(cleanup, python3, ['-c', TARGET_SCRIPT, socket], { env: PYTHON_ENV });
    await waitUntil(() => target.stdout().includes('ready\n'), 'the python3 module registered');
    const socat: TrackedChild = spawnTracked(cleanup, 'socat', ['-', `UNIX-CONNECT:${chat}`]);
    socat.child.stdin?.write('/nick socat-user\n');

    const monitor = await RelayClient.connect({ socket, id: '', monitor: true, reconnect: false });
    cleanup.add(() => monitor.close());
    let listed = await monitor.listModules();
    // socat's module registers once its /nick line is read.
    for (const deadline = Date.now() + 5000; listed.length < 2 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      listed = await monitor.listModules();
    }
    const fromTypeScript = listed.map(identityOf);

    const user = { uid: process.getuid?.(), gid: process.getgid?.() };
    expect(fromTypeScript).toEqual([
      { id: 'py-target', transport: 'unix', pid: target.child.pid, ...user, exe: python3, cmdline: [python3, '-c', TARGET_SCRIPT, socket] },
      { id: 'socat-user', transport: 'unix', framing: 'line', pid: socat.child.pid, ...user, exe: fs.realpathSync('/usr/bin/socat'), cmdline: ['socat', '-', `UNIX-CONNECT:${chat}`] },
    ]);

    const python = spawnTracked(cleanup, 'python3', [SCENARIOS, 'identities', socket, '', 'monitor'], { env: PYTHON_ENV });
    const pythonResult = await python.exited;
    expect(pythonResult.stderr).toBe('');
    const fromPython = lines(pythonResult.stdout).map((line) => {
      const record = JSON.parse(line) as Record<string, unknown>;
      return identityOf(Object.fromEntries(Object.entries(record).filter(([, value]) => value !== null)) as unknown as ModuleIdentity);
    });
    expect(fromPython).toEqual(fromTypeScript);

    const c = await waitForExit(startProgram(cleanup, path.join(buildDir, 'rs_modules'), [socket, 'monitor']));
    expect(c.code).toBe(0);
    expect(parseCListing(c.stdout)).toEqual(fromTypeScript);
  }, 30_000);

  it('refuses a module: TypeScript before asking, Python and C with the hub’s NOT_PERMITTED', async () => {
    const hub = await startHub(cleanup);
    const socket = hub.address.kind === 'path' ? hub.address.path : '';
    const module = await RelayClient.connect({ socket, id: 'ts-module', reconnect: false });
    cleanup.add(() => module.close());
    await expect(module.listModules()).rejects.toThrow('listModules() is only available to monitors; connect with { monitor: true }');

    const python = spawnTracked(cleanup, 'python3', [SCENARIOS, 'identities', socket, 'py-module', 'module'], { env: PYTHON_ENV });
    expect((await python.exited).stdout).toBe('{"error": "NOT_PERMITTED"}\n');
    const c = await waitForExit(startProgram(cleanup, path.join(buildDir, 'rs_modules'), [socket, 'module']));
    // RS_EHUB (-9) with RS_HUB_NOT_PERMITTED (14).
    expect(c.stdout).toBe('error -9 14\n');
  }, 20_000);

  describe('the C client reading STATS_REPLY JSON no hub sends', () => {
    /** A hub that welcomes one monitor and answers its STATS with `json`, for the sanitized rs_modules. */
    async function listWith(json: string): Promise<Identity[] | string> {
      const dir = makeTempDir('rs-statsjson-');
      cleanup.add(() => removeTempDir(dir));
      const socket = path.join(dir, 'hub.sock');
      const server = net.createServer((connection) => {
        const decoder = new FrameDecoder(1 << 20);
        connection.on('data', (chunk: Buffer) => {
          for (const frame of decodeFrames(decoder, chunk)) {
            if (frame.type === FrameType.HELLO) connection.write(encodeWelcome({ version: 1, maxPayload: 1 << 20, queueLimit: 1 << 20, idleTimeoutMs: 0, id: '$monitor-1' }));
            if (frame.type === FrameType.STATS) connection.write(encodeStatsReply(frame.body.readUInt32BE(0), json));
          }
        });
        connection.on('error', () => {});
      });
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      cleanup.add(() => new Promise<void>((resolve) => server.close(() => resolve())));
      const run = await waitForExit(startProgram(cleanup, path.join(sanitizedDir, 'rs_modules'), [socket, 'monitor']));
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      return parseCListing(run.stdout);
    }

    it('decodes escapes, skips fields it does not use, and takes a field of another type as unknown', async () => {
      const json = JSON.stringify({
        startedAt: 1,
        extra: { nested: [1, 2.5e3, true, false, null, { deep: ['x'] }] },
        modules: [
          {
            id: 'A',
            role: 'module',
            transport: 'unix',
            framing: 'id-byte',
            pid: 42,
            uid: 0,
            gid: 4294967295,
            exe: '/bin/tab\there',
            cmdline: ['é', '😀', 'quote"back\\slash', ''],
            stats: { messagesIn: 3 },
          },
          { id: 'B', transport: 'tcp', pid: 1.5, uid: -1, gid: '7', exe: 7, cmdline: ['ok', 3] },
        ],
      }).replace('"😀"', '"\\ud83d\\ude00"');
      expect(await listWith(json)).toEqual([
        { id: 'A', transport: 'unix', framing: 'id-byte', pid: 42, uid: 0, gid: 4294967295, exe: '/bin/tab\there', cmdline: ['é', '😀', 'quote"back\\slash', ''] },
        { id: 'B', transport: 'tcp' },
      ]);
    }, 20_000);

    it.each([
      ['no modules', '{"startedAt":1}'],
      ['modules not an array', '{"modules":{}}'],
      ['an entry that is no object', '{"modules":[1]}'],
      ['cut short', '{"modules":[{"id":"A","pid":4'],
      ['an unclosed string', '{"modules":[{"id":"A'],
      ['a bad escape', '{"modules":[{"id":"\\q"}]}'],
      ['a control byte in a string', '{"modules":[{"id":"a\u0001"}]}'],
      ['trailing bytes', '{"modules":[]} x'],
      ['nesting deeper than 32', `{"modules":[],"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
      ['not JSON at all', '\u0000\u00ff garbage'],
    ])(
      'is a protocol error for %s',
      async (_what, json) => {
        // RS_EPROTO (-8): the connection is dropped, nothing leaks (AddressSanitizer), nothing overruns.
        expect(await listWith(json)).toBe('error -8 0');
      },
      20_000,
    );
  });
});
