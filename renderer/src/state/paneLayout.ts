const STORAGE_KEY = 'relayscope.paneLayout';

/** Sizes the person dragged the splitters to, in CSS pixels; null keeps the stylesheet's default. */
export interface PaneLayout {
  /** The detail / composer column's width. */
  sideWidth: number | null;
  /** The modules and chart row's height. */
  topHeight: number | null;
}

export const DEFAULT_PANE_LAYOUT: PaneLayout = { sideWidth: null, topHeight: null };

/** What every pane keeps at least, so no drag can hide the table, the detail pane or the modules. */
const MIN_SIDE = 260;
const MIN_TABLE = 360;
const MIN_TOP = 90;
const MIN_MAIN = 240;
/** The window's padding on both sides and the splitter between table and column. */
const CHROME_WIDTH = 12;

function clamp(value: number, low: number, high: number): number {
  return Math.round(Math.max(low, Math.min(Math.max(low, high), value)));
}

/** The layout fitted to a window of this size: a size saved in a larger window shrinks to fit. */
export function fitPaneLayout(layout: PaneLayout, width: number, height: number): PaneLayout {
  return {
    sideWidth: layout.sideWidth === null ? null : clamp(layout.sideWidth, MIN_SIDE, width - MIN_TABLE - CHROME_WIDTH),
    topHeight: layout.topHeight === null ? null : clamp(layout.topHeight, MIN_TOP, height - MIN_MAIN),
  };
}

function size(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
}

export function loadPaneLayout(): PaneLayout {
  try {
    const saved = JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? 'null') as Record<string, unknown> | null;
    if (saved === null || typeof saved !== 'object') return DEFAULT_PANE_LAYOUT;
    return { sideWidth: size(saved.sideWidth), topHeight: size(saved.topHeight) };
  } catch {
    // Unreadable or unavailable storage: the stylesheet's layout.
    return DEFAULT_PANE_LAYOUT;
  }
}

export function savePaneLayout(layout: PaneLayout): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify(layout));
  } catch {
    // Not remembered across reloads; this page still uses it.
  }
}
