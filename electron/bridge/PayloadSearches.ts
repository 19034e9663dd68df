import { type CaptureFilter, CaptureFilterError, parseCaptureFilter } from '../capture/captureFilter';
import type { SearchablePayloads } from '../hub/PayloadStore';
import type { SearchArgs, WireSearchProgress } from './contract';
import { BackendError } from './HubBackend';

export interface PayloadSearchOptions {
  /** The longest a slice of scanning runs before it yields to the event loop. */
  sliceMs?: number;
  /** The least time between two progress pushes of one search (the last one is never held back). */
  pushEveryMs?: number;
  /** How often a search that has caught up looks for payloads stored since. */
  livePollMs?: number;
  /** Searches running at once; starting one more cancels the oldest. */
  maxSearches?: number;
}

/** Payloads tested between two looks at the clock. */
const CLOCK_EVERY = 64;

interface Search {
  readonly id: number;
  readonly filter: CaptureFilter;
  /** The seq of the last payload tested (or skipped as gone); the next slice starts after it. */
  cursor: number;
  scanned: number;
  matched: number;
  /** Since the last push: [firstSeq, count, …] runs of matching seqs, and of seqs not searched in full. */
  matches: number[];
  unsearched: number[];
  caughtUp: boolean;
  lastPushAt: number;
  /** The next slice: at once while behind, after livePollMs once caught up. */
  next: NodeJS.Immediate | null;
  poll: NodeJS.Timeout | null;
}

/**
 * Whole-payload searches over the backend's payload store (HubEventStream's, or the loaded window
 * of an opened recording). They run here, in the backend, because that is where whole payloads are:
 * the page holds 64-byte previews, and copying every payload into it to search there would double
 * the memory and load the page's connection. They run on the backend's event loop in slices of at
 * most `sliceMs`, yielding between slices, rather than in a worker thread: the store is a heap of
 * Buffers that a worker could only read after copying it all (hundreds of MiB), while a text or
 * regex test of a 1 KiB payload takes about a microsecond, so a 200,000-payload search costs a few
 * hundred ms in slices and the hub's I/O waits at most one slice.
 *
 * Each search reports progress (scanned of total, with the new matches as runs of seqs) and, once
 * it has caught up, stays live: payloads stored later are searched as they come, until it is
 * cancelled. A gap in the seqs it visited (evicted before it got there, or never stored: too large,
 * or skipped by the event stream) is reported as unsearched, so the page tests those rows' previews.
 */
export class PayloadSearches {
  private readonly sliceMs: number;
  private readonly pushEveryMs: number;
  private readonly livePollMs: number;
  private readonly maxSearches: number;
  /** Insertion order is age: the oldest is cancelled first. */
  private readonly searches = new Map<number, Search>();

  constructor(
    private readonly payloads: SearchablePayloads,
    private readonly push: (progress: WireSearchProgress) => void,
    options: PayloadSearchOptions = {},
  ) {
    this.sliceMs = options.sliceMs ?? 8;
    this.pushEveryMs = options.pushEveryMs ?? 100;
    this.livePollMs = options.livePollMs ?? 100;
    this.maxSearches = options.maxSearches ?? 4;
  }

  /** Starts a search, cancelling the one it replaces (if given); a bad expression is refused at once (BackendError INVALID_FILTER naming the column). */
  start(args: SearchArgs): { searchId: number; total: number } {
    // First, so that a refused expression stops the search it replaces too.
    if (args.replaces !== undefined) this.cancel(args.replaces);
    let filter: CaptureFilter;
    try {
      filter = parseCaptureFilter(args.expression, { caseSensitive: args.caseSensitive });
    } catch (error) {
      if (error instanceof CaptureFilterError) throw new BackendError('INVALID_FILTER', error.message);
      throw error;
    }
    if (!filter.payloadOnly) throw new BackendError('INVALID_FILTER', 'search: only text, /regex/ and .field comparisons search payloads; modules, kinds and times are filtered in the table');
    this.cancel(args.searchId);
    while (this.searches.size >= this.maxSearches) this.cancel(this.searches.keys().next().value as number);
    const search: Search = { id: args.searchId, filter, cursor: 0, scanned: 0, matched: 0, matches: [], unsearched: [], caughtUp: false, lastPushAt: 0, next: null, poll: null };
    this.searches.set(search.id, search);
    search.next = setImmediate(() => this.slice(search));
    return { searchId: search.id, total: this.payloads.countAfter(0) };
  }

  /** Stops a search; unknown IDs (finished long ago, never started) are ignored. */
  cancel(searchId: number): void {
    const search = this.searches.get(searchId);
    if (search === undefined) return;
    this.searches.delete(searchId);
    if (search.next !== null) clearImmediate(search.next);
    if (search.poll !== null) clearTimeout(search.poll);
  }

  cancelAll(): void {
    for (const id of [...this.searches.keys()]) this.cancel(id);
  }

  get running(): number {
    return this.searches.size;
  }

  private slice(search: Search): void {
    search.next = null;
    search.poll = null;
    if (this.searches.get(search.id) !== search) return;
    const deadline = performance.now() + this.sliceMs;
    const before = search.cursor;
    let sinceClock = 0;
    this.payloads.forEachAfter(search.cursor, (seq, payload) => {
      if (seq !== search.cursor + 1) addRun(search.unsearched, search.cursor + 1, seq - search.cursor - 1);
      search.cursor = seq;
      search.scanned++;
      if (search.filter.matchesPayload(payload)) {
        search.matched++;
        addRun(search.matches, seq, 1);
      }
      if (++sinceClock < CLOCK_EVERY) return true;
      sinceClock = 0;
      return performance.now() < deadline;
    });
    const remaining = this.payloads.countAfter(search.cursor);
    const now = performance.now();
    const justCaughtUp = remaining === 0 && !search.caughtUp;
    if (remaining === 0) search.caughtUp = true;
    const moved = search.cursor !== before;
    // While behind, pushes are spaced by pushEveryMs; once caught up, the poll spaces them.
    if (remaining === 0 ? justCaughtUp || moved : moved && now - search.lastPushAt >= this.pushEveryMs) this.report(search, now, remaining);
    if (remaining > 0) search.next = setImmediate(() => this.slice(search));
    else {
      // Live: payloads stored from now on are searched as they come, until cancelled.
      search.poll = setTimeout(() => this.slice(search), this.livePollMs);
      search.poll.unref();
    }
  }

  private report(search: Search, now: number, remaining: number): void {
    search.lastPushAt = now;
    const { matches, unsearched } = search;
    search.matches = [];
    search.unsearched = [];
    this.push({
      searchId: search.id,
      scanned: search.scanned,
      total: search.scanned + remaining,
      matched: search.matched,
      matches,
      unsearched,
      coveredSeq: search.cursor,
      caughtUp: search.caughtUp,
    });
  }
}

/** Appends count seqs from first to runs of [first, count, …], extending the last run when they follow it. */
function addRun(runs: number[], first: number, count: number): void {
  const last = runs.length - 2;
  if (last >= 0 && runs[last] + runs[last + 1] === first) runs[last + 1] += count;
  else runs.push(first, count);
}
