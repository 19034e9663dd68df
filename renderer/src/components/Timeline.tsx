import { useSyncExternalStore } from 'react';
import type { WireOffline } from '@contract';
import { formatCount } from '../format/numberFormat';
import { formatDuration, formatMicros } from '../format/timeFormat';
import type { TrafficStore } from '../state/TrafficStore';

/**
 * The opened recording's message rate over its whole time, one bar per bucket; a click loads the
 * rows around that moment (the backend reads that time range through the file's index). Earlier
 * and later move the loaded window on: around its first or its last row, so the rows already in
 * view stay in the table with the next half-window beside them.
 */
export function Timeline({ offline, store, onSeek }: { offline: WireOffline; store: TrafficStore; onSeek: (time: number) => void }) {
  useSyncExternalStore(store.subscribe, store.getVersion);
  const firstLoaded = store.rowCount === 0 ? null : (store.row(store.firstRowNumber)?.timeMicros ?? null);
  const lastLoaded = store.rowCount === 0 ? null : (store.row(store.endRowNumber - 1)?.timeMicros ?? null);
  const { counts, bucketMicros } = offline.histogram;
  const peak = Math.max(1, ...counts);
  const span = Math.max(1, offline.endTime - offline.startTime);
  const windowAt = ((offline.windowStart - offline.startTime) / span) * 100;

  const seekAt = (event: React.MouseEvent<HTMLDivElement>): void => {
    const box = event.currentTarget.getBoundingClientRect();
    const fraction = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    onSeek(Math.round(offline.startTime + fraction * span));
  };

  /** Arrow keys move the window by a twentieth of the recording; Home goes to its start. */
  const stepWith = (event: React.KeyboardEvent<HTMLDivElement>): void => {
    const step = span / 20;
    if (event.key === 'ArrowRight') onSeek(Math.round(Math.min(offline.endTime, offline.windowStart + step)));
    else if (event.key === 'ArrowLeft') onSeek(Math.round(Math.max(offline.startTime, offline.windowStart - step)));
    else if (event.key === 'Home') onSeek(offline.startTime);
    else return;
    event.preventDefault();
  };

  return (
    <section className="panel rate-chart timeline" aria-label="Timeline">
      <header className="panel-header">
        <h2>Timeline</h2>
        <span className="muted" data-testid="timeline-summary" data-messages={offline.messages}>
          {formatCount(offline.messages)} msgs · {formatDuration(span / 1000)} · peak {formatCount(Math.round(peak / (bucketMicros / 1e6)))} msg/s
          {offline.missed > 0 && <span className="warn"> · recorder missed {formatCount(offline.missed)}</span>}
        </span>
        <span className="timeline-paging">
          <button
            type="button"
            disabled={firstLoaded === null || offline.windowStart <= offline.startTime}
            onClick={() => firstLoaded !== null && onSeek(firstLoaded)}
            data-testid="timeline-earlier"
            title="Load the rows before the first one loaded"
          >
            ◂ earlier
          </button>
          <button
            type="button"
            disabled={lastLoaded === null || lastLoaded >= offline.endTime}
            onClick={() => lastLoaded !== null && onSeek(lastLoaded)}
            data-testid="timeline-later"
            title="Load the rows after the last one loaded"
          >
            later ▸
          </button>
        </span>
      </header>
      <div
        className="timeline-bars"
        role="slider"
        tabIndex={0}
        aria-label="moment to show the rows from"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(windowAt)}
        onClick={seekAt}
        onKeyDown={stepWith}
        data-testid="timeline"
        title="Click (or use the arrow keys) to show the rows around this moment"
      >
        {counts.map((count, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a bucket is its position
          <div key={index} className="timeline-bar" style={{ height: `${(count / peak) * 100}%`, width: `${100 / counts.length}%` }} />
        ))}
        <div className="timeline-window" style={{ left: `${windowAt}%` }} />
      </div>
      <footer className="timeline-axis muted">
        <span>{formatMicros(offline.startTime)}</span>
        <span data-testid="timeline-window-start">
          rows from {formatMicros(offline.windowStart)} (up to {formatCount(offline.windowLimit)} msgs)
        </span>
        <span>{formatMicros(offline.endTime)}</span>
      </footer>
    </section>
  );
}
