import * as fs from 'node:fs/promises';
import { type IWritable, McapWriter } from '@mcap/core';
import type { CapturedMessage, CaptureInfo, CaptureRecord } from './captureRecord';
import {
  encodeBatchData,
  encodeEventData,
  EVENT_ENCODING,
  EVENTS_TOPIC,
  infoToMetadata,
  MCAP_PROFILE,
  MESSAGE_ENCODING,
  MAX_BATCH_SPAN_MICROS,
  MESSAGES_TOPIC,
  METADATA_NAME,
  microsToNanos,
} from './mcapLayout';

/** Messages written as one MCAP message at most (a batch of runs: mcapLayout.ts). */
const MAX_BATCH_MESSAGES = 4096;
const MAX_BATCH_BYTES = 256 * 1024;

/** Chunks of about this many bytes: small enough that a crash loses little, large enough to index cheaply. */
const CHUNK_BYTES = 1024 * 1024;

interface Pending {
  channel: number;
  micros: number;
  data: Uint8Array;
  /** Relayed messages in it: a batch's count, 0 for an event. */
  count: number;
}

/**
 * The file McapWriter writes to. @mcap/nodejs's FileHandleWritable takes a short write (what a full
 * disk gives before it gives ENOSPC) as complete and goes on after the missing bytes; this one writes
 * the rest or throws. And it tells when a write reached the file: McapWriter writes a chunk during
 * the addMessage that filled it (that message included), so after a whole write every message added
 * so far is in the file, and a disk that fails later leaves exactly those readable.
 */
class WholeWritesFile implements IWritable {
  private offset = 0;

  constructor(
    private readonly handle: fs.FileHandle,
    private readonly written: () => void,
  ) {}

  position(): bigint {
    return BigInt(this.offset);
  }

  async write(buffer: Uint8Array): Promise<void> {
    for (let done = 0; done < buffer.length; ) {
      const { bytesWritten } = await this.handle.write(buffer, done, buffer.length - done, this.offset);
      if (bytesWritten === 0) throw new Error('the file took no more bytes (is the disk full?)');
      done += bytesWritten;
      this.offset += bytesWritten;
    }
    this.written();
  }
}

/**
 * Writes a capture as a chunked, indexed MCAP file (layout: mcapLayout.ts, docs/CAPTURE.md).
 * write() only queues (McapWriter's calls must not overlap, and a caller on the hub's or a socket's
 * path must not wait for the disk); one loop drains the queue in order. The messages written in one
 * turn of the event loop (within MAX_BATCH_SPAN_MICROS) become one MCAP message, a batch of runs. `pending` tells a caller how far the disk is behind, so it can count what it
 * drops instead of growing the queue without bound.
 */
export class McapCaptureWriter {
  private readonly queue: Pending[] = [];
  /** Messages of the batch being gathered, and their payload bytes. */
  private batch: CapturedMessage[] = [];
  private batchBytes = 0;
  private draining: Promise<void> | null = null;
  private failure: Error | null = null;
  private closed = false;
  private sequence = 0;
  private messageCount = 0;
  /** Messages handed to McapWriter, and of those the ones in records that reached the file. */
  private handedCount = 0;
  private inFileCount = 0;

  private writer!: McapWriter;
  private messagesChannel = 0;
  private eventsChannel = 0;

  private constructor(
    private readonly handle: fs.FileHandle,
    private info: CaptureInfo,
  ) {}

