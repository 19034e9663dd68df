import { type CSSProperties, type ReactNode, useRef, useState, useSyncExternalStore } from 'react';
import { SequenceLanes } from '../state/SequenceLanes';
import type { SequenceSettings } from '../state/SequenceSettings';
import type { TrafficStore } from '../state/TrafficStore';
import type { TrafficRow } from '../state/trafficRows';
import { PaneSplitter } from './PaneSplitter';
import { SequenceView } from './SequenceView';
import './sequence.css';

/** What the table keeps beside an open sequence view (styles.css .traffic-panes keeps the same). */
const MIN_TABLE = 300;
const MIN_SEQUENCE = 220;

/**
 * The table and, when open, the sequence view beside it with a splitter between them. It opens with
 * "sequence ▸" at the right end of the table's header (or the s key) and closes with its ✕ (or s);
 * whether it is open and its width are remembered.
 */
export function SequenceSplit({
  settings,
  store,
  selectedRowNumber,
  onSelect,
  children,
}: {
  settings: SequenceSettings;
  store: TrafficStore;
  selectedRowNumber: number | null;
  onSelect: (row: TrafficRow) => void;
  /** The table. */
  children: ReactNode;
}) {
  useSyncExternalStore(settings.subscribe, settings.getVersion);
  const [lanes] = useState(() => new SequenceLanes());
  const boxRef = useRef<HTMLDivElement>(null);
  const viewRef = useRef<HTMLDivElement>(null);
  const style = (settings.width === null ? {} : { '--sequence-width': `${settings.width}px` }) as CSSProperties;

  return (
    <div className={`traffic-panes${settings.open ? ' with-sequence' : ''}`} ref={boxRef} style={style}>
      <div className="traffic-table-pane">
        {children}
        {/* Open, the view's own header has the close button, and the table is too narrow to spare the room. */}
        {!settings.open && (
          <button
            type="button"
            className="sequence-toggle"
            data-testid="sequence-toggle"
            onClick={() => settings.setOpen(true)}
            title="Show the sequence view beside the table: a lane per module, an arrow per message (s)"
          >
            sequence ▸
          </button>
        )}
      </div>
      {settings.open && (
        <>
          <PaneSplitter
            orientation="vertical"
            label="Width of the sequence view"
            testId="splitter-sequence"
            current={() => viewRef.current?.getBoundingClientRect().width ?? 0}
            size={(x) => {
              const box = (boxRef.current as HTMLDivElement).getBoundingClientRect();
              return Math.round(Math.max(MIN_SEQUENCE, Math.min(box.width - MIN_TABLE, box.right - x)));
            }}
            onResize={(width) => settings.setWidth(width)}
            onDone={() => settings.rememberWidth()}
            onReset={() => {
              settings.setWidth(null);
              settings.rememberWidth();
            }}
          />
          <div className="sequence-pane" ref={viewRef}>
            <SequenceView store={store} lanes={lanes} settings={settings} selectedRowNumber={selectedRowNumber} onSelect={onSelect} />
          </div>
        </>
      )}
    </div>
  );
}
