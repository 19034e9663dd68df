import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  encodeHello,
  encodeInject,
  encodeKick,
  encodeList,
  encodeMessage,
  encodePing,
  encodeStats,
  encodeSubscribePresence,
  ErrorCode,
  FrameType,
  HelloFlag,
  HUB_ENDPOINT_ID,
  HubCommandError,
  HubEventCode,
  MessageKind,
  parseCorrelationOnly,
  parseEvent,
  parseListReply,
  parsePresence,
  parseStatsReply,
  parseTraffic,
  parseTrafficRun,
  parseWelcome,
  PresenceEvent,
  PREVIEW_BYTES,
  TrafficFlag,
  type HubEvent,
  type HubSnapshot,
  type MessageEvent,
  type MessageFrame,
} from '../../electron/hub';
import { Cleanup } from '../support/cleanup';
import { startHub } from '../support/hubFixture';
import { parseBody, type RawClient } from '../support/rawClient';
import { waitUntil } from '../support/waitUntil';

let cleanup: Cleanup;
beforeEach(() => {
  cleanup = new Cleanup();
});
afterEach(async () => {
  await cleanup.run();
});

/** Asserts the hub answered with a fatal ERROR carrying `code` and then closed the connection. */
async function expectRefused(client: RawClient, code: number): Promise<void> {
  const error = await client.waitForError(code);
  expect(error.code).toBe(code);
  await client.waitForClose();
  expect(client.ofType(FrameType.WELCOME)).toEqual([]);
}

/**
 * Sends LIST and waits for its reply. The hub answers a connection's frames in order and appends
 * everything it routes to one output queue, so anything it sent this client before handling the
 * LIST has arrived once the reply has.
 */
async function roundTrip(client: RawClient, correlationId: number): Promise<string[]> {
  client.send(encodeList(correlationId));
  const reply = await client.waitForFrame((f) => f.type === FrameType.LIST_REPLY && f.body.readUInt32BE(0) === correlationId, `LIST_REPLY ${correlationId}`);
  return parseBody(reply, parseListReply).ids;
}

async function expectMessage(client: RawClient, match: (m: MessageFrame) => boolean, what: string): Promise<MessageFrame> {
  return client.waitFor(() => client.messages().find(match), what);
}

