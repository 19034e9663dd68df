import { NO_MODULE } from './ModuleIdInterner';
import { type CompiledFilter, MATCH_EVERYTHING } from './rowFilter';

/** What the filter reads of the stored rows (the ring). */
export interface FilterableRows {
  readonly firstRowNumber: number;
  readonly endRowNumber: number;
  kindCodeAt(rowNumber: number): number;
  sourceAt(rowNumber: number): number;
  destinationAt(rowNumber: number): number;
  textAt(rowNumber: number): string;
}

/** Evicted entries at the front are sliced off once there are this many, and they are most of the list. */
const COMPACT_THRESHOLD = 4096;

/**
 * The stored rows that match the filter, as ascending row numbers kept up to date as rows arrive
 * and leave: a new filter tests every stored row once, then each arriving row is tested once, and
 * evicted rows leave from the front. Holds nothing while the filter is inactive (everything matches).
 */
export class FilterIndex {
  private current: CompiledFilter = MATCH_EVERYTHING;
  /** The filter's module as an interned index; NO_MODULE when it names none. */
  private moduleIndex = NO_MODULE;
  /** The other module of a followed conversation; NO_MODULE when none is followed. */
  private peerIndex = NO_MODULE;
  /** Live entries start at head. */
  private matches: number[] = [];
  private head = 0;

  constructor(private readonly rows: FilterableRows) {}

  get filter(): CompiledFilter {
    return this.current;
  }
  get active(): boolean {
    return this.current.active;
  }

  /** Applies a filter whose module and peer (if any) are interned as given: one pass over the stored rows. */
  set(filter: CompiledFilter, indexes: { module: number; peer: number }): void {
    this.current = filter;
    this.setModuleIndex(indexes);
    this.matches = [];
    this.head = 0;
    if (!filter.active) return;
    for (let rowNumber = this.rows.firstRowNumber; rowNumber < this.rows.endRowNumber; rowNumber++) {
      if (this.rowMatches(rowNumber)) this.matches.push(rowNumber);
    }
  }

  /** After the module IDs were renumbered, or every row dropped: the filter's module under its new index. */
  setModuleIndex(indexes: { module: number; peer: number }): void {
    this.moduleIndex = indexes.module;
    this.peerIndex = indexes.peer;
  }

  /** Tests a row just stored (the newest). */
  add(rowNumber: number): void {
    if (this.current.active && this.rowMatches(rowNumber)) this.matches.push(rowNumber);
  }

  /** Forgets the matches below `rowNumber`: the rows the ring evicted. */
  dropBefore(rowNumber: number): void {
    while (this.head < this.matches.length && this.matches[this.head] < rowNumber) this.head++;
    if (this.head > COMPACT_THRESHOLD && this.head * 2 > this.matches.length) {
      this.matches = this.matches.slice(this.head);
      this.head = 0;
    }
  }

  /** Every row dropped: no matches left. */
  clear(): void {
    this.matches = [];
    this.head = 0;
  }

  /** Live matches (meaningful while active). */
  get count(): number {
    return this.matches.length - this.head;
  }

  /** The row number of the index-th live match. */
  at(index: number): number {
    return this.matches[this.head + index];
  }

  /** How many live matches are below `rowNumber` (binary search; matches are ascending). */
  countBefore(rowNumber: number): number {
    let low = this.head;
    let high = this.matches.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.matches[middle] < rowNumber) low = middle + 1;
      else high = middle;
    }
    return low - this.head;
  }

  /** The position of a row among the live matches, or -1 when it does not match. */
  indexOf(rowNumber: number): number {
    const position = this.countBefore(rowNumber);
    return this.matches[this.head + position] === rowNumber ? position : -1;
  }

  private rowMatches(rowNumber: number): boolean {
    const filter = this.current;
    if ((filter.kindMask & (1 << this.rows.kindCodeAt(rowNumber))) === 0) return false;
    if (this.peerIndex !== NO_MODULE) {
      // A followed conversation: the rows between the two modules, either way.
      const source = this.rows.sourceAt(rowNumber);
      const destination = this.rows.destinationAt(rowNumber);
      if (!((source === this.moduleIndex && destination === this.peerIndex) || (source === this.peerIndex && destination === this.moduleIndex))) return false;
    } else if (this.moduleIndex !== NO_MODULE) {
      const isSource = this.rows.sourceAt(rowNumber) === this.moduleIndex;
      const isDestination = this.rows.destinationAt(rowNumber) === this.moduleIndex;
      if (filter.moduleSide === 'source' ? !isSource : filter.moduleSide === 'destination' ? !isDestination : !isSource && !isDestination) return false;
    }
    return filter.matchesText === null || filter.matchesText(this.rows.textAt(rowNumber));
  }
}
