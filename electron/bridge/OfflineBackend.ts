import { captureFormatOf, openCaptureReader } from '../capture/captureFiles';
import type { CapturedMessage, CaptureInfo, CaptureRecord } from '../capture/captureRecord';
import { readMcapCapture } from '../capture/readMcapCapture';
import { PREVIEW_BYTES, type HubEvent, type HubSnapshot } from '../hub/hubEvents';
import { PayloadStore, type SearchablePayloads } from '../hub/PayloadStore';
import { parseJoinDetail } from '../hub/peerIdentity';
import { errorName } from '../protocol/protocol';
import { MAX_OFFLINE_MODULES, type WireOffline, type WireOfflineModule } from './contract';
import { BackendError, type BackendRecording, type HubBackend, type HubBackendDescription } from './HubBackend';

export interface OfflineOptions {
  /** Messages loaded into the view at once, about half of them before the moment sought (default 100,000). */
  windowMessages?: number;
  /** Events per pushed batch (default 2000) and the pause between batches, so a page keeps up. */
  batchEvents?: number;
  batchPauseMs?: number;
  /** Payload bytes kept for the detail pane (default 64 MiB); older ones are read again on a seek. */
  payloadStoreBytes?: number;
}

/** Buckets of the rate histogram while scanning; past this the bucket width doubles. */
const MAX_SCAN_BUCKETS = 2048;
/** Buckets sent to the UI. */
const SHOWN_BUCKETS = 240;

interface Subscriber {
  callback: (batch: HubEvent[]) => void;
  active: boolean;
}

/**
 * A recording opened from a file, served to the UI as a hub that does not run: the table gets a
 * window of the file (at most `windowMessages` messages around the moment sought, read through the
 * MCAP index by time range), so a file of millions of messages never sits in memory; a scan of the
 * whole file in the background counts its messages, finds its modules (joined, left) and builds the
 * rate over its time for the timeline.
 */
export class OfflineBackend implements HubBackend {
  private readonly windowMessages: number;
  private readonly batchEvents: number;
  private readonly batchPauseMs: number;
  private readonly subscribers = new Set<Subscriber>();
  /** The loaded window's messages by seq, for the detail pane, a search and a replay of selected rows; bounded by payload bytes. */
  private readonly loaded: PayloadStore<CapturedMessage>;
  private seq = 0;
  private windowStart: number;
  private closed = false;
  // The scan's findings.
  private messages = 0;
  private events = 0;
  private bytes = 0;
  private endTime: number;
  private scanning = true;
  private scanError: string | null = null;
  private readonly modules = new Map<string, WireOfflineModule>();
  private bucketMicros = 10_000;
  private buckets: number[] = [];

  /** Bumped when another file is opened in place: the old scan stops. */
  private generation = 0;

  private constructor(
    private path: string,
    private info: CaptureInfo,
    options: OfflineOptions,
  ) {
    this.windowMessages = options.windowMessages ?? 100_000;
    this.batchEvents = options.batchEvents ?? 2000;
    this.batchPauseMs = options.batchPauseMs ?? 10;
    this.loaded = new PayloadStore(options.payloadStoreBytes ?? 64 * 1024 * 1024, Number.POSITIVE_INFINITY, (message) => message.payload);
    this.windowStart = info.startTime;
    this.endTime = info.startTime;
  }

  /** Opens a capture of any format (.mcap, .pcapng, .jsonl); rejects with the reader's error naming the file. */
  static async open(file: string, options: OfflineOptions = {}): Promise<OfflineBackend> {
    const reader = await openCaptureReader(file);
    const backend = new OfflineBackend(file, reader.info, options);
    void backend.scan();
    return backend;
  }

  get file(): string {
    return this.path;
  }

  /**
   * Shows another file instead (one the browser mode's page uploaded): its window from its start,
   * and a new scan. The old file is let go once the new one has opened.
   */
  async reopen(file: string): Promise<void> {
    const reader = await openCaptureReader(file);
    this.generation++;
    this.path = file;
    this.info = reader.info;
    this.messages = 0;
    this.events = 0;
    this.bytes = 0;
    this.endTime = reader.info.startTime;
    this.scanError = null;
    this.modules.clear();
    this.bucketMicros = 10_000;
    this.buckets = [];
    this.loaded.clear();
    this.scanning = true;
    void this.scan();
    this.seek(reader.info.startTime);
  }

