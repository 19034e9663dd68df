import { useEffect, useRef } from 'react';
import type { TimeDisplay } from '../state/TimeDisplay';
import type { TrafficRow } from '../state/trafficRows';

export interface RowMenuRequest {
  row: TrafficRow;
  /** Where the pointer was, in viewport pixels. */
  x: number;
  y: number;
}

/** The two modules a row is between, when it is a message to one module. */
export function conversationPeers(row: TrafficRow): [string, string] | null {
  return row.note === null && row.destination !== null && row.source !== '' ? [row.source, row.destination] : null;
}

/**
 * A row's context menu (right-click): make it the time reference (or stop), follow the conversation
 * between its two modules. Closes on a choice, Esc, or a click anywhere else.
 */
export function RowMenu({ request, timeDisplay, onFollow, onClose }: { request: RowMenuRequest; timeDisplay: TimeDisplay; onFollow: (module: string, peer: string) => void; onClose: () => void }) {
  const menuRef = useRef<HTMLDivElement>(null);
  const { row } = request;
  const peers = conversationPeers(row);
  const isReference = timeDisplay.reference?.rowNumber === row.rowNumber;

  useEffect(() => {
    menuRef.current?.querySelector('button')?.focus();
    const onPointer = (event: PointerEvent): void => {
      if (!(event.target instanceof Node) || !menuRef.current?.contains(event.target)) onClose();
    };
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') {
        event.preventDefault();
        onClose();
      }
    };
    document.addEventListener('pointerdown', onPointer, true);
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('pointerdown', onPointer, true);
      document.removeEventListener('keydown', onKey, true);
    };
  }, [onClose]);

  const choose = (action: () => void) => () => {
    action();
    onClose();
  };

  return (
    <div className="row-menu" role="menu" ref={menuRef} style={{ left: request.x, top: request.y }} data-testid="row-menu">
      <button type="button" role="menuitem" onClick={choose(() => timeDisplay.toggleReference({ rowNumber: row.rowNumber, timeMicros: row.timeMicros }))}>
        {isReference ? 'unset the time reference' : 'set as the time reference'}
      </button>
      {peers !== null && (
        <button type="button" role="menuitem" onClick={choose(() => onFollow(peers[0], peers[1]))}>
          follow the conversation {peers[0]} ⇄ {peers[1]}
        </button>
      )}
    </div>
  );
}
