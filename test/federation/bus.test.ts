import { describe, expect, it } from 'vitest';
import type { ReceivedMessage } from '../../electron/client';
import { RelayError } from '../../electron/client/errors';
import { ErrorCode } from '../../electron/protocol/protocol';
import { Cleanup } from '../support/cleanup';
import { waitUntil } from '../support/waitUntil';
import { allSee, client, federated, startBusHub, withNatsServer } from './busFixture';
import { NATS_SERVER } from './natsServer';

const describeWithNats = NATS_SERVER === null ? describe.skip : describe;

describeWithNats(NATS_SERVER === null ? 'hubs on one bus — skipped: needs nats-server' : 'hubs on one bus through a real nats-server', () => {
  const suite = withNatsServer('rs-nats-');

  it('relays unicast both ways between modules of two hubs, with the right source, in order', async () => {
    const a = await startBusHub(suite.cleanup, suite.nats.url, 'hubA');
    const b = await startBusHub(suite.cleanup, suite.nats.url, 'hubB');
    await federated([a, b]);
    const alice = await client(suite.cleanup, a, 'alice');
    const bob = await client(suite.cleanup, b, 'bob');
    await allSee([a, b], ['alice', 'bob']);
    const atBob: ReceivedMessage[] = [];
    const atAlice: ReceivedMessage[] = [];
    bob.on('message', (m) => atBob.push(m));
    alice.on('message', (m) => atAlice.push(m));
    for (let i = 0; i < 500; i++) {
      if (i % 5 === 0) alice.broadcast(`${i}`);
      else alice.send('bob', `${i}`);
    }
    bob.send('alice', 'back');
    await waitUntil(() => atBob.length === 500, `bob to get 500 messages (has ${atBob.length})`);
    expect(atBob.map((m) => Number(m.text()))).toEqual([...Array(500).keys()]);
    expect(new Set(atBob.map((m) => m.source))).toEqual(new Set(['alice']));
    expect(atBob.filter((m) => m.kind === 'broadcast')).toHaveLength(100);
    await waitUntil(() => atAlice.find((m) => m.text() === 'back' && m.source === 'bob'), 'alice to get "back" from bob');
  });

  it('delivers a broadcast exactly once to every module on three hubs and not back to its sender', async () => {
    const hubs = [await startBusHub(suite.cleanup, suite.nats.url, 'one'), await startBusHub(suite.cleanup, suite.nats.url, 'two'), await startBusHub(suite.cleanup, suite.nats.url, 'three')];
    await federated(hubs);
    const ids = ['m1a', 'm1b', 'm2a', 'm2b', 'm3a'];
    const modules = await Promise.all(ids.map((id) => client(suite.cleanup, hubs[Number(id[1]) - 1], id)));
    await allSee(hubs, ids);
    const got = new Map<string, string[]>(ids.map((id) => [id, []]));
    for (const [i, module] of modules.entries()) module.on('message', (m) => got.get(ids[i])?.push(`${m.kind}:${m.source}:${m.text()}`));
    modules[0].broadcast('from m1a');
    modules[4].broadcast('from m3a');
    // A unicast to each module from each sender, after its broadcast: once it is in, the broadcast (ordered before it) is too.
    for (const id of ids) {
      modules[0].send(id, 'sync');
      modules[4].send(id, 'sync');
    }
    await waitUntil(() => [...got.values()].every((list) => list.filter((m) => m.startsWith('unicast')).length === 2), 'every module to get both syncs');
    for (const id of ids) {
      const broadcasts = (got.get(id) ?? []).filter((m) => m.startsWith('broadcast')).sort();
      const expected = [id !== 'm1a' ? 'broadcast:m1a:from m1a' : null, id !== 'm3a' ? 'broadcast:m3a:from m3a' : null].filter((m) => m !== null).sort();
      expect(broadcasts, id).toEqual(expected);
    }
  });

  it('answers a request across hubs, and PEER_GONE when the responder leaves before replying', async () => {
    const a = await startBusHub(suite.cleanup, suite.nats.url, 'reqA');
    const b = await startBusHub(suite.cleanup, suite.nats.url, 'reqB');
    await federated([a, b]);
    const asker = await client(suite.cleanup, a, 'asker');
    const echo = await client(suite.cleanup, b, 'echo');
    const silent = await client(suite.cleanup, b, 'silent');
    echo.on('request', (m) => echo.reply(m, `echo ${m.text()}`));
    await allSee([a, b], ['asker', 'echo', 'silent']);
    const reply = await asker.request('echo', 'hi', { timeoutMs: 5000 });
    expect([reply.source, reply.text()]).toEqual(['echo', 'echo hi']);
    let arrived = false;
    silent.on('request', () => {
      arrived = true;
    });
    const pending = asker.request('silent', 'never answered', { timeoutMs: 20_000 });
    await waitUntil(() => arrived, 'the request to reach silent');
    await silent.close();
    const error = await pending.catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RelayError);
    expect((error as RelayError).codeName).toBe('PEER_GONE');
  });

  it('answers NO_SUCH_MODULE at once for an ID no hub holds, and lists every module of the bus with its hub', async () => {
    const a = await startBusHub(suite.cleanup, suite.nats.url, 'listA');
    const b = await startBusHub(suite.cleanup, suite.nats.url, 'listB');
    await federated([a, b]);
    const here = await client(suite.cleanup, a, 'here');
    await client(suite.cleanup, b, 'there');
    await allSee([a, b], ['here', 'there']);
    const started = performance.now();
    const error = await here.request('nowhere', 'x', { timeoutMs: 10_000 }).catch((err: unknown) => err);
    const tookMs = performance.now() - started;
    expect((error as RelayError).codeName).toBe('NO_SUCH_MODULE');
    // Answered from the registry, far inside the request's own timeout.
    expect(tookMs).toBeLessThan(5000);
    expect((await here.list()).sort()).toEqual(['here', 'there']);
    const stats = a.hub.snapshot();
    expect(stats.modules.map((m) => [m.id, m.hub]).sort()).toEqual([
      ['here', 'listA'],
      ['there', 'listB'],
    ]);
    expect(stats.federation).toMatchObject({ bus: 'test', hub: 'listA', connected: true, status: 'federated' });
  });

  it('keeps a module ID unique across the bus: a HELLO for an ID another hub holds is refused with ID_IN_USE', async () => {
    const a = await startBusHub(suite.cleanup, suite.nats.url, 'idA');
    const b = await startBusHub(suite.cleanup, suite.nats.url, 'idB');
    await federated([a, b]);
    await client(suite.cleanup, a, 'unique');
    await allSee([b], ['unique']);
    const second = await b.connect();
    const result = await second.hello('unique', { flags: 0 });
    expect(result.error?.code).toBe(ErrorCode.ID_IN_USE);
    expect(result.error?.message).toContain('hub idA');
  });

  it('a hub that closes takes its modules with it: the others see them leave', async () => {
    const a = await startBusHub(suite.cleanup, suite.nats.url, 'stayA');
    const bCleanup = new Cleanup();
    const b = await startBusHub(bCleanup, suite.nats.url, 'goB');
    suite.cleanup.add(() => bCleanup.run());
    await federated([a, b]);
    await client(bCleanup, b, 'leaving');
    await allSee([a], ['leaving']);
    await bCleanup.run();
    await waitUntil(() => !a.hub.modules.has('leaving'), 'hub stayA to drop "leaving"');
  });
});