describe('handshake', () => {
  it('welcomes a module with the hub limits and its ID', async () => {
    const h = await startHub(cleanup, { maxPayload: 4096, queueLimit: 65536, idleTimeoutMs: 0 });
    const client = await h.connect();
    const { welcome } = await client.hello('sensor');
    expect(welcome).toEqual({ version: 1, maxPayload: 4096, queueLimit: 65536, idleTimeoutMs: 0, id: 'sensor' });
    expect(h.hub.moduleIds()).toEqual(['sensor']);
  });

  it('refuses an unsupported protocol version with BAD_VERSION and closes', async () => {
    const h = await startHub(cleanup);
    const client = await h.connect();
    client.send(encodeHello({ id: 'A', version: 2 }));
    await expectRefused(client, ErrorCode.BAD_VERSION);
  });

  it.each([
    ['an empty ID', ''],
    ['an ID with a space', 'a b'],
    ['a reserved $ ID', '$hub'],
    ['a 65-byte ID', 'x'.repeat(65)],
    ['an ID with a control character', 'a\u0007'],
  ])('refuses %s with INVALID_ID and closes', async (_, id) => {
    const h = await startHub(cleanup);
    const client = await h.connect();
    client.send(encodeHello({ id }));
    await expectRefused(client, ErrorCode.INVALID_ID);
    expect(h.hub.moduleIds()).toEqual([]);
  });

  it('refuses an ID that is not valid UTF-8 with INVALID_ID', async () => {
    const h = await startHub(cleanup);
    const client = await h.connect();
    // HELLO: version 1, flags 0, idLen 2, bytes C3 28 (a broken 2-byte sequence), empty token.
    client.send(Buffer.from('00000008' + '01' + '01' + '00' + '02' + 'c328' + '0000', 'hex'));
    await expectRefused(client, ErrorCode.INVALID_ID);
  });

  it('refuses a second holder of an ID with ID_IN_USE, naming the ID, and leaves the first holder working', async () => {
    const h = await startHub(cleanup);
    const first = await h.register('A');
    const peer = await h.register('B');
    const second = await h.connect();
    second.send(encodeHello({ id: 'A' }));
    await expectRefused(second, ErrorCode.ID_IN_USE);
    expect(second.errors()[0].ref).toBe('A');
    first.send(encodeMessage(MessageKind.UNICAST, 'B', 'still here'));
    const m = await expectMessage(peer, (x) => x.payload.toString() === 'still here', 'the first holder to still relay');
    expect(m.peer).toBe('A');
  });

  it('treats IDs differing only in case as two modules', async () => {
    const h = await startHub(cleanup);
    await h.register('Sensor');
    await h.register('sensor');
    expect(h.hub.moduleIds().sort()).toEqual(['Sensor', 'sensor']);
  });

  it('refuses a first frame that is not HELLO with HELLO_REQUIRED and closes', async () => {
    const h = await startHub(cleanup);
    const client = await h.connect();
    client.send(encodeMessage(MessageKind.UNICAST, 'B', 'hi'));
    await expectRefused(client, ErrorCode.HELLO_REQUIRED);
  });

  it('refuses a second HELLO on a registered connection with DUPLICATE_HELLO and frees the ID', async () => {
    const h = await startHub(cleanup);
    const client = await h.register('A');
    client.send(encodeHello({ id: 'A' }));
    await client.waitForError(ErrorCode.DUPLICATE_HELLO);
    await client.waitForClose();
    await waitUntil(() => h.hub.moduleIds().length === 0, 'the ID to be freed');
  });

  it('answers an unknown frame type with UNKNOWN_FRAME_TYPE but keeps the connection', async () => {
    const h = await startHub(cleanup);
    const client = await h.register('A');
    client.send(Buffer.from('000000017f', 'hex'));
    await client.waitForError(ErrorCode.UNKNOWN_FRAME_TYPE);
    expect(await roundTrip(client, 1)).toEqual(['A']);
    expect(client.closed).toBe(false);
  });

  it('requires the configured token: missing or wrong is BAD_TOKEN, right is welcomed', async () => {
    const h = await startHub(cleanup, { token: 's3cret' });
    const missing = await h.connect();
    missing.send(encodeHello({ id: 'A' }));
    await expectRefused(missing, ErrorCode.BAD_TOKEN);
    const wrong = await h.connect();
    wrong.send(encodeHello({ id: 'A', token: 's3cres' }));
    await expectRefused(wrong, ErrorCode.BAD_TOKEN);
    const right = await h.connect();
    expect((await right.hello('A', { token: 's3cret' })).welcome?.id).toBe('A');
  });

  it('refuses the connection beyond maxConnections with TOO_MANY_CONNECTIONS and leaves the others working', async () => {
    const h = await startHub(cleanup, { maxConnections: 2 });
    const a = await h.register('A');
    const b = await h.register('B');
    const third = await h.connect();
    // The hub refuses at accept time: the third client never has to say anything.
    await expectRefused(third, ErrorCode.TOO_MANY_CONNECTIONS);
    a.send(encodeMessage(MessageKind.UNICAST, 'B', 'a→b'));
    b.send(encodeMessage(MessageKind.UNICAST, 'A', 'b→a'));
    await expectMessage(b, (m) => m.payload.toString() === 'a→b', 'A to reach B');
    await expectMessage(a, (m) => m.payload.toString() === 'b→a', 'B to reach A');
    expect(h.hub.snapshot().totals.connectionsRejected).toBe(1);
  });
});

