import * as os from 'node:os';
import type { HubEvent } from './hubEvents';
import { PayloadStore, type SearchablePayloads } from './PayloadStore';

export interface HubEventStreamOptions {
  /** Interval of the batches delivered to subscribers. */
  batchMs?: number;
  /**
   * Message and error events held per batch; further ones are only counted and reported in a
   * 'lost' event. This bounds what watching costs: building an event (preview, payload copy) for
   * every message of a bus doing millions a second would slow whoever builds it.
   */
  maxPendingEvents?: number;
  /** Bytes of full payloads kept for payload(seq); the oldest are evicted first. */
  payloadStoreBytes?: number;
  /** Payloads kept for payload(seq), whatever their size (bounds the per-entry overhead). */
  payloadStoreEntries?: number;
}

/** As many payloads as the UI's table holds rows (renderer/src/state/TrafficStore.ts). */
export const DEFAULT_PAYLOAD_STORE_ENTRIES = 200_000;

/**
 * 1/16 of the machine's memory, between 64 MiB and 256 MiB: 256 MiB holds the table's 200,000 rows
 * of 1 KiB payloads whole, so a search covers every row the table holds (with 64 MiB, two thirds of
 * them were tested on their 64-byte previews only); a small device keeps the old 64 MiB. Held only
 * while someone watches (the last subscriber out drops it).
 */
export function defaultPayloadStoreBytes(totalMemory = os.totalmem()): number {
  return Math.max(64 * 1024 * 1024, Math.min(256 * 1024 * 1024, Math.floor(totalMemory / 16)));
}

/**
 * The batched event stream behind onEvents() and payload(seq), shared by the hub in this process
 * and by a monitor attached to a hub elsewhere: subscribers, one batch per interval, a bounded
 * batch with a count of what was skipped, and a bounded store of full payloads.
 */
export class HubEventStream {
  private readonly batchMs: number;
  private readonly maxPendingEvents: number;

  private readonly subscribers = new Set<(batch: HubEvent[]) => void>();
  private pending: HubEvent[] = [];
  private lost = 0;
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  private readonly payloads: PayloadStore<Buffer>;

  constructor(options: HubEventStreamOptions = {}) {
    this.batchMs = options.batchMs ?? 50;
    this.maxPendingEvents = options.maxPendingEvents ?? 2000;
    this.payloads = new PayloadStore(options.payloadStoreBytes ?? defaultPayloadStoreBytes(), options.payloadStoreEntries ?? DEFAULT_PAYLOAD_STORE_ENTRIES, (payload) => payload);
  }

  /** The payloads held, for a whole-payload search (electron/bridge/PayloadSearches.ts). */
  get searchable(): SearchablePayloads {
    return this.payloads;
  }

  /** Whether anyone listens: with nobody, callers skip building events at all. */
  get active(): boolean {
    return this.subscribers.size > 0;
  }

  /** Subscribes to batches; returns the unsubscribe function. The last one out drops what is held. */
  subscribe(callback: (batch: HubEvent[]) => void): () => void {
    this.subscribers.add(callback);
    return () => {
      this.subscribers.delete(callback);
      if (this.subscribers.size === 0) {
        this.pending = [];
        this.lost = 0;
        this.payloads.clear();
      }
    };
  }

  /**
   * The sequence number for the next message event, or null when this batch is full: the message is
   * then counted as lost and the caller builds nothing.
   */
  nextMessageSeq(): number | null {
    const seq = ++this.seq;
    if (this.pending.length < this.maxPendingEvents) return seq;
    this.lost++;
    this.schedule();
    return null;
  }

  /** Queues an event for the next batch. Message and error events beyond the batch bound are counted as lost; registry events are always kept (they are rare, and a module list depends on them). */
  emit(event: HubEvent): void {
    if (!this.active) return;
    if (this.pending.length >= this.maxPendingEvents && (event.type === 'message' || event.type === 'error')) this.lost++;
    else this.pending.push(event);
    this.schedule();
  }

  /** Keeps a message's full payload for payload(seq). The caller passes a buffer it owns. */
  storePayload(seq: number, payload: Buffer): void {
    this.payloads.add(seq, payload);
  }

  /** The full payload of a message event still held, or undefined once evicted. */
  payload(seq: number): Buffer | undefined {
    return this.payloads.get(seq);
  }

  /** Delivers what is held now and stops the timer (on close). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.deliver();
  }

  private schedule(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => this.deliver(), this.batchMs);
    this.timer.unref();
  }

  private deliver(): void {
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (this.lost > 0) {
      batch.push({ type: 'lost', time: Math.floor((performance.timeOrigin + performance.now()) * 1000), count: this.lost });
      this.lost = 0;
    }
    if (batch.length === 0) return;
    for (const subscriber of this.subscribers) subscriber(batch);
  }
}
