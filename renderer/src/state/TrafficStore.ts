import type { WireEvent } from '@contract';
import { base64ToBytes } from '../format/base64';
import { decodeUtf8 } from '../format/utf8';
import { type CompiledFilter, MATCH_EVERYTHING } from './rowFilter';
import { type RowKind, ROW_KINDS, rowKindCode } from './rowKinds';

export const DEFAULT_ROW_CAPACITY = 200_000;
/** The backend sends at most this many preview bytes per message (contract: "at most 64"). */
export const PREVIEW_BYTES = 64;
/** The source shown for ERROR events: the hub sends every ERROR frame. */
export const HUB_SOURCE = '$hub';

const INITIAL_ALLOCATION = 1024;
const NO_MODULE = -1;
const FLAG_INJECTED = 1;
const MATCHES_COMPACT_THRESHOLD = 4096;

/** One row of the traffic view, materialized from the store's columns for display. */
export interface TrafficRow {
  /** Position since the store was created; never reused, so it identifies a row across evictions. */
  rowNumber: number;
  /** The backend's message sequence number (for the payload channel); null for error and system rows. */
  seq: number | null;
  timeMicros: number;
  kind: RowKind;
  /** Empty when the row has no source (events lost). */
  source: string;
  /** null for a broadcast and for rows about a single module. */
  destination: string | null;
  correlationId: number;
  size: number;
  injected: boolean;
  /** The first bytes of the payload as the backend sent them. */
  preview: Uint8Array;
  /** What an error or system row says; null for messages. */
  note: string | null;
}

interface RowInput {
  seq: number;
  timeMicros: number;
  kindCode: number;
  source: string | null;
  destination: string | null;
  correlationId: number;
  size: number;
  injected: boolean;
  preview: Uint8Array;
  note: string | null;
}

/**
 * The traffic rows of the session: a ring buffer that keeps the newest `capacity` rows in typed-array
 * columns (about 110 bytes a row; module IDs interned), with a live-tail pause that keeps storing,
 * and a filter whose matches are maintained incrementally as rows arrive and leave.
 *
 * Plain TypeScript with no DOM access; React reads it through subscribe/getVersion.
 */
export class TrafficStore {
  private capacityLimit: number;
  private allocated = 0;
  private seqs = new Float64Array(0);
  private times = new Float64Array(0);
  private kindCodes = new Uint8Array(0);
  private flags = new Uint8Array(0);
  private sources = new Int32Array(0);
  private destinations = new Int32Array(0);
  private correlationIds = new Uint32Array(0);
  private sizes = new Float64Array(0);
  private previewLengths = new Uint8Array(0);
  private previews = new Uint8Array(0);
  private notes: (string | undefined)[] = [];

  private startSlot = 0;
  private storedRows = 0;
  private firstRow = 0;
  private evictedRows = 0;
  private lostEventCount = 0;

  private moduleIds: string[] = [];
  private moduleIndexes = new Map<string, number>();

  private filter: CompiledFilter = MATCH_EVERYTHING;
  private filterModuleIndex = NO_MODULE;
  /** Row numbers that match the filter, ascending; live entries start at matchesHead. */
  private matches: number[] = [];
  private matchesHead = 0;

  private pausedFlag = false;
  private pausedEndRow = 0;
  private evictedDuringPause = 0;

  private version = 0;
  private readonly listeners = new Set<() => void>();

  constructor(capacity = DEFAULT_ROW_CAPACITY) {
    this.capacityLimit = checkedCapacity(capacity);
    this.reallocate(Math.min(INITIAL_ALLOCATION, this.capacityLimit));
  }

