import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RelayClient, type ReceivedMessage } from '../../electron/client';
import { Cleanup } from '../support/cleanup';
import { startHub } from '../support/hubFixture';
import type { TrackedChild } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';
import { buildCPrograms, hasCCompiler, lines, REPO_ROOT, startProgram, waitForExit, waitForLine } from './c/programs';

const PYTHON_CLIENT = path.join(REPO_ROOT, 'clients', 'python', 'relayscope.py');
const PYTHON_DRIVER = path.join(__dirname, 'cross_driver.py');

const missing = [hasCCompiler ? null : 'a C compiler (cc) and make', fs.existsSync(PYTHON_CLIENT) ? null : 'clients/python/relayscope.py'].filter((what) => what !== null);
const describeWhenPossible = missing.length === 0 ? describe : describe.skip;
const suiteName = missing.length === 0 ? 'C, Python and TypeScript modules on one hub' : `C, Python and TypeScript modules on one hub — skipped: needs ${missing.join(', ')}`;

const C_ID = 'c-module';
const PY_ID = 'py-module';
const TS_ID = 'ts-module';

/**
 * The C and Python modules are driver programs (c/cross_driver.c, cross_driver.py) taking commands
 * on stdin and printing what they receive; they answer every request with "<own ID> handled <payload>".
 */
