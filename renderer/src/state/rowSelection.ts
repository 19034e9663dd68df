import type { TrafficStore } from './TrafficStore';

/** How a click on a row changes the selection: Ctrl/⌘ toggles that row, Shift takes the range from the anchor. */
export type SelectHow = 'toggle' | 'range';

/** Rows a Shift-click takes at most: the most a replay of selected rows accepts (contract.ts MAX_REPLAY_ROWS). */
export const MAX_SELECTED_ROWS = 100_000;

/**
 * The rows selected besides the one the detail pane shows. Empty means one row (or none) is
 * selected; the anchor is the row a Shift-click extends from (the last row clicked without Shift).
 */
export interface RowMarks {
  rows: ReadonlySet<number>;
  anchor: number | null;
}

export const NO_MARKS: RowMarks = { rows: new Set(), anchor: null };

export function selectHowOf(event: { shiftKey: boolean; ctrlKey: boolean; metaKey: boolean }): SelectHow | undefined {
  if (event.shiftKey) return 'range';
  if (event.ctrlKey || event.metaKey) return 'toggle';
  return undefined;
}

/**
 * The marks after a Ctrl- or Shift-click on `clicked`, given the row selected before (`current`).
 * A range is taken over the rows the filter shows, as the table lists them, up to MAX_SELECTED_ROWS
 * from the anchor.
 */
export function markRows(store: Pick<TrafficStore, 'visibleIndexOf' | 'visibleRowNumberAt'>, marks: RowMarks, current: number | null, clicked: number, how: SelectHow): RowMarks {
  const held = marks.rows.size > 0 ? marks.rows : new Set(current === null ? [] : [current]);
  if (how === 'toggle') {
    const rows = new Set(held);
    if (rows.has(clicked)) rows.delete(clicked);
    else rows.add(clicked);
    return { rows, anchor: clicked };
  }
  const anchor = marks.anchor ?? current ?? clicked;
  const from = store.visibleIndexOf(anchor);
  const to = store.visibleIndexOf(clicked);
  if (from < 0 || to < 0) return { rows: new Set([clicked]), anchor: clicked };
  const step = to >= from ? 1 : -1;
  const rows = new Set<number>();
  for (let index = from; rows.size < MAX_SELECTED_ROWS; index += step) {
    rows.add(store.visibleRowNumberAt(index));
    if (index === to) break;
  }
  return { rows, anchor };
}

/** Whether the table draws `rowNumber` as selected. */
export function isMarked(marks: RowMarks, selectedRowNumber: number | null, rowNumber: number): boolean {
  return marks.rows.size > 0 ? marks.rows.has(rowNumber) : rowNumber === selectedRowNumber;
}

/** The backend seqs of the selected message rows, oldest first (error and system rows have none). */
export function selectedSeqs(store: Pick<TrafficStore, 'row'>, marks: RowMarks, selectedSeq: number | null): number[] {
  if (marks.rows.size === 0) return selectedSeq === null ? [] : [selectedSeq];
  const seqs: number[] = [];
  for (const rowNumber of marks.rows) {
    const seq = store.row(rowNumber)?.seq ?? null;
    if (seq !== null) seqs.push(seq);
  }
  return seqs.sort((a, b) => a - b);
}