  // ---- subscription (for React's useSyncExternalStore) ----

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getVersion = (): number => this.version;

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }

  // ---- counts ----

  get capacity(): number {
    return this.capacityLimit;
  }
  /** Rows held now. */
  get rowCount(): number {
    return this.storedRows;
  }
  get firstRowNumber(): number {
    return this.firstRow;
  }
  get endRowNumber(): number {
    return this.firstRow + this.storedRows;
  }
  /** Rows dropped from the front of the ring since the store was created. */
  get evictedCount(): number {
    return this.evictedRows;
  }
  /** Events the backend's stream skipped, summed from 'lost' events. */
  get lostEvents(): number {
    return this.lostEventCount;
  }
  /** Stored rows that match the filter (all stored rows when no filter is set). */
  get matchCount(): number {
    return this.filter.active ? this.matches.length - this.matchesHead : this.storedRows;
  }
  get filterActive(): boolean {
    return this.filter.active;
  }

  // ---- appending ----

  /** Stores one pushed batch (or several, concatenated) and notifies once. */
  append(events: readonly WireEvent[]): void {
    if (events.length === 0) return;
    for (const event of events) this.appendRow(rowFromEvent(event, this));
    this.changed();
  }

  /** A system row the UI itself writes (e.g. the backend connection came back). */
  appendNote(timeMicros: number, note: string): void {
    this.appendRow(systemRow(timeMicros, null, note));
    this.changed();
  }

  /** Adds to lostEvents; called for each 'lost' event while its row is made. */
  recordLost(count: number): void {
    this.lostEventCount += count;
  }

  private appendRow(input: RowInput): void {
    // Compacting renumbers every ID, so it happens before this row's IDs are interned, never between them.
    if (this.moduleIds.length + 2 > this.moduleIdLimit) this.compactModuleIds();
    if (this.storedRows === this.allocated) {
      if (this.allocated < this.capacityLimit) this.reallocate(Math.min(this.capacityLimit, this.allocated * 2));
      else this.evictOldest();
    }
    const slot = (this.startSlot + this.storedRows) % this.allocated;
    this.seqs[slot] = input.seq;
    this.times[slot] = input.timeMicros;
    this.kindCodes[slot] = input.kindCode;
    this.flags[slot] = input.injected ? FLAG_INJECTED : 0;
    this.sources[slot] = input.source === null ? NO_MODULE : this.intern(input.source);
    this.destinations[slot] = input.destination === null ? NO_MODULE : this.intern(input.destination);
    this.correlationIds[slot] = input.correlationId >>> 0;
    this.sizes[slot] = input.size;
    const previewLength = Math.min(PREVIEW_BYTES, input.preview.length);
    this.previewLengths[slot] = previewLength;
    this.previews.set(input.preview.subarray(0, previewLength), slot * PREVIEW_BYTES);
    this.notes[slot] = input.note ?? undefined;
    const rowNumber = this.firstRow + this.storedRows;
    this.storedRows++;
    if (this.filter.active && this.slotMatches(slot)) this.matches.push(rowNumber);
  }

  private evictOldest(): void {
    if (this.filter.active && this.matchesHead < this.matches.length && this.matches[this.matchesHead] === this.firstRow) {
      this.matchesHead++;
      if (this.matchesHead > MATCHES_COMPACT_THRESHOLD && this.matchesHead * 2 > this.matches.length) {
        this.matches = this.matches.slice(this.matchesHead);
        this.matchesHead = 0;
      }
    }
    this.notes[this.startSlot] = undefined;
    this.startSlot = (this.startSlot + 1) % this.allocated;
    this.firstRow++;
    this.storedRows--;
    this.evictedRows++;
    if (this.pausedFlag) this.evictedDuringPause++;
  }

  private reallocate(size: number): void {
    const copy = <T extends Float64Array | Uint8Array | Int32Array | Uint32Array>(from: T, make: (n: number) => T, width = 1): T => {
      const to = make(size * width);
      for (let i = 0; i < this.storedRows; i++) {
        const slot = (this.startSlot + i) % this.allocated;
        if (width === 1) to[i] = from[slot];
        else to.set(from.subarray(slot * width, slot * width + width), i * width);
      }
      return to;
    };
    this.seqs = copy(this.seqs, (n) => new Float64Array(n));
    this.times = copy(this.times, (n) => new Float64Array(n));
    this.kindCodes = copy(this.kindCodes, (n) => new Uint8Array(n));
    this.flags = copy(this.flags, (n) => new Uint8Array(n));
    this.sources = copy(this.sources, (n) => new Int32Array(n));
    this.destinations = copy(this.destinations, (n) => new Int32Array(n));
    this.correlationIds = copy(this.correlationIds, (n) => new Uint32Array(n));
    this.sizes = copy(this.sizes, (n) => new Float64Array(n));
    this.previewLengths = copy(this.previewLengths, (n) => new Uint8Array(n));
    this.previews = copy(this.previews, (n) => new Uint8Array(n), PREVIEW_BYTES);
    const notes: (string | undefined)[] = new Array(size);
    for (let i = 0; i < this.storedRows; i++) notes[i] = this.notes[(this.startSlot + i) % this.allocated];
    this.notes = notes;
    this.startSlot = 0;
    this.allocated = size;
  }

  // ---- module IDs ----

  /**
   * Each row names at most two modules, so more IDs than this means most are no longer referenced
   * (modules with generated names coming and going): the table is then rebuilt from the live rows.
   */
  private get moduleIdLimit(): number {
    return 2 * this.capacityLimit + INITIAL_ALLOCATION;
  }

  private intern(id: string): number {
    const known = this.moduleIndexes.get(id);
    if (known !== undefined) return known;
    const index = this.moduleIds.length;
    this.moduleIds.push(id);
    this.moduleIndexes.set(id, index);
    return index;
  }

  private compactModuleIds(): void {
    const oldIds = this.moduleIds;
    this.moduleIds = [];
    this.moduleIndexes = new Map();
    const remap = (index: number): number => (index === NO_MODULE ? NO_MODULE : this.intern(oldIds[index]));
    for (let i = 0; i < this.storedRows; i++) {
      const slot = (this.startSlot + i) % this.allocated;
      this.sources[slot] = remap(this.sources[slot]);
      this.destinations[slot] = remap(this.destinations[slot]);
    }
    this.filterModuleIndex = this.filter.module === '' ? NO_MODULE : this.intern(this.filter.module);
  }

  // ---- filter ----

  /** Applies a new filter: one pass over the stored rows; from then on each arriving row is tested once. */
  setFilter(filter: CompiledFilter): void {
    this.filter = filter;
    this.filterModuleIndex = filter.module === '' ? NO_MODULE : this.intern(filter.module);
    this.matches = [];
    this.matchesHead = 0;
    if (filter.active) {
      for (let i = 0; i < this.storedRows; i++) {
        if (this.slotMatches((this.startSlot + i) % this.allocated)) this.matches.push(this.firstRow + i);
      }
    }
    this.changed();
  }

  private slotMatches(slot: number): boolean {
    const filter = this.filter;
    if ((filter.kindMask & (1 << this.kindCodes[slot])) === 0) return false;
    if (this.filterModuleIndex !== NO_MODULE) {
      const isSource = this.sources[slot] === this.filterModuleIndex;
      const isDestination = this.destinations[slot] === this.filterModuleIndex;
      if (filter.moduleSide === 'source' ? !isSource : filter.moduleSide === 'destination' ? !isDestination : !isSource && !isDestination) return false;
    }
    return filter.matchesText === null || filter.matchesText(this.slotText(slot));
  }

  private slotText(slot: number): string {
    const note = this.notes[slot];
    if (note !== undefined) return note;
    const start = slot * PREVIEW_BYTES;
    return decodeUtf8(this.previews.subarray(start, start + this.previewLengths[slot]));
  }

  // ---- live tail ----

  get paused(): boolean {
    return this.pausedFlag;
  }
  /** Stored rows from after the pause point that match the filter: what resuming will add to the view. */
  get pendingCount(): number {
    return this.pausedFlag ? this.matchCount - this.visibleCount : 0;
  }
  /** Every row that arrived since the pause, matching the filter or not, evicted or not. */
  get arrivedWhilePaused(): number {
    return this.pausedFlag ? this.endRowNumber - this.pausedEndRow : 0;
  }
  /** Rows the ring dropped while paused: the pause keeps everything only up to the capacity. */
  get evictedWhilePaused(): number {
    return this.evictedDuringPause;
  }

  pause(): void {
    if (this.pausedFlag) return;
    this.pausedFlag = true;
    this.pausedEndRow = this.endRowNumber;
    this.evictedDuringPause = 0;
    this.changed();
  }

  resume(): void {
    if (!this.pausedFlag) return;
    this.pausedFlag = false;
    this.evictedDuringPause = 0;
    this.changed();
  }

  // ---- the rows the view shows: matching rows, up to the pause point while paused ----

  private get viewEndRow(): number {
    return this.pausedFlag ? Math.max(this.pausedEndRow, this.firstRow) : this.endRowNumber;
  }

  get visibleCount(): number {
    if (!this.filter.active) return this.viewEndRow - this.firstRow;
    return this.pausedFlag ? this.matchesBefore(this.viewEndRow) : this.matches.length - this.matchesHead;
  }

  visibleRowNumberAt(index: number): number {
    return this.filter.active ? this.matches[this.matchesHead + index] : this.firstRow + index;
  }

  /** The view index of a row, or -1 when it is not shown (evicted, filtered out, or after the pause). */
  visibleIndexOf(rowNumber: number): number {
    if (rowNumber < this.firstRow || rowNumber >= this.viewEndRow) return -1;
    if (!this.filter.active) return rowNumber - this.firstRow;
    const position = this.matchesBefore(rowNumber);
    return this.matches[this.matchesHead + position] === rowNumber ? position : -1;
  }

  /** How many live matches are below `rowNumber` (binary search; matches are ascending). */
  private matchesBefore(rowNumber: number): number {
    let low = this.matchesHead;
    let high = this.matches.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.matches[middle] < rowNumber) low = middle + 1;
      else high = middle;
    }
    return low - this.matchesHead;
  }

  // ---- reading rows ----

  row(rowNumber: number): TrafficRow | null {
    if (rowNumber < this.firstRow || rowNumber >= this.endRowNumber) return null;
    const slot = (this.startSlot + (rowNumber - this.firstRow)) % this.allocated;
    const seq = this.seqs[slot];
    const source = this.sources[slot];
    const destination = this.destinations[slot];
    const previewStart = slot * PREVIEW_BYTES;
    return {
      rowNumber,
      seq: seq === 0 ? null : seq,
      timeMicros: this.times[slot],
      kind: ROW_KINDS[this.kindCodes[slot]],
      source: source === NO_MODULE ? '' : this.moduleIds[source],
      destination: destination === NO_MODULE ? null : this.moduleIds[destination],
      correlationId: this.correlationIds[slot],
      size: this.sizes[slot],
      injected: (this.flags[slot] & FLAG_INJECTED) !== 0,
      preview: this.previews.slice(previewStart, previewStart + this.previewLengths[slot]),
      note: this.notes[slot] ?? null,
    };
  }

  // ---- clearing and resizing ----

  /** Drops every row; row numbers keep counting so an old selection can never name a new row. */
  clear(): void {
    this.firstRow = this.endRowNumber;
    this.storedRows = 0;
    this.startSlot = 0;
    this.matches = [];
    this.matchesHead = 0;
    this.moduleIds = [];
    this.moduleIndexes = new Map();
    this.filterModuleIndex = this.filter.module === '' ? NO_MODULE : this.intern(this.filter.module);
    this.pausedEndRow = this.firstRow;
    this.evictedDuringPause = 0;
    this.lostEventCount = 0;
    this.reallocate(Math.min(INITIAL_ALLOCATION, this.capacityLimit));
    this.changed();
  }

  /** Changes the cap, keeping the newest rows that fit. */
  setCapacity(capacity: number): void {
    this.capacityLimit = checkedCapacity(capacity);
    while (this.storedRows > this.capacityLimit) this.evictOldest();
    this.reallocate(Math.min(this.capacityLimit, Math.max(INITIAL_ALLOCATION, this.storedRows)));
    this.changed();
  }
}

