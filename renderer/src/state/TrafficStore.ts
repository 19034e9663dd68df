import type { WireEvent, WireSearchProgress } from '@contract';
import { type Conversation, ConversationIndex } from './conversations';
import { FilterIndex } from './FilterIndex';
import { ModuleIdInterner, NO_MODULE } from './ModuleIdInterner';
import type { CompiledFilter, FilterSpec } from './rowFilter';
import { ROW_KINDS } from './rowKinds';
import { RowRing } from './RowRing';
import type { SearchMatches } from './SearchMatches';
import { rowFromEvent, systemRow, type RowInput, type TrafficRow } from './trafficRows';
import { VersionedStore } from './VersionedStore';

export const DEFAULT_ROW_CAPACITY = 200_000;

/** IDs the table may hold beyond two per stored row before it is rebuilt from the stored rows. */
const SPARE_MODULE_IDS = 1024;

/**
 * The traffic rows of the session: the newest `capacity` rows in a ring (RowRing) with their module
 * IDs interned (ModuleIdInterner), the rows matching the filter kept up to date as rows come and go
 * (FilterIndex), and a live-tail pause that keeps storing but freezes what the view shows.
 *
 * Plain TypeScript with no DOM access; React reads it through subscribe/getVersion.
 */
export class TrafficStore extends VersionedStore {
  private readonly ring: RowRing;
  private readonly ids = new ModuleIdInterner();
  private readonly filterIndex: FilterIndex;
  private readonly conversations = new ConversationIndex();
  private lostEventCount = 0;
  /** The backend's whole-payload search for the filter's payload terms, or null. */
  private currentSearch: SearchMatches | null = null;
  /** The time of the first message stored since creation or the last clear: what "relative" time counts from. */
  private firstTime: number | null = null;

  private pausedFlag = false;
  private pausedEndRow = 0;
  private evictedBeforePause = 0;

  constructor(capacity = DEFAULT_ROW_CAPACITY) {
    super();
    this.ring = new RowRing(capacity);
    this.filterIndex = new FilterIndex(this.ring);
  }

  // ---- counts ----

  get capacity(): number {
    return this.ring.capacity;
  }
  /** Rows held now. */
  get rowCount(): number {
    return this.ring.rowCount;
  }
  get firstRowNumber(): number {
    return this.ring.firstRowNumber;
  }
  get endRowNumber(): number {
    return this.ring.endRowNumber;
  }
  /** Rows dropped from the front of the ring since the store was created. */
  get evictedCount(): number {
    return this.ring.evictedCount;
  }
  /** Events the backend's stream skipped, summed from 'lost' events. */
  get lostEvents(): number {
    return this.lostEventCount;
  }
  /** Stored rows that match the filter (all stored rows when no filter is set). */
  get matchCount(): number {
    return this.filterIndex.active ? this.filterIndex.count : this.ring.rowCount;
  }
  /** What the filter bar applied, for an export of what the table shows. */
  get filterSpec(): FilterSpec {
    return this.filterIndex.filter.spec;
  }

  get filterActive(): boolean {
    return this.filterIndex.active;
  }

  // ---- appending ----

  /** Stores one pushed batch (or several, concatenated) and notifies once. */
  append(events: readonly WireEvent[]): void {
    if (events.length === 0) return;
    for (const event of events) {
      if (event.type === 'lost' && Number.isSafeInteger(event.count)) this.lostEventCount += event.count;
      this.conversations.observe(this.store(rowFromEvent(event)), event);
    }
    this.changed();
  }

  /** A system row the UI itself writes (e.g. the backend connection came back). */
  appendNote(timeMicros: number, note: string): void {
    this.store(systemRow(timeMicros, null, note));
    this.changed();
  }

  private store(row: RowInput): number {
    // Rebuilding the ID table renumbers every ID, so it happens before this row's IDs are interned,
    // never between them: the row's source would otherwise keep an index from the old table.
    if (this.ids.size + 2 > 2 * this.ring.capacity + SPARE_MODULE_IDS) this.compactModuleIds();
    const rowNumber = this.ring.push(row, this.internOrNone(row.source), this.internOrNone(row.destination));
    this.filterIndex.dropBefore(this.ring.firstRowNumber);
    this.conversations.dropBefore(this.ring.firstRowNumber);
    this.filterIndex.add(rowNumber);
    if (row.seq !== 0) this.firstTime ??= row.timeMicros;
    return rowNumber;
  }

  private internOrNone(id: string | null): number {
    return id === null ? NO_MODULE : this.ids.intern(id);
  }

  /**
   * Each row names at most two modules, so a table much larger than that holds mostly IDs no
   * longer referenced (modules with generated names coming and going): keep only the live ones.
   */
  private compactModuleIds(): void {
    this.ring.remapModules(this.ids.restart());
    this.filterIndex.setModuleIndex(this.filterModuleIndex(this.filterIndex.filter));
  }

  // ---- filter ----

  /**
   * Applies a new filter: one pass over the stored rows; from then on each arriving row is tested
   * once. `search` is the backend's whole-payload search for the filter's payload terms, if one runs:
   * message rows wait for it to reach their payloads.
   */
  setFilter(filter: CompiledFilter, search: SearchMatches | null = null): void {
    this.currentSearch = search;
    this.filterIndex.set(filter, this.filterModuleIndex(filter), search);
    this.changed();
  }

  /** The filter applied now, compiled. */
  get filter(): CompiledFilter {
    return this.filterIndex.filter;
  }