describe('relaying between modules', () => {
  it('relays unicast both ways with the source ID in place of the destination', async () => {
    const h = await startHub(cleanup);
    const a = await h.register('A');
    const b = await h.register('B');
    a.send(encodeMessage(MessageKind.UNICAST, 'B', 'hello B', 17));
    const atB = await expectMessage(b, () => true, 'a message at B');
    expect(atB).toEqual({ kind: MessageKind.UNICAST, correlationId: 17, peer: 'A', payload: Buffer.from('hello B') });
    b.send(encodeMessage(MessageKind.UNICAST, 'A', Buffer.from([0, 1, 2, 255])));
    const atA = await expectMessage(a, () => true, 'a message at A');
    expect(atA).toEqual({ kind: MessageKind.UNICAST, correlationId: 0, peer: 'B', payload: Buffer.from([0, 1, 2, 255]) });
  });

  it('delivers a broadcast exactly once to every other module and not to the sender', async () => {
    const h = await startHub(cleanup);
    const ids = ['M0', 'M1', 'M2', 'M3', 'M4'];
    const clients = await Promise.all(ids.map((id) => h.register(id)));
    const [sender, ...receivers] = clients;
    sender.send(encodeMessage(MessageKind.BROADCAST, '', 'to all', 3));
    // A unicast fence after the broadcast: per-pair order means the broadcast arrived before it.
    for (const id of ids.slice(1)) sender.send(encodeMessage(MessageKind.UNICAST, id, 'fence'));
    for (const receiver of receivers) {
      await expectMessage(receiver, (m) => m.payload.toString() === 'fence', 'the fence');
      const broadcasts = receiver.messages().filter((m) => m.kind === MessageKind.BROADCAST);
      expect(broadcasts).toEqual([{ kind: MessageKind.BROADCAST, correlationId: 3, peer: 'M0', payload: Buffer.from('to all') }]);
    }
    await roundTrip(sender, 1);
    expect(sender.messages()).toEqual([]);
  });

  it('answers a message to an unknown module with NO_SUCH_MODULE carrying the correlation ID and the ref', async () => {
    const h = await startHub(cleanup);
    const a = await h.register('A');
    a.send(encodeMessage(MessageKind.REQUEST, 'ghost', 'anyone?', 42));
    const error = await a.waitForError(ErrorCode.NO_SUCH_MODULE);
    expect(error).toMatchObject({ code: ErrorCode.NO_SUCH_MODULE, correlationId: 42, ref: 'ghost' });
    expect(await roundTrip(a, 2)).toEqual(['A']);
  });

  it('relays requests and replies with their correlation IDs, answered out of order', async () => {
    const h = await startHub(cleanup);
    const a = await h.register('A');
    const b = await h.register('B');
    for (const corr of [101, 102, 103]) a.send(encodeMessage(MessageKind.REQUEST, 'B', `q${corr}`, corr));
    await b.waitFor(() => b.messages().length === 3, 'three requests at B');
    for (const request of b.messages()) {
      expect(request.kind).toBe(MessageKind.REQUEST);
      expect(request.peer).toBe('A');
      expect(request.payload.toString()).toBe(`q${request.correlationId}`);
    }
    for (const corr of [103, 101, 102]) b.send(encodeMessage(MessageKind.REPLY, 'A', `r${corr}`, corr));
    await a.waitFor(() => a.messages().length === 3, 'three replies at A');
    expect(a.messages().map((m) => [m.kind, m.peer, m.correlationId, m.payload.toString()])).toEqual([
      [MessageKind.REPLY, 'B', 103, 'r103'],
      [MessageKind.REPLY, 'B', 101, 'r101'],
      [MessageKind.REPLY, 'B', 102, 'r102'],
    ]);
  });

  it('tells the requester PEER_GONE for each unanswered request when the responder disconnects', async () => {
    const h = await startHub(cleanup);
    const a = await h.register('A');
    const b = await h.register('B');
    a.send(encodeMessage(MessageKind.REQUEST, 'B', 'answered', 5), encodeMessage(MessageKind.REQUEST, 'B', 'pending', 6));
    await b.waitFor(() => b.messages().length === 2, 'both requests at B');
    b.send(encodeMessage(MessageKind.REPLY, 'A', 'done', 5));
    await expectMessage(a, (m) => m.correlationId === 5, 'the reply to 5');
    await b.close();
    const gone = await a.waitForError(ErrorCode.PEER_GONE);
    expect(gone).toMatchObject({ correlationId: 6, ref: 'B' });
    await roundTrip(a, 1);
    expect(a.errors().filter((e) => e.code === ErrorCode.PEER_GONE)).toHaveLength(1);
  });

  it('keeps per-pair order for 10,000 numbered messages from each of two senders', async () => {
    const h = await startHub(cleanup);
    const a = await h.register('A');
    const c = await h.register('C');
    const b = await h.register('B');
    const count = 10_000;
    const numbered = (n: number): Buffer => {
      const payload = Buffer.alloc(8);
      payload.writeUInt32BE(n, 0);
      payload.writeUInt32BE(n ^ 0x5a5a5a5a, 4);
      return payload;
    };
    for (let start = 0; start < count; start += 500) {
      const batch = Array.from({ length: 500 }, (_, i) => encodeMessage(MessageKind.UNICAST, 'B', numbered(start + i), start + i));
      a.send(...batch);
      c.send(...batch);
    }
    await b.waitFor(() => b.count(FrameType.MESSAGE) >= 2 * count, `${2 * count} messages at B`, 20_000);
    const next: Record<string, number> = { A: 0, C: 0 };
    for (const m of b.messages()) {
      const n = m.payload.readUInt32BE(0);
      expect(m.payload.readUInt32BE(4)).toBe((n ^ 0x5a5a5a5a) >>> 0);
      expect(m.correlationId).toBe(n);
      expect(n).toBe(next[m.peer]);
      next[m.peer]++;
    }
    expect(next).toEqual({ A: count, C: count });
  });

  it('notifies presence subscribers of joins and leaves until they unsubscribe', async () => {
    const h = await startHub(cleanup);
    const watcher = await h.register('W');
    watcher.send(encodeSubscribePresence(7, true));
    const ok = await watcher.waitForFrame((f) => f.type === FrameType.OK, 'OK');
    expect(parseBody(ok, (buf, s, e) => parseCorrelationOnly(buf, s, e, 'OK'))).toBe(7);
    const b = await h.register('B');
    await b.close();
    const presence = (): { event: number; id: string }[] => watcher.ofType(FrameType.PRESENCE).map((f) => parseBody(f, parsePresence));
    await watcher.waitFor(() => presence().length === 2, 'join and leave of B');
    expect(presence()).toEqual([
      { event: PresenceEvent.JOIN, id: 'B' },
      { event: PresenceEvent.LEAVE, id: 'B' },
    ]);

    watcher.send(encodeSubscribePresence(8, false));
    await watcher.waitForFrame((f) => f.type === FrameType.OK && f.body.readUInt32BE(0) === 8, 'OK 8');
    const c = await h.register('C');
    await c.close();
    await waitUntil(() => !h.hub.moduleIds().includes('C'), 'C to leave');
    await roundTrip(watcher, 9);
    expect(presence()).toHaveLength(2);
  });

  it('lists the connected modules but not monitors', async () => {
    const h = await startHub(cleanup);
    const a = await h.register('A');
    await h.register('B');
    await h.register('mon', { flags: HelloFlag.MONITOR });
    expect((await roundTrip(a, 12)).sort()).toEqual(['A', 'B']);
  });

  it('relays a payload of exactly maxPayload and closes a sender that exceeds it with FRAME_TOO_LARGE', async () => {
    const h = await startHub(cleanup, { maxPayload: 1024 });
    const a = await h.register('A');
    const b = await h.register('B');
    const c = await h.register('C');
    a.send(encodeMessage(MessageKind.UNICAST, 'B', Buffer.alloc(1024, 1)));
    const delivered = await expectMessage(b, () => true, 'the 1024-byte message');
    expect(delivered.payload.length).toBe(1024);
    a.send(encodeMessage(MessageKind.UNICAST, 'B', Buffer.alloc(1025, 2)));
    await a.waitForError(ErrorCode.FRAME_TOO_LARGE);
    await a.waitForClose();
    c.send(encodeMessage(MessageKind.UNICAST, 'B', 'after'));
    await expectMessage(b, (m) => m.payload.toString() === 'after', 'C to still reach B');
    expect(b.messages().map((m) => m.payload.length)).toEqual([1024, 5]);
  });
});

