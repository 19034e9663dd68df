import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient, type ReceivedMessage } from '../../electron/client';
import type { RelayError } from '../../electron/client/errors';
import { buildCPrograms, hasCCompiler, REPO_ROOT, startProgram, waitForLine } from '../clients/c/programs';
import { cliHarness } from '../support/cliHarness';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';
import { allSee, client, federated, startBusHub } from './busFixture';
import { NATS_SERVER, startNatsServer } from './natsServer';

const PYTHON_DRIVER = path.join(REPO_ROOT, 'test', 'clients', 'cross_driver.py');
const missing = [NATS_SERVER === null ? 'nats-server' : null, hasCCompiler ? null : 'a C compiler (cc) and make', fs.existsSync(PYTHON_DRIVER) ? null : 'test/clients/cross_driver.py'].filter(
  (what) => what !== null,
);
const describeWhenPossible = missing.length === 0 ? describe : describe.skip;

describeWhenPossible(missing.length === 0 ? 'three hub processes on one bus, C, Python and TypeScript modules' : `bus processes — skipped: needs ${missing.join(', ')}`, () => {
  const { cli, cleanup } = cliHarness();
  let buildDir = '';

  beforeAll(() => {
    buildDir = makeTempDir('rs-fedc-');
    buildCPrograms(buildDir, ['test/clients/c']);
  });
  afterAll(() => {
    if (buildDir !== '') removeTempDir(buildDir);
  });

  async function busOfThree(): Promise<{ sockets: string[]; hubs: ReturnType<typeof cli.start>[] }> {
    const dir = makeTempDir('rs-fedp-');
    cleanup.add(() => removeTempDir(dir));
    const nats = await startNatsServer({ dir });
    cleanup.add(() => nats.stop());
    const sockets = ['one', 'two', 'three'].map((name) => path.join(dir, `${name}.sock`));
    const hubs = ['one', 'two', 'three'].map((name, i) => cli.start(['hub', '--socket', sockets[i], '--nats', nats.url, '--bus', 'procs', '--hub-name', name]));
    for (const hub of hubs) await hub.waitForStdout(/federated: hub \S+ on bus procs/, 15_000);
    return { sockets, hubs };
  }

  it('C on one hub, Python on another, TypeScript on a third: unicast, broadcast once each, and requests in every direction', async () => {
    const { sockets } = await busOfThree();
    const c = startProgram(cleanup, path.join(buildDir, 'cross_driver'), ['c-mod', sockets[0]]);
    const py = startProgram(cleanup, 'python3', [PYTHON_DRIVER, 'py-mod', sockets[1]]);
    cleanup.add(() => {
      c.child.stdin?.end('quit\n');
      py.child.stdin?.end('quit\n');
    });
    await waitForLine(c, 'ready c-mod');
    await waitForLine(py, 'ready py-mod');
    const ts = await RelayClient.connect({ id: 'ts-mod', socket: sockets[2], reconnect: false });
    cleanup.add(() => ts.close());
    const got: ReceivedMessage[] = [];
    ts.on('message', (m) => got.push(m));
    ts.on('request', (m) => ts.reply(m, `ts-mod handled ${m.text()}`));
    // Every hub lists all three once presence has gone round.
    for (;;) {
      const ids = (await ts.list()).sort();
      if (ids.join() === 'c-mod,py-mod,ts-mod') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const send = (driver: typeof c, line: string) => driver.child.stdin?.write(`${line}\n`);
    send(c, 'send py-mod C to Python');
    send(py, 'send c-mod Python to C');
    ts.send('c-mod', 'TS to C');
    ts.send('py-mod', 'TS to Python');
    await waitForLine(py, 'got unicast from c-mod: C to Python');
    await waitForLine(c, 'got unicast from py-mod: Python to C');
    await waitForLine(c, 'got unicast from ts-mod: TS to C');
    await waitForLine(py, 'got unicast from ts-mod: TS to Python');

    send(c, 'broadcast hello from C');
    send(py, 'broadcast hello from Python');
    ts.broadcast('hello from TS');
    await waitForLine(py, 'got broadcast from c-mod: hello from C');
    await waitForLine(py, 'got broadcast from ts-mod: hello from TS');
    await waitForLine(c, 'got broadcast from py-mod: hello from Python');
    await waitForLine(c, 'got broadcast from ts-mod: hello from TS');
    await waitUntil(() => got.filter((m) => m.kind === 'broadcast').length === 2, 'TS to get both broadcasts');

    send(c, 'request py-mod q-from-c');
    send(py, 'request ts-mod q-from-py');
    await waitForLine(c, 'reply from py-mod: py-mod handled q-from-c');
    await waitForLine(py, 'reply from ts-mod: ts-mod handled q-from-py');
    const reply = await ts.request('c-mod', 'q-from-ts', { timeoutMs: 10_000 });
    expect(reply.text()).toBe('c-mod handled q-from-ts');

    // Sync unicasts after the broadcasts: once in, no second copy of a broadcast can follow.
    send(c, 'send py-mod sync');
    await waitForLine(py, 'got unicast from c-mod: sync');
    const pyBroadcasts = py
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('got broadcast'));
    expect(pyBroadcasts.sort()).toEqual(['got broadcast from c-mod: hello from C', 'got broadcast from ts-mod: hello from TS']);
    expect(got.filter((m) => m.kind === 'broadcast').length).toBe(2);
  }, 60_000);

  it('a hub killed with SIGKILL is a leave for its modules on the others, and a request waiting on one gets PEER_GONE', async () => {
    const { sockets, hubs } = await busOfThree();
    const here = await RelayClient.connect({ id: 'here', socket: sockets[0], reconnect: false });
    cleanup.add(() => here.close());
    const doomed = await RelayClient.connect({ id: 'doomed', socket: sockets[1], reconnect: false });
    cleanup.add(() => doomed.close());
    let asked = false;
    doomed.on('request', () => {
      asked = true;
    });
    for (;;) {
      if ((await here.list()).includes('doomed')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const pending = here.request('doomed', 'will not be answered', { timeoutMs: 30_000 });
    await waitUntil(() => asked, 'the request to reach doomed');
    const killedAt = performance.now();
    hubs[1].signal('SIGKILL');
    const error = await pending.catch((err: unknown) => err);
    expect((error as RelayError).codeName).toBe('PEER_GONE');
    for (;;) {
      if (!(await here.list()).includes('doomed')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The stated time is 5 s of silence; a little more for a loaded machine.
    expect(performance.now() - killedAt).toBeLessThan(15_000);
    const gone = await here.request('doomed', 'x', { timeoutMs: 10_000 }).catch((err: unknown) => err);
    expect((gone as RelayError).codeName).toBe('NO_SUCH_MODULE');
  }, 60_000);

  it('two nats-servers joined as leaf nodes carry one bus: a hub on each, unicast and request/reply across', async () => {
    const dir = makeTempDir('rs-fedl-');
    cleanup.add(() => removeTempDir(dir));
    const main = await startNatsServer({ dir, leafListen: true });
    cleanup.add(() => main.stop());
    const leaf = await startNatsServer({ dir, leafRemote: main.leafPort });
    cleanup.add(() => leaf.stop());
    const a = await startBusHub(cleanup, main.url, 'onMain');
    const b = await startBusHub(cleanup, leaf.url, 'onLeaf');
    await federated([a, b]);
    const left = await client(cleanup, a, 'left');
    const right = await client(cleanup, b, 'right');
    right.on('request', (m) => right.reply(m, `right got ${m.text()}`));
    await allSee([a, b], ['left', 'right']);
    const got: ReceivedMessage[] = [];
    right.on('message', (m) => got.push(m));
    left.send('right', 'across the leaf');
    await waitUntil(() => got.find((m) => m.text() === 'across the leaf' && m.source === 'left'), 'right to get the message');
    const reply = await left.request('right', 'q', { timeoutMs: 10_000 });
    expect(reply.text()).toBe('right got q');
  }, 60_000);
});
