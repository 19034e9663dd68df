import { describe, expect, it } from 'vitest';
import type { WireEvent } from '../../electron/bridge/contract';
import { compileFilter, EMPTY_FILTER, type CompiledFilter, type FilterSpec } from '../../renderer/src/state/rowFilter';
import { TrafficStore } from '../../renderer/src/state/TrafficStore';
import { rowText } from '../../renderer/src/state/trafficRows';
import { messageEvent } from './eventFixtures';

function filterOf(spec: Partial<FilterSpec>): CompiledFilter {
  const result = compileFilter({ ...EMPTY_FILTER, ...spec });
  if (!result.ok) throw new Error(result.error);
  return result.filter;
}

function numbered(count: number, from = 0): WireEvent[] {
  return Array.from({ length: count }, (_, i) => messageEvent({ source: 'A', destination: 'B', payload: `m${from + i}` }));
}

function visibleTexts(store: TrafficStore): string[] {
  return Array.from({ length: store.visibleCount }, (_, i) => rowText(store.row(store.visibleRowNumberAt(i))!));
}

describe('TrafficStore ring buffer', () => {
  it('keeps every row while under the cap', () => {
    const store = new TrafficStore(10);
    store.append(numbered(7));
    expect(store.rowCount).toBe(7);
    expect(store.evictedCount).toBe(0);
    expect(visibleTexts(store)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  });

  it('holds at most the cap and counts the oldest rows it evicted', () => {
    const store = new TrafficStore(5);
    store.append(numbered(12));
    expect(store.rowCount).toBe(5);
    expect(store.evictedCount).toBe(7);
    expect(store.firstRowNumber).toBe(7);
    expect(visibleTexts(store)).toEqual(['m7', 'm8', 'm9', 'm10', 'm11']);
    expect(store.row(6)).toBeNull();
  });

  it('keeps rows in order while growing its storage past the initial allocation', () => {
    const store = new TrafficStore(5000);
    store.append(numbered(3000));
    expect(store.rowCount).toBe(3000);
    expect(rowText(store.row(0)!)).toBe('m0');
    expect(rowText(store.row(2999)!)).toBe('m2999');
  });

  it('materializes every field of a message row', () => {
    const store = new TrafficStore(4);
    store.append([
      {
        type: 'message',
        seq: 42,
        time: 1_700_000_000_123_456,
        kind: 'request',
        source: 'A',
        destination: 'B',
        correlationId: 7,
        size: 1000,
        preview: Buffer.from('ping').toString('base64'),
        injected: true,
      },
    ]);
    expect(store.row(0)).toEqual({
      rowNumber: 0,
      seq: 42,
      timeMicros: 1_700_000_000_123_456,
      kind: 'request',
      source: 'A',
      destination: 'B',
      correlationId: 7,
      size: 1000,
      injected: true,
      preview: new Uint8Array(Buffer.from('ping')),
      note: null,
    });
  });

  it("keeps a tapped chunk's direction, offset and partial flag across the ring's growth; other rows have none", () => {
    const store = new TrafficStore(5000);
    const chunks: WireEvent[] = Array.from({ length: 3000 }, (_, i) => ({
      ...messageEvent({ source: i % 2 ? 'server.sock' : 'curl[7]', destination: i % 2 ? 'curl[7]' : 'server.sock', payload: 'x' }),
      tap: { direction: i % 2 ? 'to-client' : 'to-upstream', offset: 2 ** 40 + i, partial: i % 3 === 0 },
    }));
    store.append([...chunks, messageEvent({ source: 'A', destination: 'B' })]);
    expect(store.row(0)?.tap).toEqual({ direction: 'to-upstream', offset: 2 ** 40, partial: true });
    expect(store.row(2999)?.tap).toEqual({ direction: 'to-client', offset: 2 ** 40 + 2999, partial: false });
    expect(store.row(3000)?.tap).toBeUndefined();
  });

  it('turns join, leave, error and lost events into rows that say what happened', () => {
    const store = new TrafficStore(10);
    store.append([
      { type: 'join', time: 1, id: 'A', role: 'module', transport: 'unix', listener: '/tmp/x.sock' },
      { type: 'leave', time: 2, id: 'A', role: 'module', reason: 'KICKED: maintenance', code: 9 },
      { type: 'error', time: 3, id: 'B', code: 4, codeName: 'NO_SUCH_MODULE', message: 'no module named C' },
      { type: 'lost', time: 4, count: 17 },
    ]);
    const rows = [0, 1, 2, 3].map((n) => store.row(n)!);
    expect(rows.map((row) => row.kind)).toEqual(['system', 'system', 'error', 'system']);
    expect(rows[0].note).toBe('joined (unix /tmp/x.sock)');
    expect(rows[1].note).toBe('left: KICKED: maintenance (code 9)');
    expect(rows[2]).toMatchObject({ source: '$hub', destination: 'B', note: 'NO_SUCH_MODULE: no module named C' });
    expect(rows[3].note).toContain('17 events skipped');
    expect(store.lostEvents).toBe(17);
  });

  it('shows a malformed event as a row instead of dropping the batch', () => {
    const store = new TrafficStore(10);
    const broken = { ...messageEvent({ source: 'A' }), preview: '!!not base64!!' } as WireEvent;
    store.append([broken, messageEvent({ source: 'A', payload: 'after' })]);
    expect(store.rowCount).toBe(2);
    expect(store.row(0)!.note).toContain('malformed event');
    expect(rowText(store.row(1)!)).toBe('after');
  });

  it('clears every row but keeps numbering so an old row number never names a new row', () => {
    const store = new TrafficStore(10);
    store.append(numbered(4));
    store.clear();
    expect(store.rowCount).toBe(0);
    expect(store.visibleCount).toBe(0);
    store.append(numbered(1, 100));
    expect(store.row(0)).toBeNull();
    expect(store.row(4)!.rowNumber).toBe(4);
  });

  it('keeps the newest rows when the cap shrinks', () => {
    const store = new TrafficStore(10);
    store.append(numbered(8));
    store.setCapacity(3);
    expect(visibleTexts(store)).toEqual(['m5', 'm6', 'm7']);
    store.append(numbered(1, 8));
    expect(visibleTexts(store)).toEqual(['m6', 'm7', 'm8']);
  });

  it('rejects a cap that is not a positive integer', () => {
    expect(() => new TrafficStore(0)).toThrow(RangeError);
  });

  it('notifies subscribers once per appended batch', () => {
    const store = new TrafficStore(10);
    let notifications = 0;
    store.subscribe(() => notifications++);
    store.append(numbered(5));
    store.append([]);
    expect(notifications).toBe(1);
  });
});

describe('TrafficStore pause and resume', () => {
  it('keeps storing while paused but freezes what the view shows, counting what is pending', () => {
    const store = new TrafficStore(100);
    store.append(numbered(3));
    store.pause();
    store.append(numbered(4, 3));
    expect(store.rowCount).toBe(7);
    expect(store.visibleCount).toBe(3);
    expect(store.pendingCount).toBe(4);
    store.resume();
    expect(store.visibleCount).toBe(7);
    expect(store.pendingCount).toBe(0);
  });

  it('says how many rows the ring evicted while paused', () => {
    const store = new TrafficStore(5);
    store.append(numbered(5));
    store.pause();
    store.append(numbered(3, 5));
    expect(store.evictedWhilePaused).toBe(3);
    expect(store.pendingCount).toBe(3);
    expect(visibleTexts(store)).toEqual(['m3', 'm4']);
    store.resume();
    expect(store.evictedWhilePaused).toBe(0);
    expect(visibleTexts(store)).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
  });

  it('shows nothing from before the pause once more than the cap arrived while paused', () => {
    const store = new TrafficStore(3);
    store.append(numbered(3));
    store.pause();
    store.append(numbered(10, 3));
    expect(store.visibleCount).toBe(0);
    expect(store.arrivedWhilePaused).toBe(10);
    expect(store.pendingCount).toBe(3);
    expect(store.evictedWhilePaused).toBe(10);
  });

  it('counts as pending only the arrivals that match the filter, which are what resume shows', () => {
    const store = new TrafficStore(100);
    store.setFilter(filterOf({ kinds: ['unicast'] }));
    store.pause();
    store.append([
      { type: 'join', time: 1, id: 'A', role: 'module', transport: 'unix', listener: '/tmp/x.sock' },
      messageEvent({ source: 'A', payload: 'one' }),
      { type: 'leave', time: 2, id: 'A', role: 'module', reason: 'said goodbye', code: 0 },
    ]);
    expect(store.arrivedWhilePaused).toBe(3);
    expect(store.pendingCount).toBe(1);
    store.resume();
    expect(visibleTexts(store)).toEqual(['one']);
  });

  it('applies the pause point to filtered views too', () => {
    const store = new TrafficStore(100);
    store.setFilter(filterOf({ text: 'keep' }));
    store.append([messageEvent({ source: 'A', payload: 'keep 1' }), messageEvent({ source: 'A', payload: 'drop' })]);
    store.pause();
    store.append([messageEvent({ source: 'A', payload: 'keep 2' })]);
    expect(store.matchCount).toBe(2);
    expect(store.visibleCount).toBe(1);
    expect(store.visibleIndexOf(2)).toBe(-1);
    store.resume();
    expect(store.visibleIndexOf(2)).toBe(1);
  });
});

describe('TrafficStore module IDs', () => {
  // Modules with generated names (a CLI `send` each) come and go, so the store now and then rebuilds
  // its table of module IDs from the rows it still holds. The row being added at that moment must
  // keep its own source and destination (bug 4: its source came out blank).
  it('keeps the source and destination of the row being added when the ID table is compacted', () => {
    const store = new TrafficStore(10);
    for (let i = 0; i < 5000; i++) {
      const source = `sender-${i}`;
      // Broadcasts name one new module and unicasts two, so compactions fall on sources and on destinations alike.
      const destination = i % 3 === 0 ? null : `receiver-${i}`;
      store.append([messageEvent({ source, destination, payload: `m${i}` })]);
      const row = store.row(store.endRowNumber - 1)!;
      expect({ message: i, source: row.source, destination: row.destination }).toEqual({ message: i, source, destination });
    }
  });

  it('keeps a module filter on its module when the ID table is compacted', () => {
    const store = new TrafficStore(10);
    store.setFilter(filterOf({ module: 'sensor', moduleSide: 'destination' }));
    for (let i = 0; i < 3000; i++) store.append([messageEvent({ source: `sender-${i}`, destination: i % 5 === 0 ? 'sensor' : `receiver-${i}` })]);
    // The ring holds messages 2990 to 2999, of which 2990 and 2995 went to the sensor.
    const visible = Array.from({ length: store.visibleCount }, (_, i) => store.row(store.visibleRowNumberAt(i))!);
    expect(visible.map((row) => `${row.source} → ${row.destination}`)).toEqual(['sender-2990 → sensor', 'sender-2995 → sensor']);
  });
});