  static async create(path: string, info: CaptureInfo): Promise<McapCaptureWriter> {
    const handle = await fs.open(path, 'w');
    const capture = new McapCaptureWriter(handle, { ...info });
    try {
      const writable = new WholeWritesFile(handle, () => {
        capture.inFileCount = capture.handedCount;
      });
      const writer = new McapWriter({ writable, useChunks: true, chunkSize: CHUNK_BYTES });
      await writer.start({ profile: MCAP_PROFILE, library: `relayscope ${info.relayscopeVersion}` });
      const messagesChannel = await writer.registerChannel({ topic: MESSAGES_TOPIC, messageEncoding: MESSAGE_ENCODING, schemaId: 0, metadata: new Map() });
      const eventsChannel = await writer.registerChannel({ topic: EVENTS_TOPIC, messageEncoding: EVENT_ENCODING, schemaId: 0, metadata: new Map() });
      // Written first so that a file cut short by a crash still says what it is a recording of.
      await writer.addMetadata({ name: METADATA_NAME, metadata: infoToMetadata(info) });
      capture.writer = writer;
      capture.messagesChannel = messagesChannel;
      capture.eventsChannel = eventsChannel;
      return capture;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Records queued and not yet handed to the MCAP writer. */
  get pending(): number {
    return this.queue.length + this.batch.length;
  }

  /** Messages (not events) written or queued so far. */
  get messages(): number {
    return this.messageCount;
  }

  /**
   * Messages in records that reached the file. Less than `messages` while a chunk is being filled
   * in memory; after a disk failure, what the file holds (its readers read it up to that point).
   */
  get messagesInFile(): number {
    return this.inFileCount;
  }

  /** The first write error, if the disk failed; later writes are discarded and close() rethrows it. */
  get error(): Error | null {
    return this.failure;
  }

  write(record: CaptureRecord): void {
    if (this.closed) throw new Error('the capture writer is closed');
    if (this.failure !== null) return;
    if (record.type === 'event') {
      this.writeEventData(record.time, encodeEventData(record));
      return;
    }
    const first = this.batch[0];
    const last = this.batch[this.batch.length - 1];
    if (first !== undefined && (record.time < last.time || record.time - first.time > MAX_BATCH_SPAN_MICROS || this.batch.length >= MAX_BATCH_MESSAGES || this.batchBytes >= MAX_BATCH_BYTES))
      this.sealBatch();
    this.batch.push(record);
    this.batchBytes += record.payload.length;
    this.messageCount++;
    this.scheduleDrain();
  }

  /** `count` messages already in relayscope.runs.v1 form (the in-process recorder's batches); `micros` is the log time. */
  writeBatchData(micros: number, data: Uint8Array, count: number): void {
    this.messageCount += count;
    this.enqueue({ channel: this.messagesChannel, micros, data, count });
  }

  /** An event already in its JSON form (mcapLayout.encodeEventData). */
  writeEventData(micros: number, data: Uint8Array): void {
    this.enqueue({ channel: this.eventsChannel, micros, data, count: 0 });
  }

  private sealBatch(): void {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    this.queue.push({ channel: this.messagesChannel, micros: batch[0].time, data: encodeBatchData(batch), count: batch.length });
  }

  private enqueue(entry: Pending): void {
    if (this.closed) throw new Error('the capture writer is closed');
    if (this.failure !== null) return;
    this.sealBatch();
    this.queue.push(entry);
    this.scheduleDrain();
  }

  /** The drain starts after the current turn, so the messages written in it can form one batch. */
  private scheduleDrain(): void {
    if (this.draining === null) this.draining = Promise.resolve().then(() => this.drain());
  }

  private async drain(): Promise<void> {
    try {
      // Taken whole on each pass, so a long backlog costs one splice, not a shift() per record.
      for (this.sealBatch(); this.queue.length > 0; this.sealBatch()) {
        const batch = this.queue.splice(0, this.queue.length);
        for (const entry of batch) {
          const time = microsToNanos(entry.micros);
          this.handedCount += entry.count;
          await this.writer.addMessage({ channelId: entry.channel, sequence: this.sequence++ >>> 0, logTime: time, publishTime: time, data: entry.data });
        }
      }
    } catch (error) {
      this.failure = error as Error;
      this.queue.length = 0;
      this.batch = [];
    } finally {
      this.draining = null;
    }
  }

  /** Resolves once everything queued so far is in the MCAP writer (chunks of it may still be in memory). */
  async flushed(): Promise<void> {
    while (this.draining !== null) await this.draining;
  }

  /** Writes what is queued, the final `relayscope` metadata (missed, counters at end), the index and footer. */
  async close(end: Partial<CaptureInfo> = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.sealBatch();
      if (this.queue.length > 0) this.scheduleDrain();
      await this.flushed();
      if (this.failure !== null) throw this.failure;
      this.info = { ...this.info, ...end };
      await this.writer.addMetadata({ name: METADATA_NAME, metadata: infoToMetadata(this.info) });
      await this.writer.end();
    } finally {
      await this.handle.close();
    }
  }
}