function checkedCapacity(capacity: number): number {
  if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`row capacity must be a positive integer, not ${capacity}`);
  return capacity;
}

function systemRow(timeMicros: number, source: string | null, note: string, kind: RowKind = 'system', destination: string | null = null): RowInput {
  return { seq: 0, timeMicros, kindCode: rowKindCode(kind), source, destination, correlationId: 0, size: 0, injected: false, preview: new Uint8Array(0), note };
}

function rowFromEvent(event: WireEvent, store: TrafficStore): RowInput {
  try {
    switch (event.type) {
      case 'message':
        return {
          seq: event.seq,
          timeMicros: event.time,
          kindCode: rowKindCode(event.kind),
          source: event.source,
          destination: event.destination,
          correlationId: event.correlationId,
          size: event.size,
          injected: event.injected,
          preview: base64ToBytes(event.preview),
          note: null,
        };
      case 'join':
        return systemRow(event.time, event.id, `joined (${event.transport} ${event.listener})`);
      case 'leave':
        return systemRow(event.time, event.id, `left: ${event.reason}${event.code !== 0 ? ` (code ${event.code})` : ''}`);
      case 'error':
        return systemRow(event.time, HUB_SOURCE, `${event.codeName}: ${event.message}`, 'error', event.id === '' ? null : event.id);
      case 'lost':
        store.recordLost(event.count);
        return systemRow(event.time, null, `${event.count} events skipped by the backend's event stream to keep up (the relay itself lost nothing)`);
      default:
        return systemRow(Date.now() * 1000, null, `unrecognized event from the backend: ${JSON.stringify(event).slice(0, 500)}`);
    }
  } catch (error) {
    // A malformed event becomes a visible row rather than breaking the whole batch.
    return systemRow(Date.now() * 1000, null, `malformed event from the backend (${error instanceof Error ? error.message : String(error)}): ${JSON.stringify(event).slice(0, 500)}`);
  }
}

/** The text of a row as the traffic view's preview column and the text filter see it. */
export function rowText(row: TrafficRow): string {
  return row.note ?? decodeUtf8(row.preview);
}

