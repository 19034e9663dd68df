import { describe, expect, it } from 'vitest';
import { defaultPayloadStoreBytes, HubEventStream } from '../../electron/hub/HubEventStream';
import type { HubEvent } from '../../electron/hub/hubEvents';

function messageEvent(seq: number): HubEvent {
  return { type: 'message', seq, time: 0, kind: 'unicast', source: 'A', destination: 'B', correlationId: 0, size: 1, preview: new Uint8Array([1]), injected: false };
}

function nextBatch(stream: HubEventStream): Promise<HubEvent[]> {
  return new Promise((resolve) => {
    const unsubscribe = stream.subscribe((batch) => {
      unsubscribe();
      resolve(batch);
    });
  });
}

describe('HubEventStream', () => {
  it('builds nothing while nobody subscribes', () => {
    const stream = new HubEventStream();
    expect(stream.active).toBe(false);
    stream.emit(messageEvent(1));
    stream.flush();
    expect(stream.active).toBe(false);
  });

  it('holds at most maxPendingEvents messages per batch and reports the rest in one lost event', async () => {
    const stream = new HubEventStream({ batchMs: 5, maxPendingEvents: 3 });
    const keep = stream.subscribe(() => {});
    const batch = nextBatch(stream);
    let built = 0;
    for (let i = 0; i < 10; i++) {
      const seq = stream.nextMessageSeq();
      if (seq === null) continue;
      built++;
      stream.emit(messageEvent(seq));
    }
    stream.emit({ type: 'join', time: 0, id: 'C', role: 'module', transport: 'unix', listener: '/x' });
    const events = await batch;
    keep();
    expect(built).toBe(3);
    expect(events.filter((e) => e.type === 'message')).toHaveLength(3);
    // Registry events are kept even when the batch is full.
    expect(events.filter((e) => e.type === 'join')).toHaveLength(1);
    expect(events.find((e) => e.type === 'lost')).toMatchObject({ count: 7 });
  });

  it('evicts the oldest payloads past its entry and byte bounds, and forgets them when the last subscriber leaves', () => {
    const stream = new HubEventStream({ payloadStoreEntries: 2, payloadStoreBytes: 10 });
    const unsubscribe = stream.subscribe(() => {});
    stream.storePayload(1, Buffer.from('aa'));
    stream.storePayload(2, Buffer.from('bb'));
    stream.storePayload(3, Buffer.from('cc'));
    expect(stream.payload(1)).toBeUndefined();
    expect(stream.payload(3)?.toString()).toBe('cc');
    stream.storePayload(4, Buffer.from('ddddddddd'));
    expect(stream.payload(2)).toBeUndefined();
    expect(stream.payload(3)).toBeUndefined();
    expect(stream.payload(4)?.toString()).toBe('ddddddddd');
    stream.storePayload(5, Buffer.alloc(11));
    expect(stream.payload(5)).toBeUndefined();
    unsubscribe();
    expect(stream.payload(4)).toBeUndefined();
  });

  it("keeps the table's 200,000 rows of 1 KiB payloads whole by default on a machine of 4 GiB or more, so a search covers every row; 64 MiB on a small device", () => {
    const GiB = 1024 ** 3;
    expect(defaultPayloadStoreBytes(512 * 1024 ** 2)).toBe(64 * 1024 ** 2);
    expect(defaultPayloadStoreBytes(24 * GiB)).toBe(256 * 1024 ** 2);
    if (defaultPayloadStoreBytes() < 200_000 * 1024) return;
    // On this machine: every one of 200,000 payloads of 1 KiB is still held after the last is stored.
    const stream = new HubEventStream();
    const keep = stream.subscribe(() => {});
    const payload = Buffer.alloc(1024, 0x61);
    for (let seq = 1; seq <= 200_000; seq++) stream.storePayload(seq, Buffer.from(payload));
    expect(stream.searchable.countAfter(0)).toBe(200_000);
    expect(stream.payload(1)?.length).toBe(1024);
    keep();
  });
});
