import { NO_MODULE } from './ModuleIdInterner';
import { type CompiledFilter, MATCH_EVERYTHING } from './rowFilter';
import { PayloadVerdict, type SearchMatches } from './SearchMatches';

/** What the filter reads of the stored rows (the ring). */
export interface FilterableRows {
  readonly firstRowNumber: number;
  readonly endRowNumber: number;
  kindCodeAt(rowNumber: number): number;
  sourceAt(rowNumber: number): number;
  destinationAt(rowNumber: number): number;
  textAt(rowNumber: number): string;
  /** µs since the epoch. */
  timeAt(rowNumber: number): number;
  /** The backend's seq of a message row; 0 for error and system rows. */
  seqAt(rowNumber: number): number;
}

/** Evicted entries at the front are sliced off once there are this many, and they are most of the list. */
const COMPACT_THRESHOLD = 4096;

/** Ascending row numbers, the evicted ones dropped from the front. */
class RowNumbers {
  /** Live entries start at head. */
  private numbers: number[] = [];
  private head = 0;

  get count(): number {
    return this.numbers.length - this.head;
  }
  at(index: number): number {
    return this.numbers[this.head + index];
  }
  push(rowNumber: number): void {
    this.numbers.push(rowNumber);
  }
  clear(): void {
    this.numbers = [];
    this.head = 0;
  }
  dropBefore(rowNumber: number): void {
    while (this.head < this.numbers.length && this.numbers[this.head] < rowNumber) this.head++;
    if (this.head > COMPACT_THRESHOLD && this.head * 2 > this.numbers.length) {
      this.numbers = this.numbers.slice(this.head);
      this.head = 0;
    }
  }
  /** How many live entries are below `rowNumber` (binary search). */
  countBefore(rowNumber: number): number {
    let low = this.head;
    let high = this.numbers.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.numbers[middle] < rowNumber) low = middle + 1;
      else high = middle;
    }
    return low - this.head;
  }
}

/**
 * The stored rows that match the filter, as ascending row numbers kept up to date as rows arrive
 * and leave: a new filter tests every stored row once, then each arriving row is tested once, and
 * evicted rows leave from the front. Holds nothing while the filter is inactive (everything matches).
 *
 * With a whole-payload search (the filter has payload terms), a message row is decided by what the
 * backend's search found for its seq. The search visits seqs in order, as the rows are stored, so the
 * rows are decided in order up to the first one it has not reached: that row and the ones after it
 * wait (`pending`) and are decided as its progress arrives, each row still once.
 */
export class FilterIndex {
  private current: CompiledFilter = MATCH_EVERYTHING;
  /** The filter's module as an interned index; NO_MODULE when it names none. */
  private moduleIndex = NO_MODULE;
  /** The other module of a followed conversation; NO_MODULE when none is followed. */
  private peerIndex = NO_MODULE;
  private readonly matches = new RowNumbers();
  /** The backend's search for the filter's payload terms; null: previews decide. */
  private search: SearchMatches | null = null;
  /** Rows below this are decided; with a search, the rows from here wait for its progress. */
  private decidedEnd = 0;
  /** Message rows tested on their preview because the search could not read their payload (evicted, never stored, or no search). */
  private readonly previewTested = new RowNumbers();

  constructor(private readonly rows: FilterableRows) {}

  get filter(): CompiledFilter {
    return this.current;
  }
  get active(): boolean {
    return this.current.active;
  }

  /** Applies a filter whose module and peer (if any) are interned as given: one pass over the stored rows (with a search, over those it has reached). */
  set(filter: CompiledFilter, indexes: { module: number; peer: number }, search: SearchMatches | null = null): void {
    this.current = filter;
    this.search = filter.payloadExpression === '' ? null : search;
    this.setModuleIndex(indexes);
    this.matches.clear();
    this.previewTested.clear();
    this.decidedEnd = this.rows.firstRowNumber;
    if (filter.active) this.decide();
  }

  /** The search reported progress (or failed): decides the rows it has now reached. */
  searchAdvanced(): void {
    if (this.current.active && this.search !== null) this.decide();
  }

  /** Stored rows not decided yet: the search has not reached their payloads. */
  get pending(): number {
    return this.current.active ? this.rows.endRowNumber - Math.max(this.decidedEnd, this.rows.firstRowNumber) : 0;
  }

