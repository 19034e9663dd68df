import { useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore } from 'react';
import { formatCount } from '../format/numberFormat';
import { moduleColor } from '../state/moduleColors';
import type { SequenceLanes } from '../state/SequenceLanes';
import type { SequenceSettings } from '../state/SequenceSettings';
import type { TrafficStore } from '../state/TrafficStore';
import type { TrafficRow } from '../state/trafficRows';
import { LaneList } from './LaneList';
import { paintSequence } from './sequencePainter';
import { buildScene, type Lane, SEQUENCE_ROW_HEIGHT as ROW_HEIGHT, type SequenceMark } from './sequenceScene';
import { scrollGeometry, scrollTopFor, virtualTopFor } from './virtualScroll';

/** Lanes are spread over the width, but never closer than this (then the view scrolls sideways). */
const MIN_LANE_GAP = 76;
/** Room left and right of the outer lanes for arcs and labels. */
const SIDE_MARGIN = 28;
/** Where a mark's arrow runs in its band (sequencePainter's LINE_Y): what a click on "the arrow" aims at. */
const ARROW_Y = 15;

interface Viewport {
  scrollTop: number;
  scrollLeft: number;
  width: number;
  height: number;
}

/**
 * The sequence view (Bustle's diagram, Wireshark's flow graph): one lane per module the shown rows
 * name, one row per row of the table in the same order. Virtualized like the table, but drawn on a
 * canvas the size of the view: only the rows in view are laid out and painted, whatever the ring
 * holds. It follows the live tail unless scrolled away; a click selects the row under the pointer,
 * and a selection made elsewhere is scrolled into view.
 */
