import { describe, expect, it } from 'vitest';
import { displayTime, formatSeconds } from '../../renderer/src/format/timeDisplay';
import { formatMicros } from '../../renderer/src/format/timeFormat';
import { TimeDisplay } from '../../renderer/src/state/TimeDisplay';
import { TrafficStore } from '../../renderer/src/state/TrafficStore';
import { messageEvent } from './eventFixtures';

const T0 = 1_700_000_000_000_000;

class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

describe('time display formats', () => {
  const basis = { firstMicros: T0, previousMicros: T0 + 1_000_000, referenceMicros: T0 + 2_500_000 };

  it('shows a row’s time of day, or seconds since the first message, the previous row shown, or the reference row', () => {
    const time = T0 + 2_000_345;
    expect(displayTime('absolute', time, basis)).toBe(formatMicros(time));
    expect(displayTime('relative', time, basis)).toBe('2.000345');
    expect(displayTime('delta', time, basis)).toBe('1.000345');
    expect(displayTime('reference', time, basis)).toBe('-0.499655');
  });

  it('counts from the row itself where there is nothing before it, and from the first message without a reference', () => {
    const none = { firstMicros: null, previousMicros: null, referenceMicros: null };
    expect(displayTime('relative', T0, none)).toBe('0.000000');
    expect(displayTime('delta', T0, none)).toBe('0.000000');
    expect(displayTime('reference', T0 + 3_000_000, { ...none, firstMicros: T0 })).toBe('3.000000');
  });

  it('counts relative times from the first message the store holds, not from a join before it', () => {
    const store = new TrafficStore(10);
    store.append([{ type: 'join', time: T0, id: 'A', transport: 'unix', listener: '/tmp/hub.sock' } as never, messageEvent({ source: 'A', destination: 'B', time: T0 + 700_000 })]);
    expect(store.firstTimeMicros).toBe(T0 + 700_000);
    store.append([messageEvent({ source: 'A', destination: 'B', time: T0 + 900_000 })]);
    expect(store.firstTimeMicros).toBe(T0 + 700_000);
  });

  it('writes seconds with six digits and a sign only when negative', () => {
    expect([0, 1, 999_999, 61_000_001, -250_000].map(formatSeconds)).toEqual(['0.000000', '0.000001', '0.999999', '61.000001', '-0.250000']);
  });

  it('remembers the chosen format in storage, and ignores a saved value that is not a format', () => {
    const storage = new MemoryStorage();
    new TimeDisplay(storage).setMode('delta');
    expect(storage.items.get('relayscope.timeMode')).toBe('delta');
    expect(new TimeDisplay(storage).mode).toBe('delta');
    storage.setItem('relayscope.timeMode', 'sideways');
    expect(new TimeDisplay(storage).mode).toBe('absolute');
    expect(new TimeDisplay(null).mode).toBe('absolute');
  });

  it('sets a reference row, switching to times against it, and unsets it when the same row is chosen again', () => {
    const display = new TimeDisplay(new MemoryStorage());
    const versions: number[] = [];
    display.subscribe(() => versions.push(display.getVersion()));
    display.toggleReference({ rowNumber: 5, timeMicros: T0 });
    expect(display.mode).toBe('reference');
    expect(display.reference).toEqual({ rowNumber: 5, timeMicros: T0 });
    display.toggleReference({ rowNumber: 5, timeMicros: T0 });
    expect(display.reference).toBeNull();
    expect(versions).toHaveLength(2);
  });
});