  /** A push of the running search: the rows it now reached are decided. Pushes of other searches are ignored. */
  applySearchProgress(progress: WireSearchProgress): void {
    const search = this.currentSearch;
    if (search === null || progress.searchId !== search.searchId) return;
    search.apply(progress);
    this.filterIndex.searchAdvanced();
    this.changed();
  }

  /** The search could not run: its rows are decided on their previews, and the bar says why. */
  failSearch(searchId: number, message: string): void {
    const search = this.currentSearch;
    if (search === null || search.searchId !== searchId) return;
    search.fail(message);
    this.filterIndex.searchAdvanced();
    this.changed();
  }

  /** The running search (its progress, for the filter bar), or null. */
  get search(): SearchMatches | null {
    return this.currentSearch;
  }
  /** Stored rows the search has not reached yet: not shown until it does. */
  get searchPending(): number {
    return this.currentSearch === null ? 0 : this.filterIndex.pending;
  }
  /** Stored message rows tested on their 64-byte preview: the backend no longer held their payload (or the search failed). */
  get previewTestedRows(): number {
    return this.filterIndex.previewTestedRows;
  }

  /** The filter's module interned (filters name modules by ID, rows by index); NO_MODULE for any module. */
  private filterModuleIndex(filter: CompiledFilter): { module: number; peer: number } {
    return { module: filter.module === '' ? NO_MODULE : this.ids.intern(filter.module), peer: filter.peer === '' ? NO_MODULE : this.ids.intern(filter.peer) };
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
    return this.pausedFlag ? this.ring.evictedCount - this.evictedBeforePause : 0;
  }

  pause(): void {
    if (this.pausedFlag) return;
    this.pausedFlag = true;
    this.pausedEndRow = this.endRowNumber;
    this.evictedBeforePause = this.ring.evictedCount;
    this.changed();
  }

  resume(): void {
    if (!this.pausedFlag) return;
    this.pausedFlag = false;
    this.changed();
  }

  // ---- the rows the view shows: matching rows, up to the pause point while paused ----

  private get viewEndRow(): number {
    return this.pausedFlag ? Math.max(this.pausedEndRow, this.firstRowNumber) : this.endRowNumber;
  }

  get visibleCount(): number {
    if (!this.filterIndex.active) return this.viewEndRow - this.firstRowNumber;
    return this.pausedFlag ? this.filterIndex.countBefore(this.viewEndRow) : this.filterIndex.count;
  }

  visibleRowNumberAt(index: number): number {
    return this.filterIndex.active ? this.filterIndex.at(index) : this.firstRowNumber + index;
  }

  /** The view index of a row, or -1 when it is not shown (evicted, filtered out, or after the pause). */
  visibleIndexOf(rowNumber: number): number {
    if (rowNumber < this.firstRowNumber || rowNumber >= this.viewEndRow) return -1;
    return this.filterIndex.active ? this.filterIndex.indexOf(rowNumber) : rowNumber - this.firstRowNumber;
  }

  // ---- conversations and time ----

  /** The request/reply pair a row belongs to, or null (not a request or reply, or a reply whose request was not seen). */
  conversation(rowNumber: number): Conversation | null {
    return this.conversations.of(rowNumber) ?? null;
  }
  /** Request and reply rows the pairing index holds (it evicts with the ring). */
  get conversationEntries(): number {
    return this.conversations.size;
  }
  /** The time of the first message (not a join, leave or error) since the store was created or cleared, null before any. */
  get firstTimeMicros(): number | null {
    return this.firstTime;
  }

  // ---- reading rows ----

  /** A stored row's source ID ('' for none) without materializing the row: for scans over many rows. */
  sourceIdAt(rowNumber: number): string {
    return this.ids.idOf(this.ring.sourceAt(rowNumber));
  }
  /** A stored row's destination ID ('' for none: a broadcast, a system row). */
  destinationIdAt(rowNumber: number): string {
    return this.ids.idOf(this.ring.destinationAt(rowNumber));
  }

  row(rowNumber: number): TrafficRow | null {
    const stored = this.ring.read(rowNumber);
    if (stored === null) return null;
    return {
      rowNumber,
      seq: stored.seq === 0 ? null : stored.seq,
      timeMicros: stored.timeMicros,
      kind: ROW_KINDS[stored.kindCode],
      source: this.ids.idOf(stored.source),
      destination: stored.destination === NO_MODULE ? null : this.ids.idOf(stored.destination),
      correlationId: stored.correlationId,
      size: stored.size,
      injected: stored.injected,
      preview: stored.preview,
      note: stored.note,
      ...(stored.tap !== undefined && { tap: stored.tap }),
    };
  }

  // ---- clearing and resizing ----

  /** Drops every row; row numbers keep counting so an old selection can never name a new row. */
  clear(): void {
    this.ring.clear();
    this.ids.clear();
    this.filterIndex.clear();
    this.conversations.clear();
    this.firstTime = null;
    this.filterIndex.setModuleIndex(this.filterModuleIndex(this.filterIndex.filter));
    this.pausedEndRow = this.firstRowNumber;
    this.evictedBeforePause = this.ring.evictedCount;
    this.lostEventCount = 0;
    this.changed();
  }

  /** Changes the cap, keeping the newest rows that fit. */
  setCapacity(capacity: number): void {
    this.ring.setCapacity(capacity);
    this.filterIndex.dropBefore(this.ring.firstRowNumber);
    this.conversations.dropBefore(this.ring.firstRowNumber);
    this.changed();
  }
}
