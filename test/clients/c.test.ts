import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RelayClient } from '../../electron/client';
import { listen, parseSocketAddress, RelayHub, type RelayHubOptions } from '../../electron/hub';
import { Cleanup } from '../support/cleanup';
import { startHub } from '../support/hubFixture';
import { makeTempDir, removeTempDir, uniqueSuffix } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';
import { buildCPrograms, cEnvironment, hasCCompiler, hasValgrind, lines, startProgram, waitForExit, waitForLine } from './c/programs';

const STRICT_FLAGS = '-std=c99 -Wall -Wextra -Werror -pedantic';

const describeWithCompiler = hasCCompiler ? describe : describe.skip;
const suiteName = hasCCompiler ? 'the C client (clients/c)' : 'the C client (clients/c) — skipped: no C compiler (cc) or make on PATH';

describeWithCompiler(suiteName, () => {
  let buildDir = '';
  let buildOutput = '';
  let cleanup: Cleanup;

  beforeAll(() => {
    buildDir = makeTempDir('rs-cbuild-');
    buildOutput = buildCPrograms(buildDir);
  });

  afterAll(() => {
    if (buildDir !== '') removeTempDir(buildDir);
  });

  beforeEach(() => {
    cleanup = new Cleanup();
  });

  afterEach(async () => {
    await cleanup.run();
  });

  const program = (name: string): string => path.join(buildDir, name);

  /** Runs one rs_check scenario to completion and returns its stdout lines, failing with its stderr. */
  async function runScenario(args: string[], env: Record<string, string> = {}): Promise<string[]> {
    const run = startProgram(cleanup, program('rs_check'), args, { env: cEnvironment(env) });
    const result = await waitForExit(run);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return lines(result.stdout);
  }

  /** A hub listening on `socketPath` (a path or @name); close() stops it as a restart would. */
  async function startHubAt(socketPath: string, options: RelayHubOptions = {}): Promise<{ close(): Promise<void> }> {
    const hub = new RelayHub(options);
    const listener = await listen(hub, parseSocketAddress(socketPath));
    const close = async (): Promise<void> => {
      await hub.close('the hub is shutting down', 500);
      await listener.close();
    };
    cleanup.add(close);
    return { close };
  }

  async function connectTypeScriptModule(id: string, socket: string): Promise<RelayClient> {
    const client = await RelayClient.connect({ id, socket, reconnect: false });
    cleanup.add(() => client.close());
    return client;
  }

  it('builds the library, the examples and the test programs with the strict C99 flags', () => {
    const compileLines = buildOutput.split('\n').filter((line) => / -c | -o /.test(line));
    for (const source of ['relayscope.c', 'rs_check.c', 'cross_driver.c', 'rs_hostile.c', 'ab_demo.c', 'chat.c', 'reconnecting.c']) {
      const compile = compileLines.find((line) => line.includes(source));
      expect(compile, `a compile line for ${source} in:\n${buildOutput}`).toBeDefined();
      expect(compile).toContain(STRICT_FLAGS);
    }
  });

  describe('against a hub on a socket file', () => {
    let socketPath = '';

    beforeEach(async () => {
      const hub = await startHub(cleanup);
      socketPath = (hub.address as { path: string }).path;
    });

    it('delivers unicast messages both ways with the sender as source, and lists both modules', async () => {
      expect(await runScenario(['unicast', socketPath])).toEqual(['unicast ok']);
    });

    it('delivers a broadcast to every other module and not back to the sender', async () => {
      expect(await runScenario(['broadcast', socketPath])).toEqual(['broadcast ok']);
    });

    it('surfaces presence joins and leaves through rs_receive', async () => {
      expect(await runScenario(['presence', socketPath])).toEqual(['presence ok']);
    });

    it('gets the reply to a request from another C module and keeps a message that arrived before it', async () => {
      expect(await runScenario(['request', socketPath])).toEqual(['request ok']);
    });

    it('reports NO_SUCH_MODULE for a send and a request as RS_EHUB with the hub error message', async () => {
      expect(await runScenario(['no_such_module', socketPath])).toEqual([
        'send: NO_SUCH_MODULE: no module "nobody" is connected',
        'request: NO_SUCH_MODULE: no module "nobody" is connected',
        'no_such_module ok',
      ]);
    });

    it('is refused with ID_IN_USE when another module holds the ID', async () => {
      expect(await runScenario(['id_in_use', socketPath])).toEqual(['connect: ID_IN_USE: module ID "inuse-A" is already connected', 'id_in_use ok']);
    });

    it('returns RS_ETIMEOUT from rs_receive once the asked time has passed', async () => {
      const [report, done] = await runScenario(['receive_timeout', socketPath, '300']);
      const elapsed = Number(/^receive timed out after (\d+) ms$/.exec(report)?.[1]);
      expect(elapsed).toBeGreaterThanOrEqual(300);
      expect(elapsed).toBeLessThan(5000);
      expect(done).toBe('receive_timeout ok');
    });

    it('times out a request nobody answers and hands the late reply to rs_receive', async () => {
      const [report, done] = await runScenario(['request_timeout', socketPath]);
      const elapsed = Number(/^request timed out after (\d+) ms$/.exec(report)?.[1]);
      expect(elapsed).toBeGreaterThanOrEqual(300);
      expect(elapsed).toBeLessThan(5000);
      expect(done).toBe('request_timeout ok');
    });

    it.skipIf(!hasValgrind)('runs the scenarios under valgrind with no memory errors and no leaks', async () => {
      const run = startProgram(cleanup, 'valgrind', ['-q', '--error-exitcode=99', '--leak-check=full', '--errors-for-leak-kinds=definite,indirect', program('rs_check'), 'all', socketPath]);
      const result = await waitForExit(run, 25_000);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(lines(result.stdout).at(-1)).toBe('all ok');
    });
  });

  it('round-trips a 1 MiB payload (partial reads and writes) and refuses one above maxPayload', async () => {
    const hub = await startHub(cleanup, { maxPayload: 2 * 1024 * 1024 });
    expect(await runScenario(['large', (hub.address as { path: string }).path])).toEqual(['large ok']);
  });

  it('answers the hub keepalive PINGs while it waits, so an idle client stays connected', async () => {
    const hub = await startHub(cleanup, { idleTimeoutMs: 400 });
    expect(await runScenario(['keepalive', (hub.address as { path: string }).path, '1500'])).toEqual(['keepalive ok']);
  });

  it('connects to a Linux abstract socket name', async () => {
    const name = `@rs-c-${uniqueSuffix()}`;
    await startHubAt(name);
    expect(await runScenario(['unicast', name])).toEqual(['unicast ok']);
  });

  it('connects over TCP', async () => {
    const hub = new RelayHub();
    const listener = await listen(hub, parseSocketAddress('tcp://127.0.0.1:0'));
    cleanup.add(async () => {
      await hub.close('test finished', 200);
      await listener.close();
    });
    expect(await runScenario(['unicast', `tcp://127.0.0.1:${listener.port}`])).toEqual(['unicast ok']);
  });

  it('finds the hub through $RELAYSCOPE_SOCKET, then $XDG_RUNTIME_DIR, when given no address', async () => {
    const runtimeDir = makeTempDir();
    cleanup.add(() => removeTempDir(runtimeDir));
    await startHubAt(path.join(runtimeDir, 'relayscope.sock'));
    expect(await runScenario(['unicast', '-'], { RELAYSCOPE_SOCKET: path.join(runtimeDir, 'relayscope.sock') })).toEqual(['unicast ok']);
    expect(await runScenario(['broadcast', '-'], { XDG_RUNTIME_DIR: runtimeDir })).toEqual(['broadcast ok']);
  });

  it('reconnects after the hub restarts on the same path, subscribes to presence again and receives what is sent afterwards', async () => {
    const dir = makeTempDir();
    cleanup.add(() => removeTempDir(dir));
    const socketPath = path.join(dir, 'hub.sock');
    const firstHub = await startHubAt(socketPath);
    const run = startProgram(cleanup, program('rs_check'), ['reconnect', socketPath]);
    await waitForLine(run, 'ready');
    await firstHub.close();
    await waitForLine(run, 'lost: SHUTDOWN');
    await startHubAt(socketPath);
    await waitForLine(run, 'reconnected as reconnect-R');
    const sender = await connectTypeScriptModule('sender', socketPath);
    await waitForLine(run, 'join sender');
    sender.send('reconnect-R', 'after the restart');
    const result = await waitForExit(run);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual(['ready', 'lost: SHUTDOWN', 'reconnected as reconnect-R', 'join sender', 'received "after the restart" from sender', 'reconnect ok']);
  });

  describe('the examples (examples/c)', () => {
    let socketPath = '';
    let env: NodeJS.ProcessEnv = {};

    beforeEach(async () => {
      const hub = await startHub(cleanup);
      socketPath = (hub.address as { path: string }).path;
      env = cEnvironment({ RELAYSCOPE_SOCKET: socketPath });
    });

    it('ab_demo: A and B each print what they received and from whom', async () => {
      const a = startProgram(cleanup, program('ab_demo'), ['A', 'B', '1'], { env });
      const b = startProgram(cleanup, program('ab_demo'), ['B', 'A', '2'], { env });
      const [resultA, resultB] = await Promise.all([waitForExit(a), waitForExit(b)]);
      expect(resultA).toMatchObject({ code: 0, stdout: 'A received "2" from B\n', stderr: '' });
      expect(resultB).toMatchObject({ code: 0, stdout: 'B received "1" from A\n', stderr: '' });
    });

    it('chat: a line typed by one member appears at the other, after its join notice', async () => {
      const alice = startProgram(cleanup, program('chat'), ['alice'], { env });
      await waitForLine(alice, '* you are alice');
      const bob = startProgram(cleanup, program('chat'), ['bob'], { env });
      await waitForLine(bob, '* you are bob');
      await waitForLine(alice, '* bob joined');
      bob.child.stdin?.write('hello from bob\n');
      await waitForLine(alice, 'bob: hello from bob');
      bob.child.stdin?.end();
      expect(await waitForExit(bob)).toMatchObject({ code: 0, stdout: '* you are bob\n', stderr: '' });
      await waitForLine(alice, '* bob left');
      alice.child.stdin?.end();
      const resultAlice = await waitForExit(alice);
      expect(resultAlice.code).toBe(0);
      expect(lines(resultAlice.stdout)).toEqual(['* you are alice', '* bob joined', 'bob: hello from bob', '* bob left']);
    });

    it('reconnecting: keeps receiving across a hub restart on the same path', async () => {
      const dir = makeTempDir();
      cleanup.add(() => removeTempDir(dir));
      const restartPath = path.join(dir, 'hub.sock');
      const firstHub = await startHubAt(restartPath);
      const restartEnv = cEnvironment({ RELAYSCOPE_SOCKET: restartPath });
      const sensor = startProgram(cleanup, program('reconnecting'), ['sensor', '2'], { env: restartEnv });
      await waitForLine(sensor, 'connected as sensor');
      const before = await connectTypeScriptModule('tester', restartPath);
      before.send('sensor', 'before');
      await waitForLine(sensor, 'sensor received "before" from tester');
      await firstHub.close();
      await waitForLine(sensor, 'connection lost: the hub is shutting down (SHUTDOWN)');
      await startHubAt(restartPath);
      // "connected as sensor" a second time: registered with the new hub.
      await waitUntil(() => sensor.stdout().split('connected as sensor\n').length === 3, 'the second "connected as sensor"', 10_000);
      const after = await connectTypeScriptModule('tester', restartPath);
      after.send('sensor', 'after');
      const result = await waitForExit(sensor);
      expect(result.code).toBe(0);
      expect(lines(result.stdout)).toEqual([
        'connected as sensor',
        'sensor received "before" from tester',
        'connection lost: the hub is shutting down (SHUTDOWN)',
        'connected as sensor',
        'sensor received "after" from tester',
      ]);
    });
  });
});
