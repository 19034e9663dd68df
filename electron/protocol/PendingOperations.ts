/**
 * Operations waiting for an answer that carries their correlation ID: a REQUEST waiting for its
 * REPLY, a LIST for its LIST_REPLY, an INJECT for its OK. The TypeScript client, the attached
 * backend and the hub's own "$hub" endpoint all keep such a table; this is the one implementation,
 * so every one of them times out, rejects when the peer leaves and rejects on close the same way.
 *
 * No I/O: the caller sends the frame after start() and settles the operation when the answer comes.
 */

export const MAX_CORRELATION_ID = 0xffff_ffff;

export interface StartOptions {
  timeoutMs: number;
  /** The error the operation rejects with when timeoutMs passes without an answer. */
  onTimeout: () => Error;
  /** A correlation ID the caller chose; it must be free. Omitted: the next free one in the range. */
  id?: number;
  /** Keep the process alive while waiting (a client's request does); default true. */
  ref?: boolean;
}

interface Entry<Meta, Result> {
  readonly meta: Meta;
  readonly resolve: (value: Result) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class PendingOperations<Meta, Result> {
  private readonly entries = new Map<number, Entry<Meta, Result>>();
  private readonly first: number;
  private readonly last: number;
  private next: number;

  /**
   * Allocated IDs run from `first` to `last` and wrap; 0 is never allocated (it means "no operation").
   * `start` (default `first`) is the first one handed out, so short-lived clients can start at a
   * random place rather than all saying 1.
   */
  constructor(range: { first?: number; last?: number; start?: number } = {}) {
    this.first = range.first ?? 1;
    this.last = range.last ?? MAX_CORRELATION_ID;
    if (!(Number.isInteger(this.first) && Number.isInteger(this.last) && this.first >= 1 && this.first <= this.last && this.last <= MAX_CORRELATION_ID)) {
      throw new RangeError(`correlation ID range ${this.first}..${this.last} is not within 1..${MAX_CORRELATION_ID}`);
    }
    const start = range.start ?? this.first;
    if (!(Number.isInteger(start) && start >= this.first && start <= this.last)) throw new RangeError(`correlation ID start ${start} is not within ${this.first}..${this.last}`);
    this.next = start;
  }

  get size(): number {
    return this.entries.size;
  }

  has(id: number): boolean {
    return this.entries.has(id);
  }

  /** What the operation was started with, or undefined when no operation waits under this ID. */
  meta(id: number): Meta | undefined {
    return this.entries.get(id)?.meta;
  }

  /**
   * Registers an operation and returns its correlation ID and the promise it settles. Throws
   * RangeError for a chosen ID that is not a u32, and Error when that ID is already waiting.
   */
  start(meta: Meta, options: StartOptions): { id: number; promise: Promise<Result> } {
    const id = options.id === undefined ? this.allocate() : this.claim(options.id);
    let entry!: Entry<Meta, Result>;
    const promise = new Promise<Result>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.entries.get(id) !== entry) return;
        this.entries.delete(id);
        reject(options.onTimeout());
      }, options.timeoutMs);
      if (options.ref === false) timer.unref();
      entry = { meta, resolve, reject, timer };
    });
    this.entries.set(id, entry);
    return { id, promise };
  }

  /** Resolves the operation when one waits under `id` and `accept` (if given) agrees; returns whether it did. */
  resolve(id: number, value: Result, accept?: (meta: Meta) => boolean): boolean {
    const entry = this.take(id, accept);
    if (entry === undefined) return false;
    entry.resolve(value);
    return true;
  }

  /** Rejects the operation when one waits under `id` and `accept` (if given) agrees; returns whether it did. */
  reject(id: number, error: Error, accept?: (meta: Meta) => boolean): boolean {
    const entry = this.take(id, accept);
    if (entry === undefined) return false;
    entry.reject(error);
    return true;
  }

  /** Rejects every operation whose meta matches, e.g. the requests to a module that just left; returns how many. */
  rejectWhere(matches: (meta: Meta) => boolean, error: (meta: Meta) => Error): number {
    let count = 0;
    for (const [id, entry] of [...this.entries]) {
      if (!matches(entry.meta)) continue;
      this.entries.delete(id);
      clearTimeout(entry.timer);
      entry.reject(error(entry.meta));
      count++;
    }
    return count;
  }

  /** Rejects everything still waiting: the connection closed. */
  rejectAll(error: Error): void {
    this.rejectWhere(
      () => true,
      () => error,
    );
  }

  private take(id: number, accept?: (meta: Meta) => boolean): Entry<Meta, Result> | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined || (accept !== undefined && !accept(entry.meta))) return undefined;
    this.entries.delete(id);
    clearTimeout(entry.timer);
    return entry;
  }

  private allocate(): number {
    if (this.entries.size > this.last - this.first) throw new Error(`all ${this.last - this.first + 1} correlation IDs are waiting for answers`);
    let id: number;
    do {
      id = this.next;
      this.next = id === this.last ? this.first : id + 1;
    } while (this.entries.has(id));
    return id;
  }

  private claim(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id > MAX_CORRELATION_ID) throw new RangeError(`correlation ID ${id} is not a u32`);
    if (this.entries.has(id)) throw new Error(`correlation ID ${id} is already used by an operation still waiting for its answer`);
    return id;
  }
}
