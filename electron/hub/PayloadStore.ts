/** Payloads a search can read: held in ascending seq order, the oldest evicted first. */
export interface SearchablePayloads {
  /** The seq of the oldest payload held, or 0 when none is. */
  readonly oldestSeq: number;
  /** Payloads held with a seq above `seq`. */
  countAfter(seq: number): number;
  /** Visits the payloads held with a seq above `after`, oldest first, until `visit` returns false. */
  forEachAfter(after: number, visit: (seq: number, payload: Uint8Array) => boolean): void;
}

/** Evicted entries at the front are sliced off once there are this many, and they are most of the array. */
const COMPACT_THRESHOLD = 4096;

/**
 * Full payloads (or records holding one) by message seq, bounded in bytes and in entries, the oldest
 * evicted first. Seqs arrive in ascending order, so the entries are two parallel arrays searched by
 * bisection: a search can resume after the last seq it read however many were added or evicted
 * since, which a Map's insertion order cannot give.
 */
export class PayloadStore<T> implements SearchablePayloads {
  private seqs: number[] = [];
  private values: T[] = [];
  private head = 0;
  private heldBytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxEntries: number,
    private readonly payloadOf: (value: T) => Uint8Array,
  ) {}

  get size(): number {
    return this.seqs.length - this.head;
  }
  get bytes(): number {
    return this.heldBytes;
  }
  get oldestSeq(): number {
    return this.size === 0 ? 0 : this.seqs[this.head];
  }

  /** Keeps a value under a seq above every seq held; one larger than the whole store is not kept. */
  add(seq: number, value: T): void {
    const length = this.payloadOf(value).byteLength;
    if (length > this.maxBytes) return;
    if (this.size > 0 && seq <= this.seqs[this.seqs.length - 1]) throw new RangeError(`payload seq ${seq} is not above the newest held`);
    this.seqs.push(seq);
    this.values.push(value);
    this.heldBytes += length;
    while (this.heldBytes > this.maxBytes || this.size > this.maxEntries) {
      this.heldBytes -= this.payloadOf(this.values[this.head]).byteLength;
      this.values[this.head] = undefined as T;
      this.head++;
    }
    if (this.head > COMPACT_THRESHOLD && this.head * 2 > this.seqs.length) {
      this.seqs = this.seqs.slice(this.head);
      this.values = this.values.slice(this.head);
      this.head = 0;
    }
  }

  get(seq: number): T | undefined {
    const index = this.indexAfter(seq - 1);
    return index < this.seqs.length && this.seqs[index] === seq ? this.values[index] : undefined;
  }

  countAfter(seq: number): number {
    return this.seqs.length - this.indexAfter(seq);
  }

  forEachAfter(after: number, visit: (seq: number, payload: Uint8Array) => boolean): void {
    for (let index = this.indexAfter(after); index < this.seqs.length; index++) {
      if (!visit(this.seqs[index], this.payloadOf(this.values[index]))) return;
    }
  }

  clear(): void {
    this.seqs = [];
    this.values = [];
    this.head = 0;
    this.heldBytes = 0;
  }

  /** The array index of the first live entry with a seq above `seq`. */
  private indexAfter(seq: number): number {
    let low = this.head;
    let high = this.seqs.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.seqs[middle] <= seq) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