  /** Resolves when the background scan has read the whole file. */
  scanned(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!this.scanning) resolve();
        else setTimeout(check, 20);
      };
      check();
    });
  }

  describe(): HubBackendDescription {
    return { listeners: [], attachedTo: null, offline: this.offlineInfo() };
  }

  async snapshot(): Promise<HubSnapshot> {
    const totals = {
      messages: this.messages,
      bytes: this.bytes,
      errors: 0,
      drops: 0,
      slowConsumerDisconnects: 0,
      budgetDisconnects: 0,
      memoryBytes: 0,
      connectionsAccepted: 0,
      connectionsRejected: 0,
      connectionsNotPermitted: 0,
      messagesPerSecond: 0,
      bytesPerSecond: 0,
    };
    const limits = { maxConnections: 0, maxPayload: 0, queueLimit: 0, idleTimeoutMs: 0, slowConsumerPolicy: 'disconnect' as const, memoryBudget: 0 };
    return { startedAt: Math.floor(this.info.startTime / 1000), now: Math.floor(this.endTime / 1000), modules: [], monitors: [], totals, limits };
  }

  /** Each subscriber (a page, a window) gets the current window from its start. */
  onEvents(callback: (batch: HubEvent[]) => void): () => void {
    const subscriber: Subscriber = { callback, active: true };
    this.subscribers.add(subscriber);
    void this.stream(subscriber);
    return () => {
      subscriber.active = false;
      this.subscribers.delete(subscriber);
    };
  }

  /**
   * Loads the window around `time` instead, about half of it before: every subscriber's stream
   * stops at once (before the call is answered, so the UI can clear its rows on the answer) and
   * starts again from there.
   */
  seek(time: number): void {
    this.windowStart = this.startBefore(Math.max(this.info.startTime, time));
    for (const subscriber of [...this.subscribers]) {
      subscriber.active = false;
      this.subscribers.delete(subscriber);
      const next: Subscriber = { callback: subscriber.callback, active: true };
      this.subscribers.add(next);
      setTimeout(() => void this.stream(next), 0);
    }
  }

  async payload(seq: number): Promise<Buffer | undefined> {
    const payload = this.loaded.get(seq)?.payload;
    return payload === undefined ? undefined : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  }

  /** The loaded window's payloads: a search covers the rows the page was sent. */
  searchablePayloads(): SearchablePayloads {
    return this.loaded;
  }

  /** A loaded row's message (for replaying selected rows), or undefined once evicted. */
  message(seq: number): CapturedMessage | undefined {
    return this.loaded.get(seq);
  }

  async inject(): Promise<void> {
    throw notLive();
  }

  async request(): Promise<never> {
    throw notLive();
  }

  async kick(): Promise<void> {
    throw notLive();
  }

  async setListeners(): Promise<string[]> {
    throw notLive();
  }

  async startRecording(): Promise<BackendRecording> {
    throw notLive();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const subscriber of this.subscribers) subscriber.active = false;
    this.subscribers.clear();
    this.loaded.clear();
  }

  // ---------------------------------------------------------------- the window

  /** The records from windowStart: through the index for MCAP, by skipping for the other formats. */
  private async windowRecords(): Promise<AsyncIterable<CaptureRecord>> {
    const start = this.windowStart;
    if (captureFormatOf(this.file) === 'mcap') return (await readMcapCapture(this.file, { start })).records;
    const { records } = await openCaptureReader(this.file);
    return (async function* () {
      for await (const record of records) if (record.time >= start) yield record;
    })();
  }

  private async stream(subscriber: Subscriber): Promise<void> {
    let batch: HubEvent[] = [];
    let messages = 0;
    try {
      for await (const record of await this.windowRecords()) {
        if (!subscriber.active) return;
        batch.push(this.hubEvent(record));
        if (record.type === 'message' && ++messages >= this.windowMessages) break;
        if (batch.length >= this.batchEvents) {
          subscriber.callback(batch);
          batch = [];
          await new Promise((resolve) => setTimeout(resolve, this.batchPauseMs));
        }
      }
    } catch (err) {
      if (subscriber.active) batch.push({ type: 'error', time: this.windowStart, id: '', code: 0, codeName: 'READ_FAILED', message: `${this.file}: ${(err as Error).message}` });
    }
    if (subscriber.active && batch.length > 0) subscriber.callback(batch);
  }

  private hubEvent(record: CaptureRecord): HubEvent {
    if (record.type === 'message') {
      const seq = ++this.seq;
      this.keep(seq, record);
      return {
        type: 'message',
        seq,
        time: record.time,
        kind: record.kind,
        source: record.source,
        destination: record.destination,
        correlationId: record.correlationId,
        size: record.payload.length,
        preview: record.payload.slice(0, PREVIEW_BYTES),
        injected: record.injected,
        ...(record.tap !== undefined && { tap: record.tap }),
      };
    }
    const { time, id, code, detail } = record;
    switch (record.event) {
      case 'join':
        return { type: 'join', time, id, role: 'module', transport: 'unix', listener: this.info.sockets[0] ?? '', ...parseJoinDetail(detail) };
      case 'leave':
        return { type: 'leave', time, id, role: 'module', reason: detail, code };
      case 'error':
        return { type: 'error', time, id, code, codeName: errorName(code), message: detail };
      case 'monitor-dropped':
        // The recorder missed copies here: the table says so where it happened.
        return { type: 'lost', time, count: Number.parseInt(detail, 10) || 1 };
    }
  }

  private keep(seq: number, message: CapturedMessage): void {
    this.loaded.add(seq, message);
  }

  /**
   * Where a window holding about half its messages before `time` starts, from the scan's rate
   * histogram (messages taken as evenly spread within a bucket), so the rows before a moment can be
   * scrolled to as well as those after it; `time` itself where the scan has not got to yet.
   */
  private startBefore(time: number): number {
    const origin = this.info.startTime;
    const width = this.bucketMicros;
    let index = Math.floor((time - origin) / width);
    if (index >= this.buckets.length) return time;
    let needed = this.windowMessages / 2;
    let end = time;
    for (; index >= 0; index--) {
      const bucketStart = origin + index * width;
      const count = this.buckets[index];
      const before = count * ((end - bucketStart) / width);
      if (before >= needed) return Math.floor(end - (needed / count) * width);
      needed -= before;
      end = bucketStart;
    }
    return origin;
  }

  // ---------------------------------------------------------------- the scan

  private async scan(): Promise<void> {
    const generation = this.generation;
    try {
      const { records } = await openCaptureReader(this.file);
      let sinceYield = 0;
      for await (const record of records) {
        if (this.closed || generation !== this.generation) return;
        this.count(record);
        // Records of one decoded chunk come without a pause: let calls and pushes through now and then.
        if (++sinceYield >= 20_000) {
          sinceYield = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    } catch (err) {
      if (generation === this.generation) this.scanError = (err as Error).message;
    } finally {
      if (generation === this.generation) this.scanning = false;
    }
  }

  private count(record: CaptureRecord): void {
    if (record.time > this.endTime) this.endTime = record.time;
    if (record.type === 'event') {
      this.events++;
      if (record.event === 'join') this.module(record.id).joinedAt ??= record.time;
      else if (record.event === 'leave') Object.assign(this.module(record.id), { leftAt: record.time, leaveReason: record.detail });
      return;
    }
    this.messages++;
    this.bytes += record.payload.length;
    this.module(record.source).messagesSent++;
    if (record.destination !== null) this.module(record.destination);
    let index = Math.floor((record.time - this.info.startTime) / this.bucketMicros);
    while (index >= MAX_SCAN_BUCKETS) {
      this.buckets = mergePairs(this.buckets);
      this.bucketMicros *= 2;
      index = Math.floor((record.time - this.info.startTime) / this.bucketMicros);
    }
    while (this.buckets.length <= index) this.buckets.push(0);
    if (index >= 0) this.buckets[index]++;
  }

  private module(id: string): WireOfflineModule {
    let module = this.modules.get(id);
    if (module === undefined) {
      module = { id, joinedAt: null, leftAt: null, leaveReason: null, messagesSent: 0 };
      this.modules.set(id, module);
    }
    return module;
  }

  private offlineInfo(): WireOffline {
    const factor = Math.max(1, Math.ceil(this.buckets.length / SHOWN_BUCKETS));
    const counts: number[] = [];
    for (let i = 0; i < this.buckets.length; i += factor) counts.push(this.buckets.slice(i, i + factor).reduce((sum, n) => sum + n, 0));
    return {
      file: this.file,
      hub: this.info.hub,
      host: this.info.host,
      startTime: this.info.startTime,
      endTime: this.endTime,
      messages: this.messages,
      events: this.events,
      missed: this.info.missed,
      scanning: this.scanning,
      scanError: this.scanError,
      modules: [...this.modules.values()].slice(0, MAX_OFFLINE_MODULES).map((module) => ({ ...module })),
      moduleCount: this.modules.size,
      histogram: { bucketMicros: this.bucketMicros * factor, counts },
      windowStart: this.windowStart,
      windowLimit: this.windowMessages,
    };
  }
}

function mergePairs(buckets: number[]): number[] {
  const merged: number[] = [];
  for (let i = 0; i < buckets.length; i += 2) merged.push(buckets[i] + (buckets[i + 1] ?? 0));
  return merged;
}

function notLive(): BackendError {
  return new BackendError('NOT_SUPPORTED', 'this window shows an opened recording, not a live hub: replay it into a live hub with relayscope replay');
}
