import { type CSSProperties, useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore } from 'react';
import { formatCount } from '../format/numberFormat';
import { previewText } from '../format/previewText';
import { displayTime, TIME_MODE_LABELS, TIME_MODES, type TimeMode } from '../format/timeDisplay';
import { pageColourRules } from '../state/colourRules';
import { roundTripLabel } from '../state/conversations';
import type { TimeDisplay } from '../state/TimeDisplay';
import type { TrafficStore } from '../state/TrafficStore';
import type { TrafficRow } from '../state/trafficRows';
import { isMarked, type RowMarks, type SelectHow, selectHowOf } from '../state/rowSelection';
import { RowMenu, type RowMenuRequest } from './RowMenu';
import { TapKind, TapPreview } from './TapCells';
import { scrollGeometry, scrollTopFor, virtualTopFor } from './virtualScroll';
import './conversations.css';

const ROW_HEIGHT = 20;
const OVERSCAN_ROWS = 4;

/** The time selector's own words, short enough for the column; the full label is its tooltip. */
const TIME_MODE_SHORT: Record<TimeMode, string> = { absolute: 'time', relative: 'since first', delta: 'delta', reference: 'since ref' };

interface Viewport {
  scrollTop: number;
  height: number;
}

/**
 * The traffic table, virtualized: only the rows in view are in the DOM, over a spacer as tall as all
 * of them. It follows the live tail unless paused or scrolled away from the end; while scrolled
 * away, the rows in view stay put as new rows arrive and old ones are evicted.
 */
