import { VersionedStore } from './VersionedStore';

const STORAGE_KEY = 'relayscope.sequence';

/** What is remembered of the sequence view across reloads. */
interface SavedSequence {
  open: boolean;
  /** The view's width in CSS pixels as last dragged; null keeps the stylesheet's share. */
  width: number | null;
  /** Module IDs whose lanes the person hid. */
  hidden: string[];
}

function load(): SavedSequence {
  try {
    const saved = JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? 'null') as Record<string, unknown> | null;
    if (saved === null || typeof saved !== 'object') return { open: false, width: null, hidden: [] };
    const width = typeof saved.width === 'number' && Number.isFinite(saved.width) && saved.width > 0 ? saved.width : null;
    const hidden = Array.isArray(saved.hidden) ? saved.hidden.filter((id): id is string => typeof id === 'string') : [];
    return { open: saved.open === true, width, hidden };
  } catch {
    // Unreadable or unavailable storage: closed, the default width, every lane shown.
    return { open: false, width: null, hidden: [] };
  }
}

/**
 * Whether the sequence view is open beside the table, its width, and the lanes hidden: kept in
 * localStorage like the pane layout, so a reload shows the view as it was left.
 */
export class SequenceSettings extends VersionedStore {
  private state: SavedSequence = load();
  private hiddenSet = new Set(this.state.hidden);

  get open(): boolean {
    return this.state.open;
  }
  get width(): number | null {
    return this.state.width;
  }
  isHidden(id: string): boolean {
    return this.hiddenSet.has(id);
  }
  get hiddenCount(): number {
    return this.hiddenSet.size;
  }

  setOpen(open: boolean): void {
    this.state = { ...this.state, open };
    this.save();
  }

  toggle(): void {
    this.setOpen(!this.state.open);
  }

  /** While dragging: shown at once, remembered by rememberWidth() when the drag ends. */
  setWidth(width: number | null): void {
    this.state = { ...this.state, width };
    this.changed();
  }

  rememberWidth(): void {
    this.save();
  }

  setHidden(id: string, hidden: boolean): void {
    if (hidden) this.hiddenSet.add(id);
    else this.hiddenSet.delete(id);
    this.state = { ...this.state, hidden: [...this.hiddenSet] };
    this.save();
  }

  showAll(): void {
    this.hiddenSet.clear();
    this.state = { ...this.state, hidden: [] };
    this.save();
  }

  private save(): void {
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(this.state));
    } catch {
      // Not remembered across reloads; this page still uses it.
    }
    this.changed();
  }
}
