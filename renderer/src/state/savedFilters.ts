import type { FilterSpec, ModuleSide } from './rowFilter';
import { type RowKind, ROW_KINDS } from './rowKinds';
import { readStoredJson, writeStoredJson } from './storedSetting';
import { VersionedStore } from './VersionedStore';

const STORAGE_KEY = 'relayscope.savedFilters';
export const MAX_SAVED_FILTERS = 50;
export const MAX_FILTER_NAME = 60;
/** Each typed part (text, fields, time, module IDs): the whole list stays far below localStorage's few MiB. */
export const MAX_FILTER_PART = 1000;

/** A filter bar's whole state (modules, side, kinds, text, regex, case, fields, time range) under a name. */
export interface SavedFilter {
  name: string;
  spec: FilterSpec;
}

const SIDES: readonly ModuleSide[] = ['either', 'source', 'destination'];

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length <= MAX_FILTER_PART ? value : null;
}

/** A stored spec checked field by field; null when any part is not what the filter bar writes. */
function specOf(value: unknown): FilterSpec | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const parts = [v.module, v.peer ?? '', v.text, v.fields ?? '', v.time ?? ''].map(text);
  if (parts.some((part) => part === null)) return null;
  const [module, peer, typed, fields, time] = parts as string[];
  if (!SIDES.includes(v.moduleSide as ModuleSide) || typeof v.regex !== 'boolean') return null;
  if (!Array.isArray(v.kinds) || !v.kinds.every((kind) => ROW_KINDS.includes(kind as RowKind))) return null;
  return {
    module,
    moduleSide: v.moduleSide as ModuleSide,
    peer,
    kinds: ROW_KINDS.filter((kind) => (v.kinds as unknown[]).includes(kind)),
    text: typed,
    regex: v.regex,
    caseSensitive: v.caseSensitive === true,
    fields,
    time,
  };
}

/**
 * The person's saved filters, in the order saved, kept in localStorage like the pane layout.
 * Bounded in number and size; an entry that no longer reads as a filter is dropped and counted.
 * Each change returns null or a sentence saying why it was refused.
 */
export class SavedFilters extends VersionedStore {
  private entries: SavedFilter[] = [];
  /** Stored entries that could not be read back (counted, not shown as filters). */
  readonly unreadable: number;
  /** Set when the browser refused the last write: the list then lasts until the page reloads. */
  storageProblem: string | null = null;

  constructor() {
    super();
    const stored = readStoredJson(STORAGE_KEY);
    const list = Array.isArray(stored) ? stored : [];
    for (const item of list.slice(0, MAX_SAVED_FILTERS)) {
      const name = typeof item?.name === 'string' ? item.name : null;
      const spec = specOf(item?.spec);
      if (name !== null && nameProblem(name) === null && spec !== null && !this.has(name)) this.entries.push({ name, spec });
    }
    this.unreadable = list.length - this.entries.length;
  }

  get list(): readonly SavedFilter[] {
    return this.entries;
  }

  save(name: string, spec: FilterSpec): string | null {
    const trimmed = name.trim();
    const problem = nameProblem(trimmed) ?? (this.has(trimmed) ? `a saved filter is already named "${trimmed}": pick another name, or delete that one first` : null);
    if (problem !== null) return problem;
    if (this.entries.length >= MAX_SAVED_FILTERS) return `at most ${MAX_SAVED_FILTERS} filters can be saved: delete one first`;
    const stored = specOf(spec);
    if (stored === null) return `this filter is too long to save: text, JSON fields, time range and module IDs are at most ${MAX_FILTER_PART} characters each`;
    this.entries = [...this.entries, { name: trimmed, spec: stored }];
    this.store();
    return null;
  }

  rename(from: string, to: string): string | null {
    const trimmed = to.trim();
    if (trimmed === from) return null;
    const problem = nameProblem(trimmed) ?? (this.has(trimmed) ? `a saved filter is already named "${trimmed}"` : null);
    if (problem !== null) return problem;
    this.entries = this.entries.map((entry) => (entry.name === from ? { ...entry, name: trimmed } : entry));
    this.store();
    return null;
  }

  remove(name: string): void {
    this.entries = this.entries.filter((entry) => entry.name !== name);
    this.store();
  }

  private has(name: string): boolean {
    return this.entries.some((entry) => entry.name === name);
  }

  private store(): void {
    this.storageProblem = writeStoredJson(STORAGE_KEY, this.entries) ? null : 'the browser refused to store the saved filters (storage full or disabled): they last until this page reloads';
    this.changed();
  }
}

function nameProblem(name: string): string | null {
  if (name === '') return 'give the filter a name';
  if (name.length > MAX_FILTER_NAME) return `a filter's name is at most ${MAX_FILTER_NAME} characters (this one has ${name.length})`;
  return null;
}