describe('slow consumers', () => {
  const queueLimit = 64 * 1024;
  const payload = Buffer.alloc(4096, 0xab);

  /**
   * Sends 4 KiB messages from `sender` to "S" in batches, letting the hub handle each batch, until the
   * sender is told DESTINATION_OVERLOADED; gives up after 64 MiB. Returns how many were sent.
   */
  async function floodUntilOverloaded(sender: RawClient): Promise<number> {
    let sent = 0;
    for (let batch = 1; batch <= 1024; batch++) {
      const frames = Array.from({ length: 16 }, (_, i) => {
        const body = Buffer.from(payload);
        body.writeUInt32BE(sent + i, 0);
        return encodeMessage(MessageKind.UNICAST, 'S', body, sent + i);
      });
      sender.send(...frames);
      sent += frames.length;
      await roundTrip(sender, batch);
      if (sender.errors().some((e) => e.code === ErrorCode.DESTINATION_OVERLOADED)) return sent;
    }
    throw new Error('the hub never reported DESTINATION_OVERLOADED');
  }

  it('disconnects a module that stops reading with SLOW_CONSUMER and tells the sender DESTINATION_OVERLOADED', async () => {
    const h = await startHub(cleanup, { queueLimit });
    const leaves: HubEvent[] = [];
    cleanup.add(h.hub.onEvents((batch) => leaves.push(...batch.filter((e) => e.type === 'leave'))));
    const slow = await h.register('S');
    slow.pause();
    const sender = await h.register('P');
    const x = await h.register('X');
    const y = await h.register('Y');
    await floodUntilOverloaded(sender);

    const overloaded = sender.errors().filter((e) => e.code === ErrorCode.DESTINATION_OVERLOADED);
    expect(overloaded[0].ref).toBe('S');
    expect(h.hub.moduleIds()).not.toContain('S');
    expect(h.hub.snapshot().totals.slowConsumerDisconnects).toBe(1);
    await waitUntil(() => leaves.find((e) => e.type === 'leave' && e.id === 'S'), 'the leave event of S');
    expect(leaves.find((e) => e.type === 'leave' && e.id === 'S')).toMatchObject({ code: ErrorCode.SLOW_CONSUMER });
    expect(sender.closed).toBe(false);

    x.send(encodeMessage(MessageKind.UNICAST, 'Y', 'still relaying'));
    await expectMessage(y, (m) => m.payload.toString() === 'still relaying', 'X to reach Y');
    sender.send(encodeMessage(MessageKind.UNICAST, 'Y', 'sender too'));
    await expectMessage(y, (m) => m.payload.toString() === 'sender too', 'P to reach Y');
    // Once it reads again the slow module finds its connection ended by the hub.
    slow.socket.resume();
    await slow.waitForClose();
  });

  it("keeps a slow module connected under the 'drop' policy, counting exactly the messages it missed", async () => {
    const h = await startHub(cleanup, { queueLimit, slowConsumerPolicy: 'drop' });
    const slow = await h.register('S');
    slow.pause();
    const sender = await h.register('P');
    const sent = await floodUntilOverloaded(sender);

    const snapshot = h.hub.snapshot();
    const slowStats = snapshot.modules.find((m) => m.id === 'S')?.stats;
    expect(slowStats).toBeDefined();
    expect(slowStats?.drops).toBeGreaterThan(0);
    expect(snapshot.totals.drops).toBe(slowStats?.drops);
    expect(snapshot.totals.slowConsumerDisconnects).toBe(0);
    const overloaded = sender.errors().filter((e) => e.code === ErrorCode.DESTINATION_OVERLOADED);
    expect(overloaded).toHaveLength(slowStats?.drops ?? -1);

    slow.socket.resume();
    const expected = sent - (slowStats?.drops ?? 0);
    await slow.waitFor(() => slow.count(FrameType.MESSAGE) >= expected, `${expected} messages at S`, 20_000);
    await roundTrip(slow, 1);
    const numbers = slow.messages().map((m) => m.correlationId);
    expect(numbers).toHaveLength(expected);
    for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBeGreaterThan(numbers[i - 1]);
    expect(slow.closed).toBe(false);
  });
});

