import { describe, expect, it } from 'vitest';
import type { WireEvent } from '../../electron/bridge/contract';
import { formatRoundTrip, roundTripLabel } from '../../renderer/src/state/conversations';
import { compileFilter, EMPTY_FILTER, type FilterSpec } from '../../renderer/src/state/rowFilter';
import { filterExpression } from '../../renderer/src/state/filterExpression';
import { TrafficStore } from '../../renderer/src/state/TrafficStore';
import { messageEvent } from './eventFixtures';

const T0 = 1_700_000_000_000_000;

function request(source: string, destination: string, correlationId: number, time: number): WireEvent {
  return { ...messageEvent({ source, destination, kind: 'request', time }), correlationId } as WireEvent;
}
function reply(source: string, destination: string, correlationId: number, time: number): WireEvent {
  return { ...messageEvent({ source, destination, kind: 'reply', time }), correlationId } as WireEvent;
}
function leave(id: string, time: number, reason = 'said goodbye'): WireEvent {
  return { type: 'leave', time, id, reason, code: 0 } as WireEvent;
}

describe('conversations: requests paired with their replies', () => {
  it('pairs a reply with the request of the same requester, responder and correlation ID, with the round-trip time', () => {
    const store = new TrafficStore(100);
    store.append([request('A', 'B', 7, T0), request('C', 'B', 7, T0 + 10), request('A', 'B', 8, T0 + 20), reply('B', 'C', 7, T0 + 1500), reply('B', 'A', 7, T0 + 2_000_000)]);
    const ab7 = store.conversation(0);
    expect(ab7).toMatchObject({ requester: 'A', responder: 'B', correlationId: 7, requestRow: 0, replyRow: 4, state: 'answered' });
    expect(store.conversation(4)).toBe(ab7);
    expect(store.conversation(3)).toMatchObject({ requester: 'C', requestRow: 1, replyRow: 3 });
    expect(roundTripLabel(store.conversation(1)!)).toBe('1.49 ms');
    expect(roundTripLabel(ab7!)).toBe('2.00 s');
    expect(store.conversation(2)).toMatchObject({ state: 'pending', replyRow: null });
    expect(roundTripLabel(store.conversation(2)!)).toBe('pending');
  });

  it('ignores a reply from another module, or to another requester, than the request’s', () => {
    const store = new TrafficStore(100);
    store.append([request('A', 'B', 1, T0), reply('X', 'A', 1, T0 + 5), reply('B', 'Z', 1, T0 + 6)]);
    expect(store.conversation(0)?.state).toBe('pending');
    expect(store.conversation(1)).toBeNull();
    expect(store.conversation(2)).toBeNull();
  });

  it('marks requests whose responder left as peer gone, and those whose requester left (a timed-out CLI request) as unanswered', () => {
    const store = new TrafficStore(100);
    store.append([request('A', 'B', 1, T0), request('C', 'D', 2, T0 + 1), leave('B', T0 + 2, 'KICKED: bye'), leave('C', T0 + 3)]);
    expect(store.conversation(0)).toMatchObject({ state: 'peer-gone', detail: 'B left before replying: KICKED: bye' });
    expect(roundTripLabel(store.conversation(0)!)).toBe('peer gone');
    expect(store.conversation(1)).toMatchObject({ state: 'requester-left', detail: 'C left before the reply came: said goodbye' });
    // A reply that comes after all is not paired with a request already settled.
    store.append([reply('D', 'C', 2, T0 + 4)]);
    expect(store.conversation(4)).toBeNull();
  });

  it('marks an unanswered request superseded when the same requester sends the same correlation ID again', () => {
    const store = new TrafficStore(100);
    store.append([request('A', 'B', 1, T0), request('A', 'B', 1, T0 + 100), reply('B', 'A', 1, T0 + 150)]);
    expect(store.conversation(0)?.state).toBe('superseded');
    expect(store.conversation(1)).toMatchObject({ state: 'answered', replyRow: 2 });
  });

  it('forgets pairs with their rows, so the index is bounded by the ring, and empties on clear', () => {
    const store = new TrafficStore(50);
    for (let i = 0; i < 10_000; i++) store.append([request('A', 'B', i, T0 + i * 10), ...(i % 2 === 0 ? [reply('B', 'A', i, T0 + i * 10 + 5)] : [])]);
    expect(store.conversationEntries).toBeLessThanOrEqual(50);
    const newest = store.endRowNumber - 1;
    expect(store.conversation(newest)).toMatchObject({ correlationId: 9999, state: 'pending' });
    expect(store.conversation(newest - 1)).toMatchObject({ correlationId: 9998, state: 'answered', replyRow: newest - 1 });
    // A request evicted while waiting no longer waits: its late reply pairs with nothing.
    store.append(Array.from({ length: 60 }, (_, i) => messageEvent({ source: 'A', destination: 'B', payload: `filler ${i}` })));
    expect(store.conversationEntries).toBe(0);
    store.append([reply('B', 'A', 9999, T0)]);
    expect(store.conversation(store.endRowNumber - 1)).toBeNull();
    store.append([request('A', 'B', 1, T0)]);
    store.clear();
    expect(store.conversationEntries).toBe(0);
    expect(store.firstTimeMicros).toBeNull();
  });

  it('formats round trips from microseconds to seconds', () => {
    expect([850, 1234, 12_345, 1_520_000, 12_300_000].map(formatRoundTrip)).toEqual(['850 µs', '1.23 ms', '12.3 ms', '1.52 s', '12.3 s']);
  });
});

describe('following a conversation', () => {
  function followed(spec: Partial<FilterSpec>) {
    const result = compileFilter({ ...EMPTY_FILTER, ...spec });
    if (!result.ok) throw new Error(result.error);
    return result.filter;
  }

  it('shows the traffic between two modules both ways and nothing else, in the filter language as mod:A mod:B', () => {
    const store = new TrafficStore(100);
    store.append([
      messageEvent({ source: 'A', destination: 'B', payload: 'a to b' }),
      messageEvent({ source: 'B', destination: 'A', payload: 'b to a' }),
      messageEvent({ source: 'A', destination: 'C', payload: 'a to c' }),
      messageEvent({ source: 'C', destination: 'B', payload: 'c to b' }),
      messageEvent({ source: 'A', destination: null, payload: 'a to all' }),
    ]);
    store.setFilter(followed({ module: 'A', peer: 'B' }));
    expect(store.visibleCount).toBe(2);
    expect([0, 1].map((i) => store.visibleRowNumberAt(i))).toEqual([0, 1]);
    expect(filterExpression(store.filterSpec)).toBe('mod:A mod:B');
    // The filter keeps applying to rows that arrive.
    store.append([messageEvent({ source: 'B', destination: 'A', payload: 'again' }), messageEvent({ source: 'B', destination: 'C', payload: 'no' })]);
    expect(store.visibleCount).toBe(3);
  });

  it('needs the first module', () => {
    expect(compileFilter({ ...EMPTY_FILTER, peer: 'B' })).toEqual({ ok: false, error: expect.stringContaining('between two modules') });
  });
});