export function SequenceView({
  store,
  lanes: laneOrder,
  settings,
  selectedRowNumber,
  onSelect,
}: {
  store: TrafficStore;
  lanes: SequenceLanes;
  settings: SequenceSettings;
  selectedRowNumber: number | null;
  onSelect: (row: TrafficRow) => void;
}) {
  useSyncExternalStore(store.subscribe, store.getVersion);
  useSyncExternalStore(settings.subscribe, settings.getVersion);
  const scrollerRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [viewport, setViewport] = useState<Viewport>({ scrollTop: 0, scrollLeft: 0, width: 400, height: 400 });
  const [following, setFollowing] = useState(true);
  const anchorRef = useRef<{ rowNumber: number; offset: number } | null>(null);
  const wasPausedRef = useRef(store.paused);
  const anchoredVersionRef = useRef(store.getVersion());

  const order = laneOrder.update(store);
  const shown = order.filter((id) => !settings.isHidden(id));
  const gap = Math.max(MIN_LANE_GAP, (viewport.width - 2 * SIDE_MARGIN) / Math.max(1, shown.length));
  const contentWidth = Math.max(viewport.width, 2 * SIDE_MARGIN + gap * shown.length);
  const scrollLeft = Math.min(viewport.scrollLeft, contentWidth - viewport.width);
  const lanes: Lane[] = shown.map((id, i) => ({ id, x: Math.round(SIDE_MARGIN + gap * (i + 0.5) - scrollLeft), color: moduleColor(id) }));

  const count = store.visibleCount;
  const shape = scrollGeometry(count, ROW_HEIGHT, viewport.height);
  const scrollTop = following ? shape.maxScrollTop : Math.min(viewport.scrollTop, shape.maxScrollTop);
  const virtualTop = virtualTopFor(scrollTop, shape);
  const firstIndex = Math.floor(virtualTop / ROW_HEIGHT);
  const firstOffset = virtualTop - firstIndex * ROW_HEIGHT;
  const endIndex = Math.min(count, firstIndex + Math.ceil(viewport.height / ROW_HEIGHT) + 1);
  const rowsBelow = Math.max(0, count - firstIndex - Math.floor(viewport.height / ROW_HEIGHT));
  const topOf = (index: number): number => index * ROW_HEIGHT - virtualTop;
  const rows: { index: number; row: TrafficRow }[] = [];
  for (let index = firstIndex; index < endIndex; index++) {
    const row = store.row(store.visibleRowNumberAt(index));
    if (row !== null) rows.push({ index, row });
  }
  const scene = buildScene(rows, lanes, store, topOf);

  useLayoutEffect(() => {
    const canvas = canvasRef.current;
    const context = canvas?.getContext('2d');
    if (canvas === null || context === null || context === undefined) return;
    const ratio = window.devicePixelRatio || 1;
    const pixelWidth = Math.round(viewport.width * ratio);
    const pixelHeight = Math.round(viewport.height * ratio);
    if (canvas.width !== pixelWidth || canvas.height !== pixelHeight) {
      canvas.width = pixelWidth;
      canvas.height = pixelHeight;
    }
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    const bands = rows.map(({ index, row }) => ({ top: topOf(index), index, rowNumber: row.rowNumber }));
    paintSequence(context, { width: viewport.width, height: viewport.height, lanes, scene, bands, selectedRowNumber });
  });

  // As in the table: a new selection stops the live tail moving the view, so the row stays under the
  // pointer; one made elsewhere (the table, go to reply, the arrow keys) is scrolled into view once.
  const revealedRef = useRef<number | null>(selectedRowNumber);
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
    setViewport((previous) => ({ ...previous, scrollTop: scroller.scrollTop }));
  });

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
        scroller.scrollTop = scrollTopFor(index * ROW_HEIGHT + anchorRef.current.offset, shape);
        setViewport((previous) => ({ ...previous, scrollTop: scroller.scrollTop }));
        return;
      }
    }
    anchorRef.current = count > 0 && firstIndex < count ? { rowNumber: store.visibleRowNumberAt(firstIndex), offset: firstOffset } : null;
  });

  useEffect(() => {
    const scroller = scrollerRef.current;
    if (scroller === null) return;
    const observer = new ResizeObserver(() => setViewport({ scrollTop: scroller.scrollTop, scrollLeft: scroller.scrollLeft, width: scroller.clientWidth, height: scroller.clientHeight }));
    observer.observe(scroller);
    return () => observer.disconnect();
  }, []);

  const onScroll = (): void => {
    const scroller = scrollerRef.current;
    if (scroller === null) return;
    setFollowing(scroller.scrollTop >= scroller.scrollHeight - scroller.clientHeight - ROW_HEIGHT / 2);
    setViewport({ scrollTop: scroller.scrollTop, scrollLeft: scroller.scrollLeft, width: scroller.clientWidth, height: scroller.clientHeight });
  };

  const selectAt = (clientY: number): void => {
    const canvas = canvasRef.current;
    if (canvas === null) return;
    const index = Math.floor((virtualTop + clientY - canvas.getBoundingClientRect().top) / ROW_HEIGHT);
    if (index < 0 || index >= count) return;
    const row = store.row(store.visibleRowNumberAt(index));
    if (row !== null) onSelect(row);
  };

  return (
    <section className="sequence-view" aria-label="Sequence view" data-testid="sequence-view">
      <div className="sequence-toolbar">
        <h2>Sequence</h2>
        <span className="muted" data-testid="sequence-lane-count">
          {shown.length} of {order.length} lanes
        </span>
        <span className="spacer" />
        <LaneList order={order} settings={settings} />
        <button type="button" className="sequence-close" data-testid="sequence-close" onClick={() => settings.setOpen(false)} title="Close the sequence view (s)">
          ✕
        </button>
      </div>
      <div className="sequence-lanes">
        {lanes.map((lane) => (
          <span key={lane.id} className="sequence-lane mono" data-testid="sequence-lane" data-module={lane.id} style={{ left: lane.x, borderColor: lane.color }} title={lane.id}>
            <span className="lane-name">{lane.id}</span>
            <button type="button" className="lane-hide" data-testid="lane-hide" onClick={() => settings.setHidden(lane.id, true)} title={`Hide the lane of ${lane.id} (lanes… shows it again)`}>
              ✕
            </button>
          </span>
        ))}
      </div>
      <div className="sequence-scroller" ref={scrollerRef} onScroll={onScroll}>
        <div className="sequence-spacer" style={{ height: Math.max(shape.spacerHeight, viewport.height), width: contentWidth }}>
          <canvas
            ref={canvasRef}
            className="sequence-canvas"
            style={{ width: viewport.width, height: viewport.height }}
            data-testid="sequence-canvas"
            data-first-index={firstIndex}
            onClick={(event) => selectAt(event.clientY)}
          >
            {/* The canvas's fallback content: what it draws, for assistive technology and the tests. */}
            <ul>
              {scene.marks.map((mark) => (
                <li key={mark.rowNumber} data-testid="sequence-item" {...markAttributes(mark)} data-selected={mark.rowNumber === selectedRowNumber}>
                  {mark.label}
                </li>
              ))}
              {scene.arcs.map((arc) => (
                <li
                  key={`arc-${arc.requestRow}`}
                  data-testid="sequence-arc"
                  data-request-row={arc.requestRow}
                  data-reply-row={arc.replyRow}
                  data-x={arc.x}
                  data-request-y={Math.round(arc.requestTop + ARROW_Y)}
                  data-reply-y={Math.round(arc.replyTop + ARROW_Y)}
                >
                  round trip {arc.label}
                </li>
              ))}
            </ul>
          </canvas>
        </div>
        {count === 0 && <p className="traffic-empty muted">{store.rowCount === 0 ? 'No traffic yet.' : 'No rows match the filter.'}</p>}
      </div>
      {!following && !store.paused && rowsBelow > 0 && (
        <button type="button" className="follow-button primary" data-testid="sequence-follow" onClick={() => setFollowing(true)}>
          ↓ follow ({formatCount(rowsBelow)} rows below)
        </button>
      )}
    </section>
  );
}

/** A mark's data attributes: its row, what it is, and the canvas point of its arrow (or dot) for a click. */
function markAttributes(mark: SequenceMark): Record<string, string | number | boolean> {
  const y = Math.round(mark.top + ARROW_Y);
  const common = { 'data-row-number': mark.rowNumber, 'data-type': mark.type, 'data-kind': mark.kind, 'data-error': mark.error, 'data-y': y };
  switch (mark.type) {
    case 'arrow':
      return { ...common, 'data-source': mark.source, 'data-destination': mark.destination, 'data-dashed': mark.dashed, 'data-x': Math.round((mark.from + mark.to) / 2) };
    case 'fanout':
      return { ...common, 'data-source': mark.source, 'data-ticks': mark.ticks.length, 'data-dashed': mark.dashed, 'data-x': Math.round(mark.x ?? mark.ticks[0] ?? 0) };
    case 'event':
      return { ...common, 'data-source': mark.module, 'data-event': mark.event, 'data-x': mark.x };
    case 'note':
      return { ...common, 'data-x': 8 };
  }
}
