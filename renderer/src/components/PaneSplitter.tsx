import { type KeyboardEvent, type PointerEvent, useRef } from 'react';

const KEY_STEP = 16;

/**
 * A bar between two panes that can be dragged (or moved with the arrow keys when focused) to resize
 * them; a double click puts the default size back. `size(position)` turns the pointer's clientX
 * (vertical bar) or clientY (horizontal bar) into the new size of the pane it controls.
 */
export function PaneSplitter({
  orientation,
  label,
  current,
  size,
  onResize,
  onDone,
  onReset,
  testId,
}: {
  /** vertical: a bar between columns, dragged sideways. */
  orientation: 'vertical' | 'horizontal';
  label: string;
  /** The controlled pane's size now, in px (for the arrow keys and assistive technology). */
  current: () => number;
  size: (position: number) => number;
  onResize: (size: number) => void;
  /** The drag or key press ended: a moment to remember the size. */
  onDone: () => void;
  onReset: () => void;
  testId: string;
}) {
  const dragging = useRef(false);
  const position = (event: PointerEvent): number => (orientation === 'vertical' ? event.clientX : event.clientY);
  // The side column and the top row grow away from the bar's left / towards its bottom.
  const growKeys = orientation === 'vertical' ? { grow: 'ArrowLeft', shrink: 'ArrowRight' } : { grow: 'ArrowDown', shrink: 'ArrowUp' };

  return (
    <div
      role="separator"
      tabIndex={0}
      aria-orientation={orientation}
      aria-label={label}
      aria-valuenow={Math.round(current())}
      className={`pane-splitter ${orientation}`}
      data-testid={testId}
      title={`${label}: drag, or arrow keys; double-click for the default`}
      onPointerDown={(event) => {
        dragging.current = true;
        event.currentTarget.setPointerCapture(event.pointerId);
        event.preventDefault();
      }}
      onPointerMove={(event) => {
        if (dragging.current) onResize(size(position(event)));
      }}
      onPointerUp={(event) => {
        if (!dragging.current) return;
        dragging.current = false;
        event.currentTarget.releasePointerCapture(event.pointerId);
        onDone();
      }}
      onDoubleClick={onReset}
      onKeyDown={(event: KeyboardEvent) => {
        const step = event.key === growKeys.grow ? KEY_STEP : event.key === growKeys.shrink ? -KEY_STEP : 0;
        if (step === 0) return;
        // Handled here: the page's arrow-key shortcuts (moving the selection) see defaultPrevented.
        event.preventDefault();
        onResize(current() + step);
        onDone();
      }}
    />
  );
}
