import { useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore } from 'react';
import { formatCount } from '../format/numberFormat';
import { previewText } from '../format/previewText';
import { formatMicros } from '../format/timeFormat';
import type { TrafficStore } from '../state/TrafficStore';
import type { TrafficRow } from '../state/trafficRows';

const ROW_HEIGHT = 20;
// Browsers cap an element's height (Firefox near 17.9 million px), so past this the scrollbar maps
// proportionally onto the rows instead of one pixel per pixel.
const MAX_SPACER_HEIGHT = 8_000_000;
const OVERSCAN_ROWS = 4;

interface Viewport {
  scrollTop: number;
  height: number;
}

interface Geometry {
  spacerHeight: number;
  maxScrollTop: number;
  maxVirtualTop: number;
}

function geometry(count: number, viewportHeight: number): Geometry {
  const totalHeight = count * ROW_HEIGHT;
  const spacerHeight = Math.min(totalHeight, MAX_SPACER_HEIGHT);
  return { spacerHeight, maxScrollTop: Math.max(0, spacerHeight - viewportHeight), maxVirtualTop: Math.max(0, totalHeight - viewportHeight) };
}

function virtualTopFor(scrollTop: number, shape: Geometry): number {
  return shape.maxScrollTop > 0 ? Math.min(scrollTop, shape.maxScrollTop) * (shape.maxVirtualTop / shape.maxScrollTop) : 0;
}

function scrollTopFor(virtualTop: number, shape: Geometry): number {
  return shape.maxVirtualTop > 0 ? virtualTop * (shape.maxScrollTop / shape.maxVirtualTop) : 0;
}

/**
 * The traffic table, virtualized: only the rows in view are in the DOM, over a spacer as tall as all
 * of them. It follows the live tail unless paused or scrolled away from the end; while scrolled
 * away, the rows in view stay put as new rows arrive and old ones are evicted.
 */
export function TrafficView({ store, selectedRowNumber, onSelect }: { store: TrafficStore; selectedRowNumber: number | null; onSelect: (row: TrafficRow) => void }) {
  useSyncExternalStore(store.subscribe, store.getVersion);
  const scrollerRef = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState<Viewport>({ scrollTop: 0, height: 400 });
  const [following, setFollowing] = useState(true);
  const anchorRef = useRef<{ rowNumber: number; offset: number } | null>(null);
  const wasPausedRef = useRef(store.paused);
  const anchoredVersionRef = useRef(store.getVersion());

  const count = store.visibleCount;
  const shape = geometry(count, viewport.height);
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
  const layerTop = scrollTop - firstOffset - (firstIndex - startIndex) * ROW_HEIGHT;

  useLayoutEffect(() => {
    const scroller = scrollerRef.current;
    if (scroller === null) return;
    if (wasPausedRef.current && !store.paused) setFollowing(true);
    wasPausedRef.current = store.paused;
    const rowsChanged = anchoredVersionRef.current !== store.getVersion();
    anchoredVersionRef.current = store.getVersion();
    if (following) {
      if (Math.abs(scroller.scrollTop - shape.maxScrollTop) >= 1) scroller.scrollTop = shape.maxScrollTop;
    } else if (rowsChanged && anchorRef.current !== null) {
      // Rows arrived, were evicted or were filtered: keep the row that was at the top at the top.
      const index = store.visibleIndexOf(anchorRef.current.rowNumber);
      if (index >= 0 && index !== firstIndex) {
        const target = scrollTopFor(index * ROW_HEIGHT + anchorRef.current.offset, shape);
        scroller.scrollTop = target;
        setViewport((previous) => ({ ...previous, scrollTop: scroller.scrollTop }));
        return;
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
        <span>time</span>
        <span>source → destination</span>
        <span>kind</span>
        <span className="num">size</span>
        <span>payload preview</span>
      </div>
      <div className="traffic-scroller" ref={scrollerRef} onScroll={onScroll} role="grid" aria-rowcount={count}>
        <div className="traffic-spacer" style={{ height: shape.spacerHeight }}>
          <div className="traffic-layer" style={{ transform: `translateY(${layerTop}px)` }}>
            {rows.map((row) => (
              <TrafficRowView key={row.rowNumber} row={row} selected={row.rowNumber === selectedRowNumber} onSelect={onSelect} />
            ))}
          </div>
        </div>
        {count === 0 && <p className="traffic-empty muted">{store.rowCount === 0 ? 'No traffic yet. Messages, errors, joins and leaves appear here as they happen.' : 'No rows match the filter.'}</p>}
      </div>
      {!following && !store.paused && count > 0 && (
        <button type="button" className="follow-button primary" onClick={() => setFollowing(true)}>
          ↓ follow the live tail ({formatCount(count - firstIndex - Math.floor(viewport.height / ROW_HEIGHT))} rows below)
        </button>
      )}
    </div>
  );
}

function routeOf(row: TrafficRow): string {
  if (row.kind === 'system') return row.source;
  return `${row.source} → ${row.destination ?? '*'}`;
}

function TrafficRowView({ row, selected, onSelect }: { row: TrafficRow; selected: boolean; onSelect: (row: TrafficRow) => void }) {
  const isMessage = row.note === null;
  return (
    // biome-ignore lint/a11y/useFocusableInteractive: rows are selected with the mouse; the keyboard has no row selection yet.
    // biome-ignore lint/a11y/useKeyWithClickEvents: as above.
    <div
      className={`traffic-row traffic-grid kind-${row.kind}${selected ? ' selected' : ''}`}
      data-testid="traffic-row"
      data-source={row.source}
      data-destination={row.destination ?? ''}
      data-kind={row.kind}
      role="row"
      aria-selected={selected}
      onClick={() => onSelect(row)}
    >
      <span className="mono time">{formatMicros(row.timeMicros)}</span>
      <span className="mono route" title={routeOf(row)}>
        {routeOf(row)}
      </span>
      <span className={`kind kind-${row.kind}`}>
        {row.kind}
        {row.injected ? (
          <span className="muted" title="injected by a monitor">
            {' '}
            inj
          </span>
        ) : null}
      </span>
      <span className="mono num">{isMessage ? row.size : ''}</span>
      <span className="mono preview">
        {isMessage ? previewText(row.preview) : row.note}
        {isMessage && row.size > row.preview.length ? <span className="muted">…</span> : null}
      </span>
    </div>
  );
}
