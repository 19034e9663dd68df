/**
 * Relayed frames copied as they came with only the peer ID replaced (electron/hub/RelayRun.ts):
 * one write from a module holding many frames, to destinations whose IDs are and are not as long as
 * the sender's, interleaved with control frames and crossing the 64 KiB output slab, arrives at each
 * destination byte-exact and in order, with the sender as the source.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeList, encodeMessage, FrameType, MessageKind, parseMessage } from '../../electron/hub';
import { Cleanup } from '../support/cleanup';
import { startHub } from '../support/hubFixture';
import { parseBody } from '../support/rawClient';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function payloadOf(i: number, size: number): Buffer {
  const payload = Buffer.alloc(size);
  for (let j = 0; j < size; j++) payload[j] = (i * 31 + j) & 0xff;
  return payload;
}

describe('relaying runs of frames', () => {
  it('delivers every frame of one write exactly, in order, with the source rewritten, whatever the ID lengths', async () => {
    const { register } = await startHub(cleanup);
    const sender = await register('A');
    const same = await register('B');
    const longer = await register('CCC');
    const frames: Buffer[] = [];
    const expected: { to: 'B' | 'CCC' | ''; kind: MessageKind; correlationId: number; payload: Buffer }[] = [];
    // 3,000 frames of 1-200 bytes (about 300 KiB): several output slabs for B; every seventh goes to
    // CCC, whose ID is longer than the sender's; every eleventh is a broadcast, written between the
    // frames of a run; every 500th is followed by a LIST request.
    for (let i = 0; i < 3000; i++) {
      const to = i % 11 === 5 ? '' : i % 7 === 3 ? 'CCC' : 'B';
      const kind = to === '' ? MessageKind.BROADCAST : i % 5 === 0 ? MessageKind.REQUEST : MessageKind.UNICAST;
      const payload = payloadOf(i, 1 + ((i * 37) % 200));
      frames.push(encodeMessage(kind, to, payload, i + 1));
      expected.push({ to, kind, correlationId: i + 1, payload });
      if (i % 500 === 499) frames.push(encodeList(9000 + i));
    }
    sender.send(Buffer.concat(frames));
    const count = (to: string) => expected.filter((e) => e.to === to || e.to === '').length;
    await same.waitForFrame(() => same.count(FrameType.MESSAGE) === count('B'), 'every message to B', 10_000);
    await longer.waitForFrame(() => longer.count(FrameType.MESSAGE) === count('CCC'), 'every message to CCC', 10_000);
    for (const [client, to] of [
      [same, 'B'],
      [longer, 'CCC'],
    ] as const) {
      const got = client.ofType(FrameType.MESSAGE).map((frame) => parseBody(frame, parseMessage));
      const want = expected.filter((e) => e.to === to || e.to === '');
      expect(got.length).toBe(want.length);
      for (let k = 0; k < want.length; k++) {
        expect(got[k].peer).toBe('A');
        expect(got[k].kind).toBe(want[k].kind);
        expect(got[k].correlationId).toBe(want[k].correlationId);
        expect(got[k].payload.equals(want[k].payload)).toBe(true);
      }
    }
    await sender.waitForFrame(() => sender.count(FrameType.LIST_REPLY) === 6, 'six LIST replies', 10_000);
    expect(sender.errors()).toEqual([]);
  });
});
