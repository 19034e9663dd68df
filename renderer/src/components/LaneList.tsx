import { useEffect, useRef, useState } from 'react';
import { moduleColor } from '../state/moduleColors';
import type { SequenceSettings } from '../state/SequenceSettings';

/**
 * The sequence view's "lanes" menu: a checkbox per lane (in lane order) to hide or show it, and
 * "show all". Closes on Esc or a click elsewhere.
 */
export function LaneList({ order, settings }: { order: readonly string[]; settings: SequenceSettings }) {
  const [open, setOpen] = useState(false);
  const boxRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent): void => {
      if (!(event.target instanceof Node) || !boxRef.current?.contains(event.target)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer, true);
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('pointerdown', onPointer, true);
      document.removeEventListener('keydown', onKey, true);
    };
  }, [open]);

  return (
    <div className="lane-list" ref={boxRef}>
      <button type="button" data-testid="lane-list-toggle" aria-expanded={open} onClick={() => setOpen(!open)} title="Choose the lanes shown">
        lanes{settings.hiddenCount > 0 ? ` (${settings.hiddenCount} hidden)` : ''} ▾
      </button>
      {open && (
        <div className="lane-list-menu" data-testid="lane-list">
          {order.length === 0 && <p className="muted">No lanes yet.</p>}
          {order.map((id) => (
            <label key={id} className="field checkbox">
              <input type="checkbox" checked={!settings.isHidden(id)} onChange={(event) => settings.setHidden(id, !event.target.checked)} data-testid="lane-checkbox" data-module={id} />
              <span className="module-swatch" style={{ background: moduleColor(id) }} />
              <span className="mono">{id}</span>
            </label>
          ))}
          <button type="button" disabled={settings.hiddenCount === 0} onClick={() => settings.showAll()} data-testid="lane-show-all">
            show all
          </button>
        </div>
      )}
    </div>
  );
}
