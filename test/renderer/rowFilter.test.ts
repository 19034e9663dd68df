import { describe, expect, it } from 'vitest';
import type { WireEvent } from '../../electron/bridge/contract';
import { compileFilter, EMPTY_FILTER, type CompiledFilter, type FilterSpec } from '../../renderer/src/state/rowFilter';
import { ROW_KINDS, type RowKind } from '../../renderer/src/state/rowKinds';
import { TrafficStore } from '../../renderer/src/state/TrafficStore';
import { rowText, type TrafficRow } from '../../renderer/src/state/trafficRows';
import { messageEvent } from './eventFixtures';

function filterOf(spec: Partial<FilterSpec>): CompiledFilter {
  const result = compileFilter({ ...EMPTY_FILTER, ...spec });
  if (!result.ok) throw new Error(result.error);
  return result.filter;
}

const MIXED: WireEvent[] = [
  messageEvent({ source: 'A', destination: 'B', payload: 'temperature 21.5' }),
  messageEvent({ source: 'B', destination: 'A', payload: 'ack' }),
  messageEvent({ source: 'C', destination: null, payload: 'hello everyone' }),
  messageEvent({ source: 'A', destination: 'C', kind: 'request', payload: '{"op":"get"}' }),
  messageEvent({ source: 'C', destination: 'A', kind: 'reply', payload: '{"value":42}' }),
  { type: 'error', time: 1, id: 'A', code: 4, codeName: 'NO_SUCH_MODULE', message: 'no module named Z' },
  { type: 'join', time: 2, id: 'D', role: 'module', transport: 'unix', listener: '/tmp/x.sock' },
];

function matchingTexts(spec: Partial<FilterSpec>): string[] {
  const store = new TrafficStore(100);
  store.append(MIXED);
  store.setFilter(filterOf(spec));
  return Array.from({ length: store.visibleCount }, (_, i) => rowText(store.row(store.visibleRowNumberAt(i))!));
}

describe('row filters', () => {
  it.each<[RowKind, string[]]>([
    ['unicast', ['temperature 21.5', 'ack']],
    ['broadcast', ['hello everyone']],
    ['request', ['{"op":"get"}']],
    ['reply', ['{"value":42}']],
    ['error', ['NO_SUCH_MODULE: no module named Z']],
    ['system', ['joined (unix /tmp/x.sock)']],
  ])('keeps only %s rows when only that kind is on', (kind, expected) => {
    expect(matchingTexts({ kinds: [kind] })).toEqual(expected);
  });

  it('matches a module as source, as destination, or either', () => {
    expect(matchingTexts({ module: 'C', moduleSide: 'source' })).toEqual(['hello everyone', '{"value":42}']);
    expect(matchingTexts({ module: 'C', moduleSide: 'destination' })).toEqual(['{"op":"get"}']);
    expect(matchingTexts({ module: 'C', moduleSide: 'either' })).toEqual(['hello everyone', '{"op":"get"}', '{"value":42}']);
  });

  it('finds error rows by the module the error was sent to', () => {
    expect(matchingTexts({ module: 'A', moduleSide: 'destination', kinds: ['error'] })).toEqual(['NO_SUCH_MODULE: no module named Z']);
  });

  it('matches text anywhere in the preview, ignoring case', () => {
    expect(matchingTexts({ text: 'EVERY' })).toEqual(['hello everyone']);
  });

  it('matches a regular expression against the preview', () => {
    expect(matchingTexts({ text: '^\\{"(op|value)"', regex: true })).toEqual(['{"op":"get"}', '{"value":42}']);
  });

  it('treats regex characters literally when regex is off', () => {
    expect(matchingTexts({ text: '21.5' })).toEqual(['temperature 21.5']);
    expect(matchingTexts({ text: '2.\\.5' })).toEqual([]);
  });

  it('combines module, kind and text criteria with AND', () => {
    expect(matchingTexts({ module: 'A', moduleSide: 'either', kinds: ['request', 'reply'], text: 'value' })).toEqual(['{"value":42}']);
  });

  it('reports an invalid regular expression instead of compiling it', () => {
    const result = compileFilter({ ...EMPTY_FILTER, text: '(unclosed', regex: true });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/^invalid regular expression: /);
  });

  it('counts as inactive when nothing narrows the rows', () => {
    expect(filterOf({}).active).toBe(false);
    expect(filterOf({ kinds: ROW_KINDS.slice(1) }).active).toBe(true);
  });
});

describe('incremental match count', () => {
  // A small deterministic generator, so a failure can be replayed.
  function pseudoRandom(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
  }

  function rescanCount(store: TrafficStore, predicate: (row: TrafficRow) => boolean): number {
    let count = 0;
    for (let n = store.firstRowNumber; n < store.endRowNumber; n++) if (predicate(store.row(n)!)) count++;
    return count;
  }

  it('equals a full rescan after every batch, through evictions', () => {
    const random = pseudoRandom(7);
    const modules = ['A', 'B', 'C', 'D'];
    const filter = filterOf({ module: 'B', moduleSide: 'either', kinds: ['unicast', 'broadcast'], text: 'x[0-9]', regex: true });
    const predicate = (row: TrafficRow): boolean => (row.kind === 'unicast' || row.kind === 'broadcast') && (row.source === 'B' || row.destination === 'B') && /x[0-9]/i.test(rowText(row));
    const store = new TrafficStore(500);
    store.setFilter(filter);
    for (let batch = 0; batch < 40; batch++) {
      const events = Array.from({ length: 1 + Math.floor(random() * 60) }, () => {
        const pick = (): string => modules[Math.floor(random() * modules.length)];
        const broadcast = random() < 0.2;
        return messageEvent({ source: pick(), destination: broadcast ? null : pick(), payload: `${random() < 0.5 ? 'x' : 'y'}${Math.floor(random() * 10)}` });
      });
      store.append(events);
      expect(store.matchCount).toBe(rescanCount(store, predicate));
    }
    expect(store.evictedCount).toBeGreaterThan(0);
  });

  it('does not retest stored rows when a batch arrives', () => {
    const store = new TrafficStore(1000);
    let tested = 0;
    const base = filterOf({ text: 'a' });
    store.setFilter({
      ...base,
      matchesText: (text) => {
        tested++;
        return base.matchesText!(text);
      },
    });
    store.append(Array.from({ length: 100 }, () => messageEvent({ source: 'A', payload: 'abc' })));
    store.append(Array.from({ length: 10 }, () => messageEvent({ source: 'A', payload: 'zzz' })));
    expect(tested).toBe(110);
    expect(store.matchCount).toBe(100);
  });
});
