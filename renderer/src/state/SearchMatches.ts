import type { WireSearchProgress } from '@contract';

/** Seqs as ascending, non-overlapping runs [first, count], appended in order as the backend reports them. */
export class SeqRuns {
  private firsts: number[] = [];
  private ends: number[] = [];
  private seqCount = 0;

  get count(): number {
    return this.seqCount;
  }

  /** Appends [first, count, …] runs that all lie above the runs held (a search visits seqs in order). */
  append(runs: readonly number[]): void {
    for (let i = 0; i + 1 < runs.length; i += 2) {
      const first = runs[i];
      const count = runs[i + 1];
      if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || count < 1) continue;
      const last = this.ends.length - 1;
      if (last >= 0 && first < this.ends[last]) continue;
      if (last >= 0 && first === this.ends[last]) this.ends[last] += count;
      else {
        this.firsts.push(first);
        this.ends.push(first + count);
      }
      this.seqCount += count;
    }
  }

  has(seq: number): boolean {
    let low = 0;
    let high = this.firsts.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.ends[middle] <= seq) low = middle + 1;
      else high = middle;
    }
    return low < this.firsts.length && this.firsts[low] <= seq;
  }
}

/** How a row's payload was judged: matched or not in full, by its preview alone, or not yet reached. */
export const PayloadVerdict = { NoMatch: 0, Match: 1, PreviewOnly: 2, Pending: 3 } as const;
export type PayloadVerdict = (typeof PayloadVerdict)[keyof typeof PayloadVerdict];

/**
 * What the backend's whole-payload search (electron/bridge/PayloadSearches.ts) has found so far, for
 * the table's filter: the matching seqs, the seqs it passed without a payload (the page judges those
 * rows by their preview), and how far it got. The table decides each row with verdict().
 */
export class SearchMatches {
  readonly matches = new SeqRuns();
  readonly unsearched = new SeqRuns();
  coveredSeq = 0;
  scanned = 0;
  total = 0;
  caughtUp = false;
  /** Set when the search could not run (the backend refused or is unreachable): every row is judged by its preview. */
  error: string | null = null;

  constructor(
    readonly searchId: number,
    /** The search's expression and case setting, as sent. */
    readonly expression: string,
    readonly caseSensitive: boolean,
  ) {}

  apply(progress: WireSearchProgress): void {
    this.matches.append(progress.matches);
    this.unsearched.append(progress.unsearched);
    if (Number.isSafeInteger(progress.coveredSeq) && progress.coveredSeq > this.coveredSeq) this.coveredSeq = progress.coveredSeq;
    this.scanned = progress.scanned;
    this.total = progress.total;
    this.caughtUp = this.caughtUp || progress.caughtUp === true;
  }

  fail(message: string): void {
    this.error = message;
  }

  /** The verdict on a message row's payload by its seq. */
  verdict(seq: number): PayloadVerdict {
    if (this.error !== null) return PayloadVerdict.PreviewOnly;
    if (seq > this.coveredSeq) return PayloadVerdict.Pending;
    if (this.matches.has(seq)) return PayloadVerdict.Match;
    return this.unsearched.has(seq) ? PayloadVerdict.PreviewOnly : PayloadVerdict.NoMatch;
  }
}