describeWhenPossible(suiteName, () => {
  let buildDir = '';
  let cleanup: Cleanup;
  let cModule: TrackedChild;
  let pyModule: TrackedChild;
  let tsModule: RelayClient;
  let tsReceived: ReceivedMessage[];

  beforeAll(() => {
    buildDir = makeTempDir('rs-xbuild-');
    buildCPrograms(buildDir, ['test/clients/c']);
  });

  afterAll(() => {
    if (buildDir !== '') removeTempDir(buildDir);
  });

  /** Starts a driver and, at cleanup, tells it to quit and checks that it exits cleanly. */
  async function startDriver(command: string, args: string[], id: string): Promise<TrackedChild> {
    const driver = startProgram(cleanup, command, args);
    cleanup.add(async () => {
      driver.child.stdin?.end('quit\n');
      const result = await waitForExit(driver);
      if (result.code !== 0) throw new Error(`${id} exited with ${result.code}: ${result.stderr}`);
    });
    await waitForLine(driver, `ready ${id}`);
    return driver;
  }

  beforeEach(async () => {
    cleanup = new Cleanup();
    const hub = await startHub(cleanup);
    const socket = (hub.address as { path: string }).path;
    cModule = await startDriver(path.join(buildDir, 'cross_driver'), [C_ID, socket], C_ID);
    pyModule = await startDriver('python3', [PYTHON_DRIVER, PY_ID, socket], PY_ID);
    tsModule = await RelayClient.connect({ id: TS_ID, socket, reconnect: false });
    cleanup.add(() => tsModule.close());
    tsReceived = [];
    tsModule.on('message', (message) => {
      if (message.kind === 'unicast' || message.kind === 'broadcast') tsReceived.push(message);
    });
    tsModule.on('request', (message) => tsModule.reply(message, `${TS_ID} handled ${message.text()}`));
  });

  afterEach(async () => {
    await cleanup.run();
  });

  const command = (driver: TrackedChild, line: string): void => {
    driver.child.stdin?.write(`${line}\n`);
  };

  const tsGot = (kind: string, source: string, text: string): Promise<ReceivedMessage> =>
    waitUntil(
      () => tsReceived.find((m) => m.kind === kind && m.source === source && m.text() === text),
      `${TS_ID} to receive ${kind} "${text}" from ${source} (has ${JSON.stringify(tsReceived.map((m) => [m.kind, m.source, m.text()]))})`,
    );

  it('delivers unicast messages in every direction with the right source', async () => {
    command(cModule, `send ${PY_ID} C to Python`);
    command(cModule, `send ${TS_ID} C to TypeScript`);
    command(pyModule, `send ${C_ID} Python to C`);
    command(pyModule, `send ${TS_ID} Python to TypeScript`);
    tsModule.send(C_ID, 'TypeScript to C');
    tsModule.send(PY_ID, 'TypeScript to Python');

    await waitForLine(pyModule, `got unicast from ${C_ID}: C to Python`);
    await tsGot('unicast', C_ID, 'C to TypeScript');
    await waitForLine(cModule, `got unicast from ${PY_ID}: Python to C`);
    await tsGot('unicast', PY_ID, 'Python to TypeScript');
    await waitForLine(cModule, `got unicast from ${TS_ID}: TypeScript to C`);
    await waitForLine(pyModule, `got unicast from ${TS_ID}: TypeScript to Python`);
  });

  it('delivers a broadcast from each language to the other two and not back to its sender', async () => {
    command(cModule, 'broadcast hello from C');
    command(pyModule, 'broadcast hello from Python');
    tsModule.broadcast('hello from TypeScript');

    await waitForLine(pyModule, `got broadcast from ${C_ID}: hello from C`);
    await waitForLine(pyModule, `got broadcast from ${TS_ID}: hello from TypeScript`);
    await waitForLine(cModule, `got broadcast from ${PY_ID}: hello from Python`);
    await waitForLine(cModule, `got broadcast from ${TS_ID}: hello from TypeScript`);
    await tsGot('broadcast', C_ID, 'hello from C');
    await tsGot('broadcast', PY_ID, 'hello from Python');

    // A unicast to oneself is delivered after anything queued before it, so once it is in, an echo of
    // one's own broadcast would be too.
    command(cModule, `send ${C_ID} sync`);
    command(pyModule, `send ${PY_ID} sync`);
    tsModule.send(TS_ID, 'sync');
    await waitForLine(cModule, `got unicast from ${C_ID}: sync`);
    await waitForLine(pyModule, `got unicast from ${PY_ID}: sync`);
    await tsGot('unicast', TS_ID, 'sync');
    expect(
      lines(cModule.stdout())
        .filter((line) => line.startsWith('got broadcast'))
        .sort(),
    ).toEqual([`got broadcast from ${PY_ID}: hello from Python`, `got broadcast from ${TS_ID}: hello from TypeScript`]);
    expect(
      lines(pyModule.stdout())
        .filter((line) => line.startsWith('got broadcast'))
        .sort(),
    ).toEqual([`got broadcast from ${C_ID}: hello from C`, `got broadcast from ${TS_ID}: hello from TypeScript`]);
    expect(
      tsReceived
        .filter((m) => m.kind === 'broadcast')
        .map((m) => `${m.source}: ${m.text()}`)
        .sort(),
    ).toEqual([`${C_ID}: hello from C`, `${PY_ID}: hello from Python`]);
  });

  it('answers requests across languages in every direction', async () => {
    command(cModule, `request ${PY_ID} q1`);
    await waitForLine(cModule, `reply from ${PY_ID}: ${PY_ID} handled q1`);
    command(cModule, `request ${TS_ID} q2`);
    await waitForLine(cModule, `reply from ${TS_ID}: ${TS_ID} handled q2`);
    command(pyModule, `request ${C_ID} q3`);
    await waitForLine(pyModule, `reply from ${C_ID}: ${C_ID} handled q3`);
    command(pyModule, `request ${TS_ID} q4`);
    await waitForLine(pyModule, `reply from ${TS_ID}: ${TS_ID} handled q4`);
    const fromC = await tsModule.request(C_ID, 'q5', { timeoutMs: 5000 });
    expect([fromC.kind, fromC.source, fromC.text()]).toEqual(['reply', C_ID, `${C_ID} handled q5`]);
    const fromPython = await tsModule.request(PY_ID, 'q6', { timeoutMs: 5000 });
    expect([fromPython.kind, fromPython.source, fromPython.text()]).toEqual(['reply', PY_ID, `${PY_ID} handled q6`]);

    await waitForLine(pyModule, `answered request from ${C_ID}: q1`);
    await waitForLine(cModule, `answered request from ${PY_ID}: q3`);
    expect(lines(cModule.stdout()).filter((line) => line.startsWith('error'))).toEqual([]);
    expect(lines(pyModule.stdout()).filter((line) => line.startsWith('error'))).toEqual([]);
  });

  it('starts each C and Python program run at its own correlation ID, not at 1 every time', async () => {
    const seen: { source: string; correlationId: number }[] = [];
    tsModule.on('request', (message) => seen.push({ source: message.source, correlationId: message.correlationId }));
    const socket = cModule.child.spawnargs.at(-1) as string;
    command(cModule, `request ${TS_ID} first run`);
    command(pyModule, `request ${TS_ID} first run`);
    const cAgain = await startDriver(path.join(buildDir, 'cross_driver'), ['c-again', socket], 'c-again');
    const pyAgain = await startDriver('python3', [PYTHON_DRIVER, 'py-again', socket], 'py-again');
    command(cAgain, `request ${TS_ID} second run`);
    command(pyAgain, `request ${TS_ID} second run`);
    await waitUntil(() => seen.length === 4, `four requests at ${TS_ID} (has ${JSON.stringify(seen)})`);
    const idOf = (source: string): number => seen.find((request) => request.source === source)?.correlationId ?? -1;
    // Counting from 1, both runs of a program would send their first request as ID 1.
    expect(idOf(C_ID)).not.toBe(idOf('c-again'));
    expect(idOf(PY_ID)).not.toBe(idOf('py-again'));
    expect(seen.filter((request) => request.correlationId === 1)).toEqual([]);
  });
});
