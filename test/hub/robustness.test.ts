import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeHello, encodeList, encodeMessage, ErrorCode, FrameType, MessageKind, type RelayHub } from '../../electron/hub';
import { Cleanup } from '../support/cleanup';
import { startHub, type HubUnderTest } from '../support/hubFixture';
import { spawnTracked } from '../support/processes';
import { RawClient } from '../support/rawClient';
import { waitUntil } from '../support/waitUntil';

let cleanup: Cleanup;
beforeEach(() => {
  cleanup = new Cleanup();
});
afterEach(async () => {
  await cleanup.run();
});

/** Deterministic bytes (mulberry32), so a failing run can be replayed with the same garbage. */
function randomSource(seed: number): (n: number) => Buffer {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return (n) => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = next() & 0xff;
    return out;
  };
}

const checksum = (seq: number, body: Buffer): Buffer => createHash('sha256').update(String(seq)).update(body).digest().subarray(0, 8);

/** Payload: u32 sequence number, 8-byte checksum, then a body whose length varies with the number. */
function numberedPayload(seq: number, bytes: (n: number) => Buffer): Buffer {
  const body = bytes(seq % 300);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(seq, 0);
  return Buffer.concat([head, checksum(seq, body), body]);
}

/** Checks that `client` received exactly 0..count-1 from `source`, in order, each intact. */
function expectSequence(client: RawClient, source: string, count: number): void {
  const received = client.messages().filter((m) => m.peer === source);
  expect(received).toHaveLength(count);
  received.forEach((m, index) => {
    const seq = m.payload.readUInt32BE(0);
    expect(seq).toBe(index);
    expect(m.payload.subarray(4, 12)).toEqual(checksum(seq, m.payload.subarray(12)));
  });
}

/** The hub has no public count of connections that have not said HELLO yet, so the test reads it. */
function openConnections(hub: RelayHub): number {
  return (hub as unknown as { connections: Set<unknown> }).connections.size;
}

/** Proves the hub still accepts and relays: two fresh modules exchange a message. */
async function expectStillRelaying(h: HubUnderTest, tag: string): Promise<void> {
  const a = await h.register(`${tag}-a`);
  const b = await h.register(`${tag}-b`);
  a.send(encodeMessage(MessageKind.UNICAST, `${tag}-b`, 'alive'));
  await b.waitFor(() => b.messages().find((m) => m.payload.toString() === 'alive'), 'a message between fresh modules');
}

