import { Duplex } from 'node:stream';
import { BusRecordType, encodeBatchHeader, recordHeaderLength, splitRecords, writeRecordHeader } from '../../protocol/busRecords';
import { FrameType, LENGTH_PREFIX_BYTES } from '../../protocol/protocol';
import { HubConnection, ZERO_COPY_THRESHOLD } from '../HubConnection';

/** One published batch until the receiving hub confirms it: the bytes (header and records) and whether it was settled. */
export interface Batch {
  data: Buffer;
  /** Where the records start in data. */
  recordsAt: number;
  settled: boolean;
}

/** What a RELAY record adds before the MESSAGE body: the frame's own length prefix and type, so the receiver has the whole frame. */
const FRAME_PREFIX_BYTES = LENGTH_PREFIX_BYTES + 1;

/**
 * Another hub of the bus as this one sees it: its presence (epoch, when last heard), the remote
 * modules standing for its modules, and the link to it. Everything this hub relays for its modules
 * is appended, in the router's order, to one output (`out`, a connection-shaped slab holder that
 * HubOutput flushes once per read chunk like a socket's); what one tick appended is published as
 * one batch (or a few, each within the server's max_payload) and kept until the hub confirms it.
 */
export class RemoteHub {
  readonly modules = new Map<string, HubConnection>();
  epoch: string;
  /** performance.now() when anything was last heard from it. */
  lastSeen = performance.now();
  /** The module count it last said it had. */
  announcedCount = 0;
  /** Where the router's records for it go; flushed by HubOutput, taken by the stream below. */
  readonly out: HubConnection;
  /** Bytes published and not yet confirmed, plus those waiting to be: the link's queue. */
  unconfirmedBytes = 0;
  private readonly unconfirmed = new Set<Batch>();
  private pending: Buffer[] = [];
  private scheduled = false;
  private readonly header: Buffer;

  constructor(
    readonly name: string,
    epoch: string,
    ownName: string,
    serial: number,
    /** Largest NATS message: batches are cut at record boundaries below it. */
    private readonly maxBatch: () => number,
    private readonly publish: (hub: RemoteHub, batch: Batch) => void,
  ) {
    this.epoch = epoch;
    this.header = encodeBatchHeader(ownName);
    const stream = new Duplex({
      read() {},
      write: (chunk: Buffer, _encoding, done) => {
        this.take(chunk);
        done();
      },
    });
    this.out = new HubConnection(serial, stream, { transport: 'stream', listener: `bus link to ${name}`, requireToken: false }, 0);
  }

  /** Bytes of the link's queue, as the router's queue limit sees them. */
  get queuedBytes(): number {
    return this.unconfirmedBytes + this.out.queuedBytes;
  }

  /** Appends a RELAY record: the MESSAGE body buf[start, end) a module of this hub (`sourceId`) wrote. */
  appendRelay(sourceId: Buffer, buf: Buffer, start: number, end: number): void {
    const bodyLength = end - start;
    const headerLength = recordHeaderLength(sourceId.length) + FRAME_PREFIX_BYTES;
    const zeroCopy = bodyLength >= ZERO_COPY_THRESHOLD;
    const [slab, at] = this.out.reserve(zeroCopy ? headerLength : headerLength + bodyLength);
    const p = writeRecordHeader(slab, at, BusRecordType.RELAY, sourceId, FRAME_PREFIX_BYTES + bodyLength);
    slab.writeUInt32BE(1 + bodyLength, p);
    slab[p + LENGTH_PREFIX_BYTES] = FrameType.MESSAGE;
    if (zeroCopy) this.out.writeBuffer(buf.subarray(start, end));
    else buf.copy(slab, p + FRAME_PREFIX_BYTES, start, end);
  }

  /** Appends a DELIVERED record: frames this hub wrote for the module `id` of that hub. */
  appendDelivered(id: Buffer, frames: Buffer): void {
    const [slab, at] = this.out.reserve(recordHeaderLength(id.length) + frames.length);
    const p = writeRecordHeader(slab, at, BusRecordType.DELIVERED, id, frames.length);
    frames.copy(slab, p);
  }

  /** What HubOutput flushed: gathered until the end of this tick, so one chunk's records leave as one batch. */
  private take(chunk: Buffer): void {
    this.pending.push(chunk);
    this.unconfirmedBytes += chunk.length;
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(() => this.send());
  }

  private send(): void {
    this.scheduled = false;
    const records = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = [];
    const limit = this.maxBatch() - this.header.length;
    const pieces = records.length <= limit ? [[0, records.length] as [number, number]] : splitRecords(records, 0, records.length, limit);
    for (const [from, to] of pieces) {
      const batch: Batch = { data: Buffer.concat([this.header, records.subarray(from, to)]), recordsAt: this.header.length, settled: false };
      this.unconfirmed.add(batch);
      this.publish(this, batch);
    }
  }

  /** The hub confirmed the batch; false when it had been settled already (answered as failed). */
  confirm(batch: Batch): boolean {
    if (batch.settled) return false;
    this.settle(batch);
    return true;
  }

  /** Settles every batch not yet confirmed and returns them, for their senders to be answered. */
  takeUnconfirmed(): Batch[] {
    const batches = [...this.unconfirmed];
    for (const batch of batches) this.settle(batch);
    return batches;
  }

  private settle(batch: Batch): void {
    batch.settled = true;
    this.unconfirmed.delete(batch);
    this.unconfirmedBytes -= batch.data.length - batch.recordsAt;
  }
}
