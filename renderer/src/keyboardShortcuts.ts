import type { TrafficStore } from './state/TrafficStore';
import type { TrafficRow } from './state/trafficRows';

const TEXT_INPUT_TYPES = new Set(['text', 'search', 'number', 'email', 'password', 'url', 'tel', 'date', 'time', 'datetime-local', 'month', 'week']);

/** Where keys are text (or choose an option): the shortcuts stay out of them. A checkbox or a button is not. */
export function isTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && TEXT_INPUT_TYPES.has(target.type);
}

/** A modal dialog (the kick question) has its own keys: Esc cancels it, Space and Enter press its buttons. */
function inDialog(target: EventTarget | null): boolean {
  return target instanceof Element && target.closest('dialog') !== null;
}

export interface ShortcutActions {
  store: TrafficStore;
  selected: () => TrafficRow | null;
  select: (row: TrafficRow | null) => void;
  focusFilter: () => void;
  openDetail: () => void;
  /** Opens or closes the sequence view beside the table. */
  toggleSequence: () => void;
}

const PAGE_ROWS = 20;

/** The row `delta` rows from the selection among the rows shown; with nothing selected (or it is filtered out), the newest (Home: the first). */
function rowFrom(store: TrafficStore, selected: TrafficRow | null, delta: number): TrafficRow | null {
  const count = store.visibleCount;
  if (count === 0) return null;
  const index = selected === null ? -1 : store.visibleIndexOf(selected.rowNumber);
  const next = index >= 0 ? Math.max(0, Math.min(count - 1, index + delta)) : delta <= -count ? 0 : count - 1;
  return store.row(store.visibleRowNumberAt(next));
}

/**
 * The page's keys, whatever has the focus (except in text fields and dialogs): Space pauses or
 * resumes the live tail (a focused button does not take it as a click), / goes to the filter, s opens
 * or closes the sequence view, Esc clears the selection, arrows / Page Up / Page Down / Home / End move it, Enter opens the detail
 * pane on it. Returns the function that removes the listeners.
 */
export function installShortcuts(actions: ShortcutActions): () => void {
  const onKeyDown = (event: KeyboardEvent): void => {
    if (event.defaultPrevented || inDialog(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === 'Escape') {
      actions.select(null);
      return;
    }
    if (isTextField(event.target)) return;
    const { store } = actions;
    // Home and End move by more rows than there are, which stops at the first and the last.
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: PAGE_ROWS, PageUp: -PAGE_ROWS, Home: -store.visibleCount, End: store.visibleCount };
    if (Object.hasOwn(moves, event.key)) {
      event.preventDefault();
      const row = rowFrom(store, actions.selected(), moves[event.key]);
      if (row !== null) actions.select(row);
      return;
    }
    switch (event.key) {
      case ' ':
        event.preventDefault();
        if (store.paused) store.resume();
        else store.pause();
        break;
      case '/':
        event.preventDefault();
        actions.focusFilter();
        break;
      case 's':
        event.preventDefault();
        actions.toggleSequence();
        break;
      case 'Enter':
        // A focused button or link keeps Enter as its own activation.
        if (event.target instanceof HTMLButtonElement || event.target instanceof HTMLAnchorElement) return;
        event.preventDefault();
        if (actions.selected() === null) {
          const newest = rowFrom(store, null, 0);
          if (newest !== null) actions.select(newest);
        }
        actions.openDetail();
        break;
    }
  };
  // A button is activated by Space on key up; the key down above already used it.
  const onKeyUp = (event: KeyboardEvent): void => {
    if (event.key === ' ' && !inDialog(event.target) && !isTextField(event.target)) event.preventDefault();
  };
  window.addEventListener('keydown', onKeyDown);
  window.addEventListener('keyup', onKeyUp);
  return () => {
    window.removeEventListener('keydown', onKeyDown);
    window.removeEventListener('keyup', onKeyUp);
  };
}