export function TrafficView({
  store,
  timeDisplay,
  selectedRowNumber,
  marks,
  onSelect,
  onFollow,
}: {
  store: TrafficStore;
  timeDisplay: TimeDisplay;
  selectedRowNumber: number | null;
  /** Rows selected with Ctrl/⌘- and Shift-click, besides the one the detail pane shows. */
  marks: RowMarks;
  onSelect: (row: TrafficRow, how?: SelectHow) => void;
  /** Follow the conversation between the two modules of a row. */
  onFollow: (module: string, peer: string) => void;
}) {
  useSyncExternalStore(store.subscribe, store.getVersion);
  useSyncExternalStore(timeDisplay.subscribe, timeDisplay.getVersion);
  useSyncExternalStore(pageColourRules.subscribe, pageColourRules.getVersion);
  const [menu, setMenu] = useState<RowMenuRequest | null>(null);
  const scrollerRef = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState<Viewport>({ scrollTop: 0, height: 400 });
  const [following, setFollowing] = useState(true);
  const anchorRef = useRef<{ rowNumber: number; offset: number } | null>(null);
  const wasPausedRef = useRef(store.paused);
  const anchoredVersionRef = useRef(store.getVersion());
  /** Where the last pass, following the tail, left the scroller; -Infinity when it did not follow. */
  const tailScrollTopRef = useRef(Number.NEGATIVE_INFINITY);

  const count = store.visibleCount;
  const shape = scrollGeometry(count, ROW_HEIGHT, viewport.height);
  const scrollTop = following ? shape.maxScrollTop : Math.min(viewport.scrollTop, shape.maxScrollTop);
  const virtualTop = virtualTopFor(scrollTop, shape);
  const firstIndex = Math.floor(virtualTop / ROW_HEIGHT);
  const firstOffset = virtualTop - firstIndex * ROW_HEIGHT;
  const startIndex = Math.max(0, firstIndex - OVERSCAN_ROWS);
  const endIndex = Math.min(count, firstIndex + Math.ceil(viewport.height / ROW_HEIGHT) + 1 + OVERSCAN_ROWS);
  const rows: TrafficRow[] = [];
  for (let index = startIndex; index < endIndex; index++) {
    const row = store.row(store.visibleRowNumberAt(index));
    if (row !== null) rows.push(row);
  }
  const mode = timeDisplay.mode;
  const reference = timeDisplay.reference;
  // The delta of the first row drawn is against the row shown just above it, drawn or not.
  let previousMicros = mode === 'delta' && startIndex > 0 ? (store.row(store.visibleRowNumberAt(startIndex - 1))?.timeMicros ?? null) : null;
  const times = rows.map((row) => {
    if (mode === 'reference' && reference?.rowNumber === row.rowNumber) return '*REF*';
    const text = displayTime(mode, row.timeMicros, { firstMicros: store.firstTimeMicros, previousMicros, referenceMicros: reference?.timeMicros ?? null });
    previousMicros = row.timeMicros;
    return text;
  });

  // A new selection stops the live tail moving the table, so the row stays under the pointer (the
  // follow button counts the rows that come below); one made elsewhere (go to reply, the arrow keys)
  // is scrolled into view once.
  const revealedRef = useRef<number | null>(selectedRowNumber);
  /** Set when the selection was just scrolled to, so the live tail does not take the table back to the end in the same pass. */
  const justRevealedRef = useRef(false);
  useLayoutEffect(() => {
    const scroller = scrollerRef.current;
    if (scroller === null || selectedRowNumber === null || revealedRef.current === selectedRowNumber) return;
    revealedRef.current = selectedRowNumber;
    setFollowing(false);
    const index = store.visibleIndexOf(selectedRowNumber);
    if (index < 0) return;
    const top = index * ROW_HEIGHT;
    if (top >= virtualTop && top + ROW_HEIGHT <= virtualTop + viewport.height) return;
    scroller.scrollTop = scrollTopFor(Math.max(0, top - viewport.height / 2), shape);
    justRevealedRef.current = true;
    setViewport((previous) => ({ ...previous, scrollTop: scroller.scrollTop }));
  });
  // Rows wholly below the view: a selection that stopped following with every row in sight has none.
  const rowsBelow = Math.max(0, count - Math.ceil((virtualTop + viewport.height) / ROW_HEIGHT));
  const layerTop = scrollTop - firstOffset - (firstIndex - startIndex) * ROW_HEIGHT;

  useLayoutEffect(() => {
    const scroller = scrollerRef.current;
    if (scroller === null) return;
    if (wasPausedRef.current && !store.paused) setFollowing(true);
    wasPausedRef.current = store.paused;
    const rowsChanged = anchoredVersionRef.current !== store.getVersion();
    anchoredVersionRef.current = store.getVersion();
    if (justRevealedRef.current) {
      // This pass's rows in view are from before the scroll: the next pass takes its anchor.
      justRevealedRef.current = false;
      anchorRef.current = null;
      return;
    }
    if (following) {
      // Scrolled up since the tail put it there, and the scroll event not handled yet (it comes in the
      // next frame, after this pass): leave the tail rather than undo the person's scroll.
      const movedUp = scroller.scrollTop < tailScrollTopRef.current - ROW_HEIGHT / 2;
      const shortOfEnd = scroller.scrollTop < scroller.scrollHeight - scroller.clientHeight - ROW_HEIGHT / 2;
      if (movedUp && shortOfEnd) {
        tailScrollTopRef.current = Number.NEGATIVE_INFINITY;
        // The row at the top is the scrolled-to one, taken in the next pass; not the tail's (as above).
        anchorRef.current = null;
        setFollowing(false);
        setViewport({ scrollTop: scroller.scrollTop, height: scroller.clientHeight });
        return;
      }
      if (Math.abs(scroller.scrollTop - shape.maxScrollTop) >= 1) scroller.scrollTop = shape.maxScrollTop;
      tailScrollTopRef.current = scroller.scrollTop;
    } else {
      // Just left the tail (the scroll event handled): the rows in view are those scrolled to, and
      // the anchor is the tail's, which would pull the table back to it.
      const justLeftTail = tailScrollTopRef.current !== Number.NEGATIVE_INFINITY;
      tailScrollTopRef.current = Number.NEGATIVE_INFINITY;
      if (!justLeftTail && rowsChanged && anchorRef.current !== null) {
        // Rows arrived, were evicted or were filtered: keep the row that was at the top at the top.
        const index = store.visibleIndexOf(anchorRef.current.rowNumber);
        if (index >= 0 && index !== firstIndex) {
          const target = scrollTopFor(index * ROW_HEIGHT + anchorRef.current.offset, shape);
          scroller.scrollTop = target;
          setViewport((previous) => ({ ...previous, scrollTop: scroller.scrollTop }));
          return;
        }
      }
    }
    anchorRef.current = count > 0 && firstIndex < count ? { rowNumber: store.visibleRowNumberAt(firstIndex), offset: firstOffset } : null;
  });

  useEffect(() => {
    const scroller = scrollerRef.current;
    if (scroller === null) return;
    const observer = new ResizeObserver(() => setViewport({ scrollTop: scroller.scrollTop, height: scroller.clientHeight }));
    observer.observe(scroller);
    return () => observer.disconnect();
  }, []);

  const onScroll = (): void => {
    const scroller = scrollerRef.current;
    if (scroller === null) return;
    const atEnd = scroller.scrollTop >= scroller.scrollHeight - scroller.clientHeight - ROW_HEIGHT / 2;
    setFollowing(atEnd);
    setViewport({ scrollTop: scroller.scrollTop, height: scroller.clientHeight });
  };

  return (
    <div className="traffic-view">
      {/* biome-ignore lint/a11y/useFocusableInteractive: the column header row is not an interactive element */}
      <div className="traffic-header traffic-grid" role="row">
        <select
          className="time-mode"
          value={mode}
          onChange={(event) => timeDisplay.setMode(event.target.value as TimeMode)}
          data-testid="time-mode"
          aria-label="time display"
          title={`Times shown ${TIME_MODE_LABELS[mode]}; right-click a row (or use the detail pane) to make it the reference`}
        >
          {TIME_MODES.map((choice) => (
            <option key={choice} value={choice} title={TIME_MODE_LABELS[choice]}>
              {TIME_MODE_SHORT[choice]}
            </option>
          ))}
        </select>
        <span>source → destination</span>
        <span>kind</span>
        <span className="num">size</span>
        <span className="num" title="round-trip time: from a request to its reply">
          rtt
        </span>
        <span>payload preview</span>
      </div>
      <div className="traffic-scroller" ref={scrollerRef} onScroll={onScroll} role="grid" aria-rowcount={count}>
        <div className="traffic-spacer" style={{ height: shape.spacerHeight }}>
          <div className="traffic-layer" style={{ transform: `translateY(${layerTop}px)` }}>
            {rows.map((row, i) => (
              <TrafficRowView
                key={row.rowNumber}
                row={row}
                rowIndex={startIndex + i}
                time={times[i]}
                isReference={reference?.rowNumber === row.rowNumber}
                roundTrip={roundTripOf(store, row)}
                colourRule={pageColourRules.ruleOf(row, store.firstTimeMicros ?? row.timeMicros)}
                selected={isMarked(marks, selectedRowNumber, row.rowNumber)}
                onSelect={onSelect}
                onMenu={(x, y) => setMenu({ row, x, y })}
              />
            ))}
          </div>
        </div>
        {count === 0 && <p className="traffic-empty muted">{store.rowCount === 0 ? 'No traffic yet. Messages, errors, joins and leaves appear here as they happen.' : 'No rows match the filter.'}</p>}
      </div>
      {!following && !store.paused && rowsBelow > 0 && (
        <button type="button" className="follow-button primary" onClick={() => setFollowing(true)}>
          ↓ follow the live tail ({formatCount(rowsBelow)} rows below)
        </button>
      )}
      {menu !== null && <RowMenu request={menu} timeDisplay={timeDisplay} onFollow={onFollow} onClose={() => setMenu(null)} />}
    </div>
  );
}

