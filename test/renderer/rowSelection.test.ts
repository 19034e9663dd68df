import { describe, expect, it } from 'vitest';
import { compileFilter, EMPTY_FILTER } from '../../renderer/src/state/rowFilter';
import { isMarked, markRows, NO_MARKS, selectedSeqs } from '../../renderer/src/state/rowSelection';
import { TrafficStore } from '../../renderer/src/state/TrafficStore';
import { rowText } from '../../renderer/src/state/trafficRows';
import { messageEvent } from './eventFixtures';

/** A0 B0 A1 B1 … A4 B4: ten rows, the A rows at even row numbers. */
function alternating(): TrafficStore {
  const store = new TrafficStore(100);
  for (let i = 0; i < 5; i++) store.append([messageEvent({ source: 'A', payload: `a${i}` }), messageEvent({ source: 'C', payload: `c${i}` })]);
  return store;
}

function texts(store: TrafficStore, rows: Iterable<number>): string[] {
  return [...rows].map((rowNumber) => {
    const row = store.row(rowNumber);
    if (row === null) throw new Error(`row ${rowNumber} is gone`);
    return rowText(row);
  });
}

function rowWith(store: TrafficStore, payload: string): number {
  for (let index = 0; index < store.visibleCount; index++) {
    const rowNumber = store.visibleRowNumberAt(index);
    if (texts(store, [rowNumber])[0].includes(payload)) return rowNumber;
  }
  throw new Error(`no visible row with ${payload}`);
}

describe('row selection', () => {
  it('Shift-click takes the rows the filter shows between the anchor and the row clicked, either way', () => {
    const store = alternating();
    const compiled = compileFilter({ ...EMPTY_FILTER, module: 'A' });
    if (!compiled.ok) throw new Error(compiled.error);
    store.setFilter(compiled.filter);
    const down = markRows(store, NO_MARKS, rowWith(store, 'a1'), rowWith(store, 'a3'), 'range');
    expect(texts(store, down.rows).map((text) => /a\d/.exec(text)?.[0])).toEqual(['a1', 'a2', 'a3']);
    const up = markRows(store, NO_MARKS, rowWith(store, 'a3'), rowWith(store, 'a0'), 'range');
    expect(up.rows.size).toBe(4);
    expect(up.anchor).toBe(rowWith(store, 'a3'));
  });

  it('Ctrl-click adds to the row selected before and removes a row taken already; the seqs come oldest first', () => {
    const store = alternating();
    const first = markRows(store, NO_MARKS, rowWith(store, 'c3'), rowWith(store, 'a1'), 'toggle');
    expect(first.rows.size).toBe(2);
    const second = markRows(store, first, rowWith(store, 'a1'), rowWith(store, 'c3'), 'toggle');
    expect([...second.rows]).toEqual([rowWith(store, 'a1')]);
    expect(isMarked(second, rowWith(store, 'c3'), rowWith(store, 'c3'))).toBe(false);
    const seqs = selectedSeqs(store, first, null);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs).toHaveLength(2);
  });

  it('with nothing marked the selected row alone is selected; error and system rows carry no seq to replay', () => {
    const store = alternating();
    store.appendNote(1, 'a note row');
    const note = store.visibleRowNumberAt(store.visibleCount - 1);
    const withNote = markRows(store, NO_MARKS, rowWith(store, 'c4'), note, 'range');
    expect(withNote.rows.size).toBe(2);
    expect(selectedSeqs(store, withNote, null)).toHaveLength(1);
    expect(selectedSeqs(store, NO_MARKS, 7)).toEqual([7]);
    expect(isMarked(NO_MARKS, 3, 3)).toBe(true);
  });
});