  /** Stored message rows tested on their 64-byte preview because the search could not read their payload. */
  get previewTestedRows(): number {
    return this.previewTested.count;
  }

  /** After the module IDs were renumbered, or every row dropped: the filter's module under its new index. */
  setModuleIndex(indexes: { module: number; peer: number }): void {
    this.moduleIndex = indexes.module;
    this.peerIndex = indexes.peer;
  }

  /** Tests a row just stored (the newest); with a search, once the rows before it are decided. */
  add(rowNumber: number): void {
    if (this.current.active && this.decidedEnd === rowNumber) this.decide();
  }

  /** Forgets the matches below `rowNumber`: the rows the ring evicted. */
  dropBefore(rowNumber: number): void {
    this.matches.dropBefore(rowNumber);
    this.previewTested.dropBefore(rowNumber);
  }

  /** Every row dropped: no matches left. */
  clear(): void {
    this.matches.clear();
    this.previewTested.clear();
    this.decidedEnd = this.rows.endRowNumber;
  }

  /** Live matches (meaningful while active). */
  get count(): number {
    return this.matches.count;
  }

  /** The row number of the index-th live match. */
  at(index: number): number {
    return this.matches.at(index);
  }

  /** How many live matches are below `rowNumber`. */
  countBefore(rowNumber: number): number {
    return this.matches.countBefore(rowNumber);
  }

  /** The position of a row among the live matches, or -1 when it does not match. */
  indexOf(rowNumber: number): number {
    const position = this.countBefore(rowNumber);
    return position < this.matches.count && this.matches.at(position) === rowNumber ? position : -1;
  }

  /** Decides the stored rows from decidedEnd on, stopping at the first whose payload the search has not reached. */
  private decide(): void {
    let rowNumber = Math.max(this.decidedEnd, this.rows.firstRowNumber);
    for (; rowNumber < this.rows.endRowNumber; rowNumber++) {
      let verdict = this.verdict(rowNumber);
      if (verdict === PayloadVerdict.Pending) break;
      if (verdict === PayloadVerdict.PreviewOnly) {
        this.previewTested.push(rowNumber);
        verdict = (this.current.matchesText as (text: string) => boolean)(this.rows.textAt(rowNumber)) ? PayloadVerdict.Match : PayloadVerdict.NoMatch;
      }
      if (verdict === PayloadVerdict.Match) this.matches.push(rowNumber);
    }
    this.decidedEnd = rowNumber;
  }

  /** Match, NoMatch, Pending (the search has not reached the payload), or PreviewOnly: the search could not read the payload, its preview decides. */
  private verdict(rowNumber: number): PayloadVerdict {
    const filter = this.current;
    if ((filter.kindMask & (1 << this.rows.kindCodeAt(rowNumber))) === 0) return PayloadVerdict.NoMatch;
    if (filter.timeStart !== null || filter.timeEnd !== null) {
      const time = this.rows.timeAt(rowNumber);
      if ((filter.timeStart !== null && time < filter.timeStart) || (filter.timeEnd !== null && time > filter.timeEnd)) return PayloadVerdict.NoMatch;
    }
    if (this.peerIndex !== NO_MODULE) {
      // A followed conversation: the rows between the two modules, either way.
      const source = this.rows.sourceAt(rowNumber);
      const destination = this.rows.destinationAt(rowNumber);
      if (!((source === this.moduleIndex && destination === this.peerIndex) || (source === this.peerIndex && destination === this.moduleIndex))) return PayloadVerdict.NoMatch;
    } else if (this.moduleIndex !== NO_MODULE) {
      const isSource = this.rows.sourceAt(rowNumber) === this.moduleIndex;
      const isDestination = this.rows.destinationAt(rowNumber) === this.moduleIndex;
      if (filter.moduleSide === 'source' ? !isSource : filter.moduleSide === 'destination' ? !isDestination : !isSource && !isDestination) return PayloadVerdict.NoMatch;
    }
    if (filter.matchesText === null) return PayloadVerdict.Match;
    const seq = this.search === null ? 0 : this.rows.seqAt(rowNumber);
    // Without a search, and for error and system rows (no payload, a note), the text the row holds decides.
    if (seq === 0) return filter.matchesText(this.rows.textAt(rowNumber)) ? PayloadVerdict.Match : PayloadVerdict.NoMatch;
    return (this.search as SearchMatches).verdict(seq);
  }
}