describe('keepalive and takeover', () => {
  it('keeps a module that answers PINGs and closes a silent one with IDLE_TIMEOUT', async () => {
    const h = await startHub(cleanup, { idleTimeoutMs: 300 });
    const live = await h.register('live', {}, { autoPong: true });
    const silent = await h.register('silent');
    await silent.waitForError(ErrorCode.IDLE_TIMEOUT);
    await silent.waitForClose();
    expect(silent.count(FrameType.PING)).toBeGreaterThanOrEqual(1);
    // Several PINGs answered means the live module has outlived more than one idle period.
    await live.waitFor(() => live.count(FrameType.PING) >= 4, 'four PINGs at the live module');
    expect(live.closed).toBe(false);
    expect(h.hub.moduleIds()).toEqual(['live']);
    expect(live.errors()).toEqual([]);
  });

  it('refuses a TAKEOVER of an ID whose holder answers the probe', async () => {
    const h = await startHub(cleanup, { takeoverProbeMs: 200 });
    const holder = await h.register('T', {}, { autoPong: true });
    const newcomer = await h.connect();
    newcomer.send(encodeHello({ id: 'T', flags: HelloFlag.TAKEOVER }));
    await expectRefused(newcomer, ErrorCode.ID_IN_USE);
    expect(holder.count(FrameType.PING)).toBe(1);
    expect(holder.closed).toBe(false);
    expect(await roundTrip(holder, 1)).toEqual(['T']);
  });

  it('hands the ID to a TAKEOVER when the holder does not read, closing the holder as REPLACED', async () => {
    const h = await startHub(cleanup, { takeoverProbeMs: 200 });
    const holder = await h.register('U');
    holder.pause();
    const other = await h.register('X');
    const newcomer = await h.connect();
    // The MESSAGE sent before WELCOME is held during the probe and relayed once the newcomer is registered.
    newcomer.send(encodeHello({ id: 'U', flags: HelloFlag.TAKEOVER }), encodeMessage(MessageKind.UNICAST, 'X', 'sent early'));
    const welcome = await newcomer.waitForFrame((f) => f.type === FrameType.WELCOME, 'WELCOME after the probe');
    expect(parseBody(welcome, parseWelcome).id).toBe('U');
    const early = await expectMessage(other, () => true, 'the held message');
    expect(early).toMatchObject({ peer: 'U', payload: Buffer.from('sent early') });
    other.send(encodeMessage(MessageKind.UNICAST, 'U', 'to the new U'));
    await expectMessage(newcomer, (m) => m.payload.toString() === 'to the new U', 'a message at the new U');

    holder.socket.resume();
    await holder.waitForError(ErrorCode.REPLACED);
    await holder.waitForClose();
  });
});

