import { describe, expect, it } from 'vitest';
import type { WireEvent, WireModule, WireSnapshot } from '../../electron/bridge/contract';
import { RATE_WINDOW_MS, RateHistory } from '../../renderer/src/state/RateHistory';
import { wireModule, wireSnapshot } from './eventFixtures';

function moduleWith(id: string, counters: { in?: number; out?: number; bytesIn?: number; bytesOut?: number } = {}): WireModule {
  return wireModule(id, { messagesIn: counters.in ?? 0, bytesIn: counters.bytesIn ?? 0, messagesOut: counters.out ?? 0, bytesOut: counters.bytesOut ?? 0 });
}

function snapshotAt(now: number, totals: { messages: number; bytes?: number }, modules: WireModule[] = []): WireSnapshot {
  return wireSnapshot(now, modules, totals);
}

function message(kind: 'unicast' | 'broadcast' | 'request' | 'reply', size: number): WireEvent {
  return { type: 'message', seq: 1, time: 0, kind, source: 'A', destination: kind === 'broadcast' ? null : 'B', correlationId: 0, size, injected: false, preview: '' } as WireEvent;
}

describe('RateHistory', () => {
  it('turns the change of the hub counters between two snapshots into the rate over that interval', () => {
    const history = new RateHistory();
    history.add(snapshotAt(0, { messages: 0 }));
    history.add(snapshotAt(1000, { messages: 5, bytes: 500 }));
    // One message in the two seconds after: 0.5/s for both, not a jump between 1 and 0.
    history.add(snapshotAt(3000, { messages: 6, bytes: 600 }));
    expect(history.all.map((sample) => [sample.at, sample.hub.messages, sample.hub.bytes])).toEqual([
      [1000, 5, 500],
      [3000, 0.5, 50],
    ]);
  });

  it('gives each module what it sent plus received per second, and counts a reconnected module from zero', () => {
    const history = new RateHistory();
    history.add(snapshotAt(0, { messages: 0 }, [moduleWith('A', { in: 10, bytesIn: 100 }), moduleWith('B', { out: 4 })]));
    history.add(snapshotAt(1000, { messages: 0 }, [moduleWith('A', { in: 12, out: 1, bytesIn: 120, bytesOut: 10 }), moduleWith('B', { out: 2 })]));
    const [sample] = history.all;
    expect(sample.perModule.get('A')).toEqual({ messages: 3, bytes: 30 });
    expect(sample.perModule.get('B')).toEqual({ messages: 2, bytes: 0 });
    expect(history.modules()).toEqual(['A', 'B']);
  });

  it('counts message events by kind, and ERRORs as their own kind, between snapshots', () => {
    const history = new RateHistory();
    history.add(snapshotAt(0, { messages: 0 }));
    history.countEvents([message('request', 10), message('reply', 20), message('request', 10), { type: 'error', time: 0, id: 'A', code: 3, codeName: 'NO_SUCH_MODULE', message: 'no B' } as WireEvent]);
    history.add(snapshotAt(2000, { messages: 3 }));
    const [sample] = history.all;
    expect(Object.fromEntries(sample.perKind)).toEqual({ request: { messages: 1, bytes: 10 }, reply: { messages: 0.5, bytes: 10 }, error: { messages: 0.5, bytes: 0 } });
    expect(history.kinds()).toEqual(['error', 'reply', 'request']);
    history.add(snapshotAt(3000, { messages: 3 }));
    expect(history.all[1].perKind.size).toBe(0);
  });

  it('keeps five minutes of samples', () => {
    const history = new RateHistory();
    for (let second = 0; second <= 400; second++) history.add(snapshotAt(second * 1000, { messages: second * second }));
    expect(history.all[0].at).toBe(400_000 - RATE_WINDOW_MS);
    expect(history.all[history.all.length - 1].hub.messages).toBe(400 * 400 - 399 * 399);
  });

  it('starts over when the backend clock goes back', () => {
    const history = new RateHistory();
    history.add(snapshotAt(50_000, { messages: 3 }));
    history.add(snapshotAt(51_000, { messages: 4 }));
    history.add(snapshotAt(1_000, { messages: 4 }));
    history.add(snapshotAt(2_000, { messages: 6 }));
    expect(history.all.map((sample) => [sample.at, sample.hub.messages])).toEqual([[2_000, 2]]);
  });
});