function routeOf(row: TrafficRow): string {
  if (row.kind === 'system') return row.source;
  return `${row.source} → ${row.destination ?? '*'}`;
}

/** The round-trip cell of a request or reply row: the time, or what became of the request. */
function roundTripOf(store: TrafficStore, row: TrafficRow): { text: string; state: string; title: string } | null {
  if (row.kind !== 'request' && row.kind !== 'reply') return null;
  const conversation = store.conversation(row.rowNumber);
  if (conversation === null) return { text: '?', state: 'unmatched', title: 'no request seen for this reply (evicted, or sent before this window watched)' };
  return { text: roundTripLabel(conversation), state: conversation.state, title: conversation.detail ?? `${conversation.requester} → ${conversation.responder} #${conversation.correlationId}` };
}

function TrafficRowView({
  row,
  rowIndex,
  time,
  isReference,
  roundTrip,
  colourRule,
  selected,
  onSelect,
  onMenu,
}: {
  row: TrafficRow;
  /** Its place among the rows the filter shows, from 0 (the grid's aria-rowcount counts them). */
  rowIndex: number;
  time: string;
  isReference: boolean;
  roundTrip: { text: string; state: string; title: string } | null;
  /** The first colouring rule the row matches, -1 for none. */
  colourRule: number;
  selected: boolean;
  onSelect: (row: TrafficRow, how?: SelectHow) => void;
  onMenu: (x: number, y: number) => void;
}) {
  const isMessage = row.note === null;
  return (
    // biome-ignore lint/a11y/useFocusableInteractive: rows are selected with the mouse; the keyboard has no row selection yet.
    // biome-ignore lint/a11y/useKeyWithClickEvents: as above.
    <div
      className={`traffic-row traffic-grid kind-${row.kind}${selected ? ' selected' : ''}${colourRule >= 0 ? ' coloured' : ''}`}
      style={colourRule >= 0 ? ({ '--rule-colour': pageColourRules.colourAt(colourRule) } as CSSProperties) : undefined}
      data-colour-rule={colourRule}
      data-testid="traffic-row"
      data-source={row.source}
      data-destination={row.destination ?? ''}
      data-kind={row.kind}
      role="row"
      aria-rowindex={rowIndex + 1}
      data-row-number={row.rowNumber}
      aria-selected={selected}
      // Shift-click extends the row selection, not the page's text selection.
      onMouseDown={(event) => {
        if (event.shiftKey) event.preventDefault();
      }}
      onClick={(event) => onSelect(row, selectHowOf(event))}
      onContextMenu={(event) => {
        event.preventDefault();
        onSelect(row);
        onMenu(event.clientX, event.clientY);
      }}
    >
      <span className={`mono time${isReference ? ' reference' : ''}`} data-testid="row-time">
        {time}
      </span>
      <span className="mono route" title={routeOf(row)}>
        {routeOf(row)}
      </span>
      <span className={`kind kind-${row.kind}`}>
        {row.tap !== undefined ? <TapKind tap={row.tap} /> : row.kind}
        {row.injected ? (
          <span className="muted" title="injected by a monitor">
            {' '}
            inj
          </span>
        ) : null}
      </span>
      <span className="mono num">{isMessage ? row.size : ''}</span>
      <span className={`mono num rtt${roundTrip === null ? '' : ` rtt-${roundTrip.state}`}`} data-testid="row-rtt" title={roundTrip?.title}>
        {roundTrip?.text ?? ''}
      </span>
      <span className="mono preview">
        {row.tap !== undefined ? <TapPreview row={row} tap={row.tap} /> : isMessage ? previewText(row.preview) : row.note}
        {isMessage && row.size > row.preview.length ? <span className="muted">…</span> : null}
      </span>
    </div>
  );
}