describe('monitors', () => {
  const traffic = (monitor: RawClient) => monitor.ofType(FrameType.TRAFFIC).map((f) => parseBody(f, parseTraffic));

  it('sees every relayed message exactly once with its source, destination, kind and payload, and no MESSAGE frames', async () => {
    const h = await startHub(cleanup);
    const monitor = await h.register('mon', { flags: HelloFlag.MONITOR });
    const a = await h.register('A');
    const b = await h.register('B');
    a.send(encodeMessage(MessageKind.UNICAST, 'B', 'u', 1));
    a.send(encodeMessage(MessageKind.BROADCAST, '', 'b', 2));
    a.send(encodeMessage(MessageKind.REQUEST, 'B', 'q', 3));
    await expectMessage(b, (m) => m.kind === MessageKind.REQUEST, 'the request at B');
    b.send(encodeMessage(MessageKind.REPLY, 'A', 'r', 3));
    await expectMessage(a, (m) => m.kind === MessageKind.REPLY, 'the reply at A');
    await roundTrip(monitor, 99);

    expect(traffic(monitor).map(({ kind, flags, correlationId, source, destination, payload }) => ({ kind, flags, correlationId, source, destination, payload: payload.toString() }))).toEqual([
      { kind: MessageKind.UNICAST, flags: 0, correlationId: 1, source: 'A', destination: 'B', payload: 'u' },
      { kind: MessageKind.BROADCAST, flags: 0, correlationId: 2, source: 'A', destination: '', payload: 'b' },
      { kind: MessageKind.REQUEST, flags: 0, correlationId: 3, source: 'A', destination: 'B', payload: 'q' },
      { kind: MessageKind.REPLY, flags: 0, correlationId: 3, source: 'B', destination: 'A', payload: 'r' },
    ]);
    const now = Date.now() * 1000;
    for (const t of traffic(monitor)) expect(Math.abs(t.timestampMicros - now)).toBeLessThan(60_000_000);
    expect(monitor.ofType(FrameType.MESSAGE)).toEqual([]);
    const joins = monitor
      .ofType(FrameType.EVENT)
      .map((f) => parseBody(f, parseEvent))
      .filter((e) => e.event === HubEventCode.JOIN);
    expect(joins.map((e) => e.id)).toEqual(['A', 'B']);
  });

  it('gives a TRAFFIC_RUNS monitor every relayed message exactly once, in order, and injected ones as TRAFFIC', async () => {
    const h = await startHub(cleanup);
    const monitor = await h.register('runs', { flags: HelloFlag.MONITOR | HelloFlag.TRAFFIC_RUNS });
    const a = await h.register('A');
    const b = await h.register('B');
    a.send(...Array.from({ length: 50 }, (_, i) => encodeMessage(MessageKind.UNICAST, 'B', `m${i}`, i)), encodeMessage(MessageKind.BROADCAST, '', 'all', 50));
    await b.waitFor(() => b.messages().length === 51, 'all 51 messages at B');
    h.hub.inject({ source: 'ui', destination: 'B', payload: 'poke' });
    await roundTrip(monitor, 1);
    const relayed = monitor.ofType(FrameType.TRAFFIC_RUN).flatMap((f) => parseBody(f, parseTrafficRun));
    expect(relayed.map((t) => [t.source, t.destination, t.correlationId, t.payload.toString()])).toEqual([...Array.from({ length: 50 }, (_, i) => ['A', 'B', i, `m${i}`]), ['A', '', 50, 'all']]);
    expect(traffic(monitor).map((t) => [t.flags, t.source, t.payload.toString()])).toEqual([[TrafficFlag.INJECTED, 'ui', 'poke']]);
  });

  it('answers STATS with JSON holding per-module statistics', async () => {
    const h = await startHub(cleanup);
    const monitor = await h.register('mon', { flags: HelloFlag.MONITOR });
    const a = await h.register('A');
    const b = await h.register('B');
    for (let i = 0; i < 3; i++) a.send(encodeMessage(MessageKind.UNICAST, 'B', 'abcd'));
    await b.waitFor(() => b.messages().length === 3, 'three messages at B');
    monitor.send(encodeStats(11));
    const reply = parseBody(await monitor.waitForFrame((f) => f.type === FrameType.STATS_REPLY, 'STATS_REPLY'), parseStatsReply);
    expect(reply.correlationId).toBe(11);
    const stats = JSON.parse(reply.json) as HubSnapshot;
    const byId = Object.fromEntries(stats.modules.map((m) => [m.id, m.stats]));
    expect(byId.A).toMatchObject({ messagesIn: 3, bytesIn: 12, messagesOut: 0 });
    expect(byId.B).toMatchObject({ messagesIn: 0, messagesOut: 3, bytesOut: 12 });
    expect(stats.monitors.map((m) => m.id)).toEqual(['mon']);
    expect(stats.totals.messages).toBe(3);
  });

  it('injects a message that reaches the destination with the chosen source ID', async () => {
    const h = await startHub(cleanup);
    const monitor = await h.register('mon', { flags: HelloFlag.MONITOR });
    const b = await h.register('B');
    monitor.send(encodeInject({ kind: MessageKind.UNICAST, correlationId: 21, source: 'pretend', destination: 'B', payload: Buffer.from('injected') }));
    const ok = await monitor.waitForFrame((f) => f.type === FrameType.OK, 'OK for the INJECT');
    expect(ok.body.readUInt32BE(0)).toBe(21);
    const m = await expectMessage(b, () => true, 'the injected message');
    expect(m).toEqual({ kind: MessageKind.UNICAST, correlationId: 21, peer: 'pretend', payload: Buffer.from('injected') });
    const copy = await monitor.waitFor(() => traffic(monitor)[0], 'the TRAFFIC copy of the injected message');
    expect(copy).toMatchObject({ flags: TrafficFlag.INJECTED, source: 'pretend', destination: 'B' });

    monitor.send(encodeInject({ kind: MessageKind.UNICAST, correlationId: 22, source: '', destination: 'nobody', payload: Buffer.from('x') }));
    const error = await monitor.waitForError(ErrorCode.NO_SUCH_MODULE);
    expect(error.correlationId).toBe(22);
  });

  it('kicks a module with KICKED, and its leave reaches presence subscribers and monitors', async () => {
    const h = await startHub(cleanup);
    const monitor = await h.register('mon', { flags: HelloFlag.MONITOR });
    const watcher = await h.register('W');
    watcher.send(encodeSubscribePresence(1, true));
    await watcher.waitForFrame((f) => f.type === FrameType.OK, 'OK');
    const victim = await h.register('V');
    monitor.send(encodeKick(31, 'V', 'misbehaving'));
    const error = await victim.waitForError(ErrorCode.KICKED);
    expect(error.message).toBe('misbehaving');
    await victim.waitForClose();
    expect((await monitor.waitForFrame((f) => f.type === FrameType.OK, 'OK for the KICK')).body.readUInt32BE(0)).toBe(31);
    await watcher.waitForFrame((f) => f.type === FrameType.PRESENCE && parseBody(f, parsePresence).event === PresenceEvent.LEAVE, 'the leave of V');
    const leave = await monitor.waitFor(
      () =>
        monitor
          .ofType(FrameType.EVENT)
          .map((f) => parseBody(f, parseEvent))
          .find((e) => e.event === HubEventCode.LEAVE && e.id === 'V'),
      'the LEAVE event of V',
    );
    expect(leave.code).toBe(ErrorCode.KICKED);
    expect(h.hub.moduleIds()).toEqual(['W']);
  });

  it('answers INJECT, KICK and STATS from a module with NOT_PERMITTED and keeps it connected', async () => {
    const h = await startHub(cleanup);
    const a = await h.register('A');
    await h.register('B');
    a.send(encodeInject({ kind: MessageKind.UNICAST, correlationId: 1, source: 'X', destination: 'B', payload: Buffer.from('x') }));
    a.send(encodeKick(2, 'B', 'no'));
    a.send(encodeStats(3));
    await a.waitFor(() => a.errors().length === 3, 'three errors');
    expect(a.errors().map((e) => [e.code, e.correlationId])).toEqual([
      [ErrorCode.NOT_PERMITTED, 1],
      [ErrorCode.NOT_PERMITTED, 2],
      [ErrorCode.NOT_PERMITTED, 3],
    ]);
    expect((await roundTrip(a, 4)).sort()).toEqual(['A', 'B']);
  });

  it('refuses an INJECT with an unknown message kind as MALFORMED_FRAME instead of delivering it', async () => {
    const h = await startHub(cleanup);
    const monitor = await h.register('mon', { flags: HelloFlag.MONITOR });
    const b = await h.register('B');
    monitor.send(encodeInject({ kind: 7 as MessageKind, correlationId: 23, source: 'pretend', destination: 'B', payload: Buffer.from('x') }));
    const error = await monitor.waitForError(ErrorCode.MALFORMED_FRAME);
    expect(error.correlationId).toBe(23);
    expect(monitor.closed).toBe(false);
    await roundTrip(b, 1);
    expect(b.messages()).toEqual([]);
  });

  it('does not let a monitor take the $hub name, so replies to in-process requests still reach the hub', async () => {
    const h = await startHub(cleanup);
    const monitor = await h.connect();
    const { welcome } = await monitor.hello(HUB_ENDPOINT_ID, { flags: HelloFlag.MONITOR });
    expect(welcome?.id).toMatch(/^\$monitor-/);
    const b = await h.register('B');
    const reply = h.hub.request({ destination: 'B', payload: 'q', timeoutMs: 2000 });
    const request = await expectMessage(b, () => true, 'the request from the hub');
    b.send(encodeMessage(MessageKind.REPLY, HUB_ENDPOINT_ID, 'a', request.correlationId));
    expect((await reply).payload.toString()).toBe('a');
    expect(monitor.messages()).toEqual([]);
  });

  it('answers MESSAGE from a monitor with NOT_PERMITTED', async () => {
    const h = await startHub(cleanup);
    const monitor = await h.register('mon', { flags: HelloFlag.MONITOR });
    await h.register('B');
    monitor.send(encodeMessage(MessageKind.UNICAST, 'B', 'x', 8));
    const error = await monitor.waitForError(ErrorCode.NOT_PERMITTED);
    expect(error.correlationId).toBe(8);
  });
});

