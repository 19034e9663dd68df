import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { RelayError } from '../../electron/client/errors';
import { encodePresenceMessage } from '../../electron/hub/federation/presenceMessages';
import { type BatchHeader, parseBatchHeader } from '../../electron/protocol/busRecords';
import type { Cleanup } from '../support/cleanup';
import { allSee, client, federated, startBusHub, withNatsServer } from './busFixture';
import { NATS_SERVER } from './natsServer';

const describeWithNats = NATS_SERVER === null ? describe.skip : describe;

/**
 * A "hub" that is only a NATS client: it keeps itself on the bus with presence (a module "ghost"),
 * and takes its batches (subscribed, never confirming) or not (not subscribed), so the real hub's
 * handling of a hub that does not confirm, and of one NATS finds no subscriber for, is seen alone.
 */
async function fakeHub(cleanup: Cleanup, url: string, name: string, takesBatches: boolean): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false });
  cleanup.add(() => nc.close());
  if (takesBatches) nc.subscribe(`rs.test.hub.${name}`, { callback: () => {} });
  // Its full list every 100 ms stands for both the heartbeat and the answer to a hub's hello.
  const announce = () =>
    nc.publish('rs.test.presence', encodePresenceMessage({ op: 'announce', hub: name, epoch: 'e1', modules: [{ id: 'ghost', claimedAt: 1, transport: 'unix', listener: 'fake' }] }));
  announce();
  const timer = setInterval(announce, 100);
  cleanup.add(() => clearInterval(timer));
  await nc.flush();
  return nc;
}

describeWithNats(NATS_SERVER === null ? 'batch confirmations — skipped: needs nats-server' : 'batch confirmations through a real nats-server', () => {
  const suite = withNatsServer('rs-natsc-');

  it('a request/reply loop carries each confirmation in the batch going back; every batch is confirmed, by serial, on its link', async () => {
    const a = await startBusHub(suite.cleanup, suite.nats.url, 'ackA');
    const b = await startBusHub(suite.cleanup, suite.nats.url, 'ackB');
    await federated([a, b]);
    const asker = await client(suite.cleanup, a, 'asker');
    const echo = await client(suite.cleanup, b, 'echo');
    echo.on('request', (m) => echo.reply(m, m.payload));
    await allSee([a, b], ['asker', 'echo']);
    // A third NATS client sees both hubs' batches (NATS gives every subscriber a copy).
    const watcher = await connect({ servers: suite.nats.url, reconnect: false });
    suite.cleanup.add(() => watcher.close());
    const seen: BatchHeader[] = [];
    for (const hub of ['ackA', 'ackB']) watcher.subscribe(`rs.test.hub.${hub}`, { callback: (_err: Error | null, msg: Msg) => seen.push(parseBatchHeader(Buffer.from(msg.data))) });
    await watcher.flush();

    const rounds = 100;
    for (let i = 0; i < rounds; i++) expect((await asker.request('echo', `${i}`, { timeoutMs: 5000 })).text()).toBe(`${i}`);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const fromA = seen.filter((h) => h.hub === 'ackA');
    const fromB = seen.filter((h) => h.hub === 'ackB');
    const withRecords = (from: BatchHeader[]) => from.filter((h) => h.serial !== 0);
    // Each request went in one batch and each reply in one; their serials count up by one on one link.
    for (const from of [fromA, fromB]) {
      const batches = withRecords(from);
      expect(batches.length).toBeGreaterThanOrEqual(rounds);
      expect(new Set(batches.map((h) => h.link)).size).toBe(1);
      expect(batches.map((h) => h.serial - batches[0].serial)).toEqual([...batches.keys()]);
    }
    // Every batch of A's was confirmed by a later one of B's, naming A's link, and the other way.
    for (const [sent, back] of [
      [fromA, fromB],
      [fromB, fromA],
    ]) {
      const link = withRecords(sent)[0].link;
      const confirmed = Math.max(...back.filter((h) => h.confirmsLink === link).map((h) => h.confirmsSerial));
      expect(confirmed).toBe(withRecords(sent).at(-1)?.serial);
    }
    // The confirmations rode on the replies and the next requests: few went alone (those waited 2 ms for nothing going back).
    const alone = seen.filter((h) => h.serial === 0).length;
    expect(alone).toBeLessThan(rounds / 2);
  });

  /** A request from a module of a real hub to "ghost" on a fake one: the error it gets. */
  async function requestToGhost(fake: string, takesBatches: boolean, real: string): Promise<RelayError> {
    await fakeHub(suite.cleanup, suite.nats.url, fake, takesBatches);
    const a = await startBusHub(suite.cleanup, suite.nats.url, real);
    await federated([a]);
    const alice = await client(suite.cleanup, a, 'alice');
    await allSee([a], ['alice', 'ghost']);
    const error = await alice.request('ghost', 'anyone there?', { timeoutMs: 20_000 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RelayError);
    return error as RelayError;
  }

  it('a hub that takes batches and never confirms them: the sender gets PEER_GONE once the confirmation is overdue', async () => {
    const error = await requestToGhost('mute', true, 'talker');
    expect(error.codeName).toBe('PEER_GONE');
    expect(error.message).toMatch(/no confirmation within 2000 ms/);
  });

  it('a hub NATS finds no subscriber for: the next batch to it is answered at once, through NATS "no responders"', async () => {
    const error = await requestToGhost('unsubscribed', false, 'caller');
    expect(error.codeName).toBe('PEER_GONE');
    expect(error.message).toMatch(/no responders/);
  });
});