describe('robustness', () => {
  it('keeps two modules exchanging 5,000 checksummed messages each way intact while 50 clients send garbage', async () => {
    const h = await startHub(cleanup);
    const a = await h.register('A');
    const b = await h.register('B');
    const bytes = randomSource(0x5eed);
    const count = 5000;
    const batchSize = 250;

    const garbageClients: { client: RawClient; expectClosedWith?: number }[] = [];
    const sendGarbage = async (index: number): Promise<void> => {
      const client = await h.connect();
      const entry: { client: RawClient; expectClosedWith?: number } = { client };
      garbageClients.push(entry);
      switch (index % 6) {
        case 0: // random bytes instead of HELLO
          client.send(bytes(1 + ((index * 37) % 2000)));
          break;
        case 1: // a valid HELLO, then random bytes
          client.send(encodeHello({ id: `garbage-${index}` }), bytes(1 + ((index * 53) % 2000)));
          break;
        case 2: // a frame cut short: the header promises far more than ever arrives
          client.send(encodeHello({ id: `garbage-${index}` }), encodeMessage(MessageKind.UNICAST, 'B', Buffer.alloc(100_000)).subarray(0, 5000));
          await client.close();
          break;
        case 3: // the largest length a u32 can say
          client.send(Buffer.from('ffffffff01', 'hex'), bytes(100));
          entry.expectClosedWith = ErrorCode.FRAME_TOO_LARGE;
          break;
        case 4: // a zero length after HELLO
          client.send(encodeHello({ id: `garbage-${index}` }), Buffer.from('00000000', 'hex'));
          entry.expectClosedWith = ErrorCode.MALFORMED_FRAME;
          break;
        case 5: // a MESSAGE whose destination length runs past the frame
          client.send(encodeHello({ id: `garbage-${index}` }), Buffer.from('00000008' + '10' + '00' + '00' + '00000000' + 'ff', 'hex'));
          entry.expectClosedWith = ErrorCode.MALFORMED_FRAME;
          break;
      }
    };

    let garbageSent = 0;
    for (let start = 0; start < count; start += batchSize) {
      const toB: Buffer[] = [];
      const toA: Buffer[] = [];
      for (let seq = start; seq < start + batchSize; seq++) {
        toB.push(encodeMessage(MessageKind.UNICAST, 'B', numberedPayload(seq, bytes), seq));
        toA.push(encodeMessage(MessageKind.UNICAST, 'A', numberedPayload(seq, bytes), seq));
      }
      a.send(...toB);
      b.send(...toA);
      // Spread the 50 garbage clients over the exchange: 2 or 3 per batch of 250 messages.
      const garbageTarget = Math.round(((start + batchSize) / count) * 50);
      while (garbageSent < garbageTarget) await sendGarbage(garbageSent++);
    }
    expect(garbageSent).toBe(50);

    await b.waitFor(() => b.count(FrameType.MESSAGE) >= count, `${count} messages at B`, 20_000);
    await a.waitFor(() => a.count(FrameType.MESSAGE) >= count, `${count} messages at A`, 20_000);
    a.send(encodeList(1));
    b.send(encodeList(1));
    await a.waitForFrame((f) => f.type === FrameType.LIST_REPLY, 'LIST_REPLY at A');
    await b.waitForFrame((f) => f.type === FrameType.LIST_REPLY, 'LIST_REPLY at B');
    expectSequence(b, 'A', count);
    expectSequence(a, 'B', count);
    expect(a.errors()).toEqual([]);
    expect(b.errors()).toEqual([]);
    expect(a.closed || b.closed).toBe(false);

    for (const { client, expectClosedWith } of garbageClients) {
      // Whatever a garbage client sent, what the hub sent back was well-formed.
      expect(client.decodeError).toBeNull();
      if (expectClosedWith !== undefined) {
        await client.waitForError(expectClosedWith);
        await client.waitForClose();
      }
    }
    await expectStillRelaying(h, 'after-garbage');
  });

  it('frees the ID of a client process killed in the middle of writing a large frame, without disturbing others', async () => {
    const h = await startHub(cleanup);
    const a = await h.register('A');
    const b = await h.register('B');
    const socketPath = (h.address as { path: string }).path;
    // The child says HELLO, waits for WELCOME, then starts an 8 MiB MESSAGE to B and writes only
    // part of it, reporting each chunk the kernel took, and never finishes.
    const script = `
      const net = require('net');
      const socket = net.connect(${JSON.stringify(socketPath)});
      const frame = (type, body) => { const h = Buffer.alloc(5); h.writeUInt32BE(body.length + 1); h[4] = type; return Buffer.concat([h, body]); };
      socket.write(frame(0x01, Buffer.concat([Buffer.from([1, 0, 6]), Buffer.from('victim'), Buffer.alloc(2)])));
      socket.once('data', () => {
        const payloadLength = 8 * 1024 * 1024;
        const header = Buffer.alloc(5 + 7 + 1);
        header.writeUInt32BE(1 + 7 + 1 + payloadLength);
        header[4] = 0x10;
        header[11] = 1;
        header[12] = 0x42;
        socket.write(header);
        let written = 0;
        const next = () => {
          if (written >= 4 * 1024 * 1024) return;
          socket.write(Buffer.alloc(64 * 1024, 7), () => { written += 64 * 1024; console.log('written ' + written); next(); });
        };
        next();
      });
      setInterval(() => {}, 1000);
    `;
    const child = spawnTracked(cleanup, process.execPath, ['-e', script]);
    await waitUntil(() => h.hub.moduleIds().includes('victim'), 'the child to register as "victim"');
    await waitUntil(() => /written \d{6,}/.test(child.stdout()), 'the child to be part-way through its frame');

    a.send(encodeMessage(MessageKind.UNICAST, 'B', 'during'));
    child.child.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    await waitUntil(() => !h.hub.moduleIds().includes('victim'), 'the ID "victim" to be freed');

    a.send(encodeMessage(MessageKind.UNICAST, 'B', 'after'));
    await b.waitFor(() => b.messages().length === 2, 'both messages at B');
    expect(b.messages().map((m) => [m.peer, m.payload.toString()])).toEqual([
      ['A', 'during'],
      ['A', 'after'],
    ]);
    const again = await h.register('victim');
    expect(again.closed).toBe(false);
  });

  it('returns to zero connections and keeps working after 2,000 rapid connect/disconnect cycles', async () => {
    const h = await startHub(cleanup);
    const cycles = 2000;
    const batchSize = 100;
    const cycle = async (index: number): Promise<void> => {
      const client = await RawClient.connect(h.address);
      switch (index % 4) {
        case 0: // gone before saying anything
          break;
        case 1: // gone right after HELLO, before the WELCOME is read
          client.send(encodeHello({ id: `cycle-${index}` }));
          break;
        case 2: // a full handshake, then gone
          await client.hello(`cycle-${index}`);
          break;
        case 3: // gone halfway through a frame
          client.send(encodeHello({ id: `cycle-${index}` }).subarray(0, 6));
          break;
      }
      await client.close();
    };
    for (let start = 0; start < cycles; start += batchSize) {
      await Promise.all(Array.from({ length: batchSize }, (_, i) => cycle(start + i)));
    }
    await waitUntil(() => openConnections(h.hub) === 0, 'the hub to have no connections left', 10_000);
    const snapshot = h.hub.snapshot();
    expect(snapshot.modules).toEqual([]);
    expect(snapshot.totals.connectionsAccepted).toBe(cycles);
    await expectStillRelaying(h, 'after-cycles');
  });
});
