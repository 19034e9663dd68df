import { decodeUtf8 } from '../format/utf8';
import { PREVIEW_BYTES, type RowInput } from './trafficRows';

/** What the ring stores of a row besides its module IDs. */
type RowFields = Omit<RowInput, 'source' | 'destination'>;
/** A row as the ring holds it: module IDs as interned indexes (NO_MODULE for none). */
export type StoredRow = RowFields & { source: number; destination: number };

const INITIAL_ALLOCATION = 1024;
const FLAG_INJECTED = 1;
const FLAG_TAPPED = 2;
const FLAG_TO_CLIENT = 4;
const FLAG_PARTIAL = 8;

/**
 * The newest `capacity` traffic rows in typed-array columns (about 120 bytes a row). Rows are
 * numbered from 0 since the ring was created and numbers are never reused, so a number names a row
 * across evictions and clears. The columns start small and double up to the capacity.
 */
export class RowRing {
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
  /** A tapped chunk's offset in its direction's stream (FLAG_TAPPED). */
  private tapOffsets = new Float64Array(0);
  private previewLengths = new Uint8Array(0);
  private previews = new Uint8Array(0);
  private notes: (string | undefined)[] = [];

  private startSlot = 0;
  private storedRows = 0;
  private firstRow = 0;
  private evictedRows = 0;

  constructor(capacity: number) {
    this.capacityLimit = checkedCapacity(capacity);
    this.reallocate(Math.min(INITIAL_ALLOCATION, this.capacityLimit));
  }

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
  /** Rows dropped from the front since the ring was created (clear() drops without counting). */
  get evictedCount(): number {
    return this.evictedRows;
  }

  /** Stores a row, evicting the oldest when full; returns the new row's number. */
  push(row: RowFields, source: number, destination: number): number {
    if (this.storedRows === this.allocated) {
      if (this.allocated < this.capacityLimit) this.reallocate(Math.min(this.capacityLimit, this.allocated * 2));
      else this.evictOldest();
    }
    const slot = (this.startSlot + this.storedRows) % this.allocated;
    this.seqs[slot] = row.seq;
    this.times[slot] = row.timeMicros;
    this.kindCodes[slot] = row.kindCode;
    this.flags[slot] = (row.injected ? FLAG_INJECTED : 0) | tapFlags(row.tap);
    this.tapOffsets[slot] = row.tap?.offset ?? 0;
    this.sources[slot] = source;
    this.destinations[slot] = destination;
    this.correlationIds[slot] = row.correlationId >>> 0;
    this.sizes[slot] = row.size;
    const previewLength = Math.min(PREVIEW_BYTES, row.preview.length);
    this.previewLengths[slot] = previewLength;
    this.previews.set(row.preview.subarray(0, previewLength), slot * PREVIEW_BYTES);
    this.notes[slot] = row.note ?? undefined;
    this.storedRows++;
    return this.endRowNumber - 1;
  }

  // ---- reading a stored row (row numbers from firstRowNumber to endRowNumber - 1) ----

  kindCodeAt(rowNumber: number): number {
    return this.kindCodes[this.slotOf(rowNumber)];
  }
  sourceAt(rowNumber: number): number {
    return this.sources[this.slotOf(rowNumber)];
  }
  destinationAt(rowNumber: number): number {
    return this.destinations[this.slotOf(rowNumber)];
  }
  /** µs since the epoch. */
  timeAt(rowNumber: number): number {
    return this.times[this.slotOf(rowNumber)];
  }
  seqAt(rowNumber: number): number {
    return this.seqs[this.slotOf(rowNumber)];
  }
  /** The note of an error or system row, else the preview decoded as UTF-8. */
  textAt(rowNumber: number): string {
    const slot = this.slotOf(rowNumber);
    const note = this.notes[slot];
    if (note !== undefined) return note;
    const start = slot * PREVIEW_BYTES;
    return decodeUtf8(this.previews.subarray(start, start + this.previewLengths[slot]));
  }

  /** A copy of a row's columns, or null when the row is not stored. */
  read(rowNumber: number): StoredRow | null {
    if (rowNumber < this.firstRow || rowNumber >= this.endRowNumber) return null;
    const slot = this.slotOf(rowNumber);
    const previewStart = slot * PREVIEW_BYTES;
    return {
      seq: this.seqs[slot],
      timeMicros: this.times[slot],
      kindCode: this.kindCodes[slot],
      source: this.sources[slot],
      destination: this.destinations[slot],
      correlationId: this.correlationIds[slot],
      size: this.sizes[slot],
      injected: (this.flags[slot] & FLAG_INJECTED) !== 0,
      preview: this.previews.slice(previewStart, previewStart + this.previewLengths[slot]),
      note: this.notes[slot] ?? null,
      ...(this.flags[slot] & FLAG_TAPPED && {
        tap: { direction: this.flags[slot] & FLAG_TO_CLIENT ? 'to-client' : 'to-upstream', offset: this.tapOffsets[slot], partial: (this.flags[slot] & FLAG_PARTIAL) !== 0 },
      }),
    };
  }

  /** Rewrites every stored row's module indexes, after the ID table was rebuilt. */
  remapModules(remap: (index: number) => number): void {
    for (let i = 0; i < this.storedRows; i++) {
      const slot = (this.startSlot + i) % this.allocated;
      this.sources[slot] = remap(this.sources[slot]);
      this.destinations[slot] = remap(this.destinations[slot]);
    }
  }

  // ---- clearing and resizing ----

  /** Drops every row; numbering goes on from where it was. */
  clear(): void {
    this.firstRow = this.endRowNumber;
    this.storedRows = 0;
    this.startSlot = 0;
    this.reallocate(Math.min(INITIAL_ALLOCATION, this.capacityLimit));
  }

  /** Changes the cap, evicting the oldest rows that no longer fit. */
  setCapacity(capacity: number): void {
    this.capacityLimit = checkedCapacity(capacity);
    while (this.storedRows > this.capacityLimit) this.evictOldest();
    this.reallocate(Math.min(this.capacityLimit, Math.max(INITIAL_ALLOCATION, this.storedRows)));
  }

  private slotOf(rowNumber: number): number {
    return (this.startSlot + (rowNumber - this.firstRow)) % this.allocated;
  }

  private evictOldest(): void {
    this.notes[this.startSlot] = undefined;
    this.startSlot = (this.startSlot + 1) % this.allocated;
    this.firstRow++;
    this.storedRows--;
    this.evictedRows++;
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
    this.tapOffsets = copy(this.tapOffsets, (n) => new Float64Array(n));
    this.previewLengths = copy(this.previewLengths, (n) => new Uint8Array(n));
    this.previews = copy(this.previews, (n) => new Uint8Array(n), PREVIEW_BYTES);
    const notes: (string | undefined)[] = new Array(size);
    for (let i = 0; i < this.storedRows; i++) notes[i] = this.notes[(this.startSlot + i) % this.allocated];
    this.notes = notes;
    this.startSlot = 0;
    this.allocated = size;
  }
}

function tapFlags(tap: RowFields['tap']): number {
  if (tap === undefined) return 0;
  return FLAG_TAPPED | (tap.direction === 'to-client' ? FLAG_TO_CLIENT : 0) | (tap.partial ? FLAG_PARTIAL : 0);
}

function checkedCapacity(capacity: number): number {
  if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`row capacity must be a positive integer, not ${capacity}`);
  return capacity;
}
