import { Duplex } from 'node:stream';
import { randomInt } from 'node:crypto';
import { BusRecordType, encodeBatchHeader, recordHeaderLength, splitRecords, writeBatchSerials, writeRecordHeader } from '../../protocol/busRecords';
import { FrameType, LENGTH_PREFIX_BYTES } from '../../protocol/protocol';
import { HubConnection, ZERO_COPY_THRESHOLD } from '../HubConnection';

/** One published batch until the receiving hub confirms it: the bytes (header and records) and its serial. */
export interface Batch {
  data: Buffer;
  /** Where the records start in data. */
  recordsAt: number;
  /** Its number on the link; 0 for a batch of no records (a confirmation alone), which is not kept. */
  serial: number;
  /** performance.now() when it was published, for the confirmation's timeout. */
  sentAt: number;
}

/**
 * How long a confirmation may wait for a batch going back to carry it. A request's reply usually goes
 * back well within it (the round trip then carries no message of its own for the confirmation); when
 * nothing goes back, the confirmation goes alone after it.
 */
const CONFIRM_DELAY_MS = 2;
/** Bytes taken from a hub after which the confirmation goes at the end of the turn, not after the delay: its queue (unconfirmed bytes) is bounded. */
const CONFIRM_BYTES = 256 * 1024;

/** What a RELAY record adds before the MESSAGE body: the frame's own length prefix and type, so the receiver has the whole frame. */
const FRAME_PREFIX_BYTES = LENGTH_PREFIX_BYTES + 1;

/**
 * Another hub of the bus as this one sees it: its presence (epoch, when last heard), the remote
 * modules standing for its modules, and the link to it. Everything this hub relays for its modules
 * is appended, in the router's order, to one output (`out`, a connection-shaped slab holder that
 * HubOutput flushes once per read chunk like a socket's); what one tick appended is published as
 * one batch (or a few, each within the server's max_payload) and kept until the hub confirms it.
 * The confirmations go the other way in the batches' headers (docs/FEDERATION.md, "Confirmations"):
 * each batch to that hub confirms the last one taken from it, and when none goes within
 * CONFIRM_DELAY_MS a batch of no records carries the confirmation alone.
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
  /** This link's number in batch headers: a new RemoteHub (the other hub restarted, or this one reconnected) starts a new link. */
  readonly link = randomInt(1, 2 ** 32);
  private nextSerial = 1;
  /** Published and not yet confirmed, in serial order. */
  private unconfirmed: Batch[] = [];
  private pending: Buffer[] = [];
  private scheduled = false;
  private readonly header: Buffer;
  /** The last batch taken from that hub (its link and serial): what the next batch to it confirms. */
  private confirmsLink = 0;
  private confirmsSerial = 0;
  /** Bytes taken since the last confirmation went; > 0 means one is due. */
  private unsentConfirmBytes = 0;
  private confirmTimer: NodeJS.Timeout | null = null;
  private confirmAtTurnEnd = false;

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
      const batch = this.batchOf(records.subarray(from, to), this.nextSerial);
      this.nextSerial = this.nextSerial === 2 ** 32 - 1 ? 1 : this.nextSerial + 1;
      this.unconfirmed.push(batch);
      this.publish(this, batch);
    }
  }

  /** A batch of `records` with this link's serials, confirming what was taken from that hub so far. */
  private batchOf(records: Buffer, serial: number): Batch {
    const data = Buffer.concat([this.header, records]);
    writeBatchSerials(data, { link: this.link, serial, confirmsLink: this.confirmsLink, confirmsSerial: this.confirmsSerial });
    this.unsentConfirmBytes = 0;
    return { data, recordsAt: this.header.length, serial, sentAt: performance.now() };
  }

  /**
   * That hub confirmed this link's batches up to `serial`. Ignored for a former link, or for a serial
   * no longer waiting (answered as failed already).
   */
  confirm(link: number, serial: number): void {
    if (link !== this.link) return;
    const upTo = this.unconfirmed.findIndex((batch) => batch.serial === serial);
    for (const batch of this.unconfirmed.splice(0, upTo + 1)) this.settle(batch);
  }

  /** The oldest batch not yet confirmed, if any. */
  oldestUnconfirmed(): Batch | undefined {
    return this.unconfirmed[0];
  }

  /** Settles every batch not yet confirmed and returns them, for their senders to be answered; no confirmation goes any more. */
  takeUnconfirmed(): Batch[] {
    const batches = this.unconfirmed;
    this.unconfirmed = [];
    for (const batch of batches) this.settle(batch);
    this.stopConfirming();
    return batches;
  }

  /** A batch of `bytes` from that hub (its `link` and `serial`) was handled: the next batch to it, or one of its own soon, confirms it. */
  taken(link: number, serial: number, bytes: number): void {
    this.confirmsLink = link;
    this.confirmsSerial = serial;
    this.unsentConfirmBytes += Math.max(1, bytes);
    if (this.unsentConfirmBytes >= CONFIRM_BYTES && !this.confirmAtTurnEnd) {
      this.confirmAtTurnEnd = true;
      setImmediate(() => {
        this.confirmAtTurnEnd = false;
        this.confirmAlone();
      });
    }
    if (this.confirmTimer === null) {
      this.confirmTimer = setTimeout(() => {
        this.confirmTimer = null;
        this.confirmAlone();
      }, CONFIRM_DELAY_MS);
      this.confirmTimer.unref();
    }
  }

  /** The confirmation goes in a batch of no records, unless a batch to that hub carried it meanwhile. */
  private confirmAlone(): void {
    if (this.unsentConfirmBytes === 0) return;
    this.publish(this, this.batchOf(Buffer.alloc(0), 0));
  }

  private stopConfirming(): void {
    this.unsentConfirmBytes = 0;
    if (this.confirmTimer !== null) clearTimeout(this.confirmTimer);
    this.confirmTimer = null;
  }

  private settle(batch: Batch): void {
    this.unconfirmedBytes -= batch.data.length - batch.recordsAt;
  }
}