describe('in-process API', () => {
  it('delivers batched join, message and leave events, with the full payload available by seq', async () => {
    const h = await startHub(cleanup, { eventBatchMs: 20 });
    const events: HubEvent[] = [];
    const batchSizes: number[] = [];
    const unsubscribe = h.hub.onEvents((batch) => {
      batchSizes.push(batch.length);
      events.push(...batch);
    });
    cleanup.add(unsubscribe);
    const a = await h.register('A');
    const b = await h.register('B');
    const payload = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    a.send(encodeMessage(MessageKind.UNICAST, 'B', payload, 4));
    await expectMessage(b, () => true, 'the message at B');
    await b.close();
    await waitUntil(() => events.some((e) => e.type === 'leave'), 'the leave event');

    expect(events.map((e) => [e.type, 'id' in e ? e.id : (e as MessageEvent).source])).toEqual([
      ['join', 'A'],
      ['join', 'B'],
      ['message', 'A'],
      ['leave', 'B'],
    ]);
    // Delivered as batches, none of them empty (a subscriber is never called with nothing).
    expect(batchSizes.length).toBeGreaterThan(0);
    expect(batchSizes.filter((size) => size === 0)).toEqual([]);
    const message = events.find((e): e is MessageEvent => e.type === 'message') as MessageEvent;
    expect(message).toMatchObject({ kind: 'unicast', source: 'A', destination: 'B', correlationId: 4, size: 100, injected: false });
    expect(Buffer.from(message.preview)).toEqual(payload.subarray(0, PREVIEW_BYTES));
    expect(h.hub.payload(message.seq)).toEqual(payload);
    expect(events.find((e) => e.type === 'leave')).toMatchObject({ role: 'module', code: 0 });
  });

  it('stops calling a subscriber once it unsubscribes', async () => {
    const h = await startHub(cleanup, { eventBatchMs: 10 });
    const first: HubEvent[] = [];
    const second: HubEvent[] = [];
    const unsubscribeFirst = h.hub.onEvents((batch) => first.push(...batch));
    cleanup.add(h.hub.onEvents((batch) => second.push(...batch)));
    await h.register('A');
    await waitUntil(() => first.length === 1 && second.length === 1, 'the join of A at both subscribers');
    unsubscribeFirst();
    await h.register('B');
    await waitUntil(() => second.length === 2, 'the join of B at the remaining subscriber');
    expect(first).toHaveLength(1);
  });

  it('sends a request as $hub and resolves with the module reply', async () => {
    const h = await startHub(cleanup);
    const b = await h.register('B');
    const reply = h.hub.request({ destination: 'B', payload: 'ping?' });
    const request = await expectMessage(b, () => true, 'the request from the hub');
    expect(request).toMatchObject({ kind: MessageKind.REQUEST, peer: HUB_ENDPOINT_ID, payload: Buffer.from('ping?') });
    b.send(encodeMessage(MessageKind.REPLY, HUB_ENDPOINT_ID, 'pong!', request.correlationId));
    const answer = await reply;
    expect(answer).toEqual({ source: 'B', payload: Buffer.from('pong!'), correlationId: request.correlationId });
  });

  it('injects with a chosen source and throws HubCommandError for unknown modules', async () => {
    const h = await startHub(cleanup);
    const b = await h.register('B');
    h.hub.inject({ source: 'ui', destination: 'B', payload: 'from the window' });
    const m = await expectMessage(b, () => true, 'the injected message');
    expect(m).toMatchObject({ kind: MessageKind.UNICAST, peer: 'ui', payload: Buffer.from('from the window') });
    let thrown: unknown;
    try {
      h.hub.inject({ destination: 'nobody', payload: 'x' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(HubCommandError);
    expect((thrown as HubCommandError).code).toBe(ErrorCode.NO_SUCH_MODULE);
    expect(() => h.hub.kick('nobody')).toThrow(HubCommandError);
    await expect(h.hub.request({ destination: 'nobody', payload: 'x' })).rejects.toBeInstanceOf(HubCommandError);
  });

  it('says BYE with SHUTDOWN to every connection when the hub closes', async () => {
    const h = await startHub(cleanup);
    const a = await h.register('A');
    await h.hub.close('maintenance');
    await a.waitForClose();
    const bye = a.ofType(FrameType.BYE)[0];
    expect(bye.body.readUInt16BE(0)).toBe(ErrorCode.SHUTDOWN);
    expect(bye.body.subarray(2).toString()).toBe('maintenance');
  });
});

// PING from a client is echoed with its body, so liveness probes can carry a token of their own.
describe('ping', () => {
  it('echoes a PING body of up to 8 bytes in the PONG', async () => {
    const h = await startHub(cleanup);
    const a = await h.register('A');
    a.send(encodePing(FrameType.PING, Buffer.from('12345678')));
    const pong = await a.waitForFrame((f) => f.type === FrameType.PONG, 'PONG');
    expect(pong.body.toString()).toBe('12345678');
  });
});
