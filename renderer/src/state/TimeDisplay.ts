import { isTimeMode, type TimeMode } from '../format/timeDisplay';
import { VersionedStore } from './VersionedStore';

const STORAGE_KEY = 'relayscope.timeMode';

/** The row times are shown against: a row number and its time, kept even after the row is evicted. */
export interface TimeReference {
  rowNumber: number;
  timeMicros: number;
}

/** Minimal Storage, so tests can give their own. */
export type ModeStorage = Pick<Storage, 'getItem' | 'setItem'>;

function browserStorage(): ModeStorage | null {
  try {
    return typeof window === 'undefined' ? null : window.localStorage;
  } catch {
    // Storage can be unavailable (privacy settings): the choice then lasts until the page reloads.
    return null;
  }
}

/**
 * How the traffic table shows times: the format the user chose (remembered in localStorage) and
 * the reference row, which the table and the detail pane both set and show.
 */
export class TimeDisplay extends VersionedStore {
  private currentMode: TimeMode;
  private currentReference: TimeReference | null = null;

  constructor(private readonly storage: ModeStorage | null = browserStorage()) {
    super();
    let saved: string | null = null;
    try {
      saved = storage?.getItem(STORAGE_KEY) ?? null;
    } catch {
      saved = null;
    }
    this.currentMode = isTimeMode(saved) ? saved : 'absolute';
  }

  get mode(): TimeMode {
    return this.currentMode;
  }
  get reference(): TimeReference | null {
    return this.currentReference;
  }

  setMode(mode: TimeMode): void {
    if (mode === this.currentMode) return;
    this.switchTo(mode);
    this.changed();
  }

  /** Makes a row the reference (and switches to showing times against it); the same row again unsets it. */
  toggleReference(reference: TimeReference): void {
    if (this.currentReference?.rowNumber === reference.rowNumber) {
      this.currentReference = null;
    } else {
      this.currentReference = reference;
      this.switchTo('reference');
    }
    this.changed();
  }

  private switchTo(mode: TimeMode): void {
    this.currentMode = mode;
    try {
      this.storage?.setItem(STORAGE_KEY, mode);
    } catch {
      // Not remembered across reloads; the table already shows the new format.
    }
  }
}
