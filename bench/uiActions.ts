import type { Page } from '@playwright/test';
import { type ActionResult, runInPage } from './uiPageScript';

/**
 * bench:ui's scripted actions besides opening the sequence view, run in the page during the load,
 * each timed from its input event to the first frame painted with its result (uiPageScript.ts's
 * untilShown) and repeated with pauses between, as a person would act.
 */

/** The gap between two keystrokes of a typed filter, a fast typist's. */
const KEYSTROKE_GAP_MS = 40;
/** The table's row height (renderer/src/components/TrafficView.tsx), for a scroll position from a row index. */
const ROW_HEIGHT_PX = 20;

export interface TypeFilterResult extends ActionResult {
  /** ms from the last keystroke to the first frame whose match count is the new filter's (its search started). */
  firstUpdates: number[];
}

/**
 * Type a filter: the filter box gets a word no payload holds, one character at a time; the response
 * is from the last keystroke to the frame showing the match count of its finished whole-payload
 * search (data-state "done" for the new data-search-id). The box is cleared between repetitions.
 */
const TYPE_FILTER_SCRIPT = `async ({ times, gapMs }) => {
  const framesBefore = probe.frames.length;
  const responses = [];
  const firstUpdates = [];
  const box = element('[data-testid="filter-text"]');
  const count = element('[data-testid="match-count"]');
  for (let i = 0; i < times; i++) {
    const before = count.dataset.searchId;
    const lastKeyAt = await typeInto(box, 'zqx' + i, gapMs);
    const applied = () => count.dataset.searchId !== undefined && count.dataset.searchId !== before;
    const firstShownAt = untilShown(applied, 'the match count of the typed filter');
    const doneAt = await untilShown(() => applied() && count.dataset.state === 'done', 'the final match count of the typed filter');
    firstUpdates.push((await firstShownAt) - lastKeyAt);
    responses.push(doneAt - lastKeyAt);
    clearInput(box);
    await untilShown(() => count.dataset.state === 'none', 'the table without the filter');
    await pause(150);
  }
  box.blur();
  return { responses, firstUpdates, framesBefore, framesAfter: probe.frames.length };
}`;

export async function typeFilter(page: Page, times: number): Promise<TypeFilterResult> {
  return runInPage<TypeFilterResult>(page, TYPE_FILTER_SCRIPT, { times, gapMs: KEYSTROKE_GAP_MS });
}

export interface ClickRowsResult extends ActionResult {
  /** ms from the click to the first frame whose detail pane is the row's (its 64-byte preview, before the full payload came). */
  paneShown: number[];
}

/**
 * Click rows: a row in the middle of those in view is clicked; the response is from the click to the
 * frame whose detail pane shows that row with its full payload (fetched from the backend).
 */
const CLICK_ROWS_SCRIPT = `async (times) => {
  const framesBefore = probe.frames.length;
  const responses = [];
  const paneShown = [];
  for (let i = 0; i < times; i++) {
    const rows = document.querySelectorAll('[data-testid="traffic-row"]');
    if (rows.length === 0) throw new Error('no rows in view to click');
    const row = rows[Math.floor(rows.length / 2)];
    const rowNumber = row.dataset.rowNumber;
    const pane = () => document.querySelector('[data-testid="detail-pane"]');
    const start = performance.now();
    row.click();
    const shownAt = untilShown(() => pane()?.dataset.rowNumber === rowNumber, 'the clicked row in the detail pane');
    const fullAt = await untilShown(() => pane()?.dataset.rowNumber === rowNumber && pane().dataset.payload !== 'loading', "the clicked row's payload in the detail pane");
    paneShown.push((await shownAt) - start);
    responses.push(fullAt - start);
    await pause(250);
  }
  return { responses, paneShown, framesBefore, framesAfter: probe.frames.length };
}`;

export async function clickRows(page: Page, times: number): Promise<ClickRowsResult> {
  return runInPage<ClickRowsResult>(page, CLICK_ROWS_SCRIPT, times);
}

export interface ScrollBackResult extends ActionResult {
  /** The table's row count (aria-rowcount) at each scroll. */
  rowCounts: number[];
}

/**
 * Scroll back: from the live tail, the table is scrolled to the row `rows` before the newest (the
 * scroller's scrollTop set, as a drag of the scrollbar's thumb does); the response is from the
 * scroll to the frame with the rows at that position rendered. The rows are told by their row
 * numbers, not their place: at 100,000 msgs/s the ring evicts thousands of rows a frame, so the
 * place of a row held in view changes while its number does not, and the rows at a place when the
 * scroll is made are not those there a frame later: rows within a fifth of `rows` of the one wanted
 * count. The table is taken back to the live tail between repetitions.
 */
const SCROLL_BACK_SCRIPT = `async ({ times, rows, rowHeight }) => {
  const framesBefore = probe.frames.length;
  const responses = [];
  const rowCounts = [];
  const scroller = element('.traffic-scroller');
  const atTail = () => scroller.scrollTop >= scroller.scrollHeight - scroller.clientHeight - rowHeight;
  const shownRowNumbers = () => [...scroller.querySelectorAll('[data-testid="traffic-row"]')].map((row) => Number(row.dataset.rowNumber));
  for (let i = 0; i < times; i++) {
    scroller.scrollTop = scroller.scrollHeight;
    await untilShown(atTail, 'the live tail');
    await pause(150);
    const count = Number(scroller.getAttribute('aria-rowcount'));
    if (count < rows) throw new Error('the table holds ' + count + ' rows, fewer than the ' + rows + ' to scroll back');
    const start = performance.now();
    const wanted = Math.max(...shownRowNumbers()) - rows;
    scroller.scrollTop = (count - rows) * rowHeight;
    const rendered = () => {
      const shown = shownRowNumbers();
      return shown.length > 0 && Math.min(...shown) >= wanted - rows / 5 && Math.max(...shown) <= wanted + rows / 5;
    };
    const describe = () => 'the rows ' + rows + ' back (row ' + wanted + '); scrollTop ' + scroller.scrollTop + ' of ' + scroller.scrollHeight + ', rows shown ' + Math.min(...shownRowNumbers()) + '..' + Math.max(...shownRowNumbers());
    const shownAt = await untilShown(rendered, { toString: describe });
    responses.push(shownAt - start);
    rowCounts.push(count);
    await pause(150);
  }
  scroller.scrollTop = scroller.scrollHeight;
  await untilShown(atTail, 'the live tail');
  return { responses, rowCounts, framesBefore, framesAfter: probe.frames.length };
}`;

export async function scrollBack(page: Page, times: number, rows: number): Promise<ScrollBackResult> {
  return runInPage<ScrollBackResult>(page, SCROLL_BACK_SCRIPT, { times, rows, rowHeight: ROW_HEIGHT_PX });
}
