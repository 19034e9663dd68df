import { MessageKind } from '../protocol/protocol';
import { ENTRY_FIXED_BYTES, ENTRY_INJECTED, ENTRY_OFFSET_BYTES, MESSAGE_FRAME_TYPE } from './mcapLayout';
import { CAPTURED_EVENT_NAMES } from './monitorFrames';

/**
 * The hub thread's side of an in-process recording: what MonitorTap hands over is appended, as
 * compact records, to large preallocated buffers, which go whole (transferred, not copied) to the
 * recording worker (recordingWorker.ts) that writes MCAP. A run of relayed frames is one memcpy, as
 * for TRAFFIC_RUN monitors; no object is made per message. At most `maxBuffers` buffers exist: when
 * all are with the worker (the disk or the worker cannot keep up) new copies are dropped and counted,
 * and the count goes into the stream as a monitor-dropped event where the gap is.
 *
 * Record layout (the worker's decodeRecords reads it), every record:
 *   u32 LE record length (the bytes after this field), u8 type, u32 LE time high, u32 LE time low (µs)
 * then by type:
 *   RUN:     u32 LE count, u8 srcLen, src, `count` MESSAGE frames exactly as the source sent them:
 *            the body of a relayscope.runs.v1 run (mcapLayout.ts), which the worker copies as it is
 *   MESSAGE: the same for one injected message (count 1, the entry's injected flag set) or one
 *            tapped chunk (count 1, the entry's tapped flag set and its stream offset)
 *   EVENT:   the event's JSON (mcapLayout.encodeEventData's form)
 */
export const RecordType = { RUN: 1, MESSAGE: 2, EVENT: 3 } as const;
export const RECORD_HEADER_BYTES = 13;

/** Time halves as HubClock keeps them. */
export interface TimeHalves {
  hi: number;
  lo: number;
}

export interface RecordingBufferOptions {
  bufferBytes: number;
  maxBuffers: number;
  /** Takes a full (or timed-out) buffer: bytes [0, used). Ownership passes to the callee. */
  handOff: (buffer: Buffer, used: number) => void;
}

const utf8 = new TextEncoder();

export class RecordingBuffer {
  /** Messages the hub relayed while no buffer was free: not in the file. */
  missed = 0;
  /** Events that found no free buffer either. */
  missedEvents = 0;
  /** Messages and bytes of payload appended. */
  messages = 0;
  bytes = 0;
  private readonly spare: Buffer[] = [];
  private current: Buffer | null = null;
  private used = 0;
  /** Buffers allocated and not given back (with the worker, or current). */
  private outstanding = 0;
  /** Missed since the last monitor-dropped event was written. */
  private unreported = 0;

  constructor(private readonly options: RecordingBufferOptions) {
    this.current = this.take(options.bufferBytes);
  }

  /** A buffer the worker is done with, for reuse. */
  giveBack(buffer: Buffer): void {
    this.outstanding--;
    if (buffer.length === this.options.bufferBytes && this.spare.length < this.options.maxBuffers) this.spare.push(buffer);
  }

  /** `count` MESSAGE frames from `source`, buf[start, end), as relayed (never injected ones). */
  run(source: Buffer, time: TimeHalves, count: number, buf: Buffer, start: number, end: number): void {
    const runBytes = end - start;
    const length = RECORD_HEADER_BYTES + 4 + 1 + source.length + runBytes;
    const out = this.room(length, count);
    if (out === null) return;
    let p = this.header(out, length, RecordType.RUN, time);
    out.writeUInt32LE(count, p);
    out[p + 4] = source.length;
    p += 5;
    // IDs are short: a byte loop costs less than a Buffer.copy call.
    for (let i = 0; i < source.length; i++) out[p + i] = source[i];
    buf.copy(out, p + source.length, start, end);
    this.used += length;
    this.messages += count;
    // Payload bytes are counted by the worker exactly; here the frames' size is close enough for status.
    this.bytes += runBytes;
  }

  /** One message handed over alone (an injected one), as a run of one. */
  message(time: TimeHalves, kind: number, injected: boolean, buf: Buffer, corrAt: number, source: Buffer, destination: Buffer | null, payloadStart: number, payloadEnd: number): void {
    const destinationLength = destination === null ? 0 : destination.length;
    const payloadLength = payloadEnd - payloadStart;
    const entryLength = ENTRY_FIXED_BYTES + destinationLength + payloadLength;
    const length = RECORD_HEADER_BYTES + 4 + 1 + source.length + entryLength;
    const out = this.room(length, 1);
    if (out === null) return;
    let p = this.header(out, length, RecordType.MESSAGE, time);
    out.writeUInt32LE(1, p);
    out[p + 4] = source.length;
    p += 5;
    source.copy(out, p);
    p += source.length;
    out.writeUInt32BE(entryLength - 4, p);
    out[p + 4] = MESSAGE_FRAME_TYPE;
    out[p + 5] = kind;
    out[p + 6] = injected ? ENTRY_INJECTED : 0;
    buf.copy(out, p + 7, corrAt, corrAt + 4);
    out[p + 11] = destinationLength;
    if (destination !== null) destination.copy(out, p + ENTRY_FIXED_BYTES);
    buf.copy(out, p + ENTRY_FIXED_BYTES + destinationLength, payloadStart, payloadEnd);
    this.used += length;
    this.messages++;
    this.bytes += payloadLength;
  }

  /**
   * A chunk a tap passed on, as a run of one whose entry's flags are the TrafficFlag bits (TAPPED
   * set) and whose u64 stream offset sits between the destination and the payload (mcapLayout.ts).
   */
  tapped(time: TimeHalves, flags: number, source: Buffer, destination: Buffer, offset: number, payload: Buffer): void {
    const entryLength = ENTRY_FIXED_BYTES + destination.length + ENTRY_OFFSET_BYTES + payload.length;
    const length = RECORD_HEADER_BYTES + 4 + 1 + source.length + entryLength;
    const out = this.room(length, 1);
    if (out === null) return;
    let p = this.header(out, length, RecordType.MESSAGE, time);
    out.writeUInt32LE(1, p);
    out[p + 4] = source.length;
    p += 5;
    source.copy(out, p);
    p += source.length;
    out.writeUInt32BE(entryLength - 4, p);
    out[p + 4] = MESSAGE_FRAME_TYPE;
    out[p + 5] = MessageKind.UNICAST;
    out[p + 6] = flags;
    out.writeUInt32BE(0, p + 7);
    out[p + 11] = destination.length;
    p += ENTRY_FIXED_BYTES;
    destination.copy(out, p);
    p += destination.length;
    out.writeUInt32BE(Math.floor(offset / 2 ** 32), p);
    out.writeUInt32BE(offset >>> 0, p + 4);
    payload.copy(out, p + ENTRY_OFFSET_BYTES);
    this.used += length;
    this.messages++;
    this.bytes += payload.length;
  }

  /** A registry or error event (HubEventCode), as MonitorTap.event gets it. */
  event(micros: number, event: number, code: number, id: string, detail: string): void {
    const name = CAPTURED_EVENT_NAMES[event];
    if (name === undefined) return;
    const data = utf8.encode(JSON.stringify({ event: name, id, code, detail }));
    const length = RECORD_HEADER_BYTES + data.length;
    const out = this.room(length, 0);
    if (out === null) return;
    const p = this.header(out, length, RecordType.EVENT, { hi: Math.floor(micros / 2 ** 32), lo: micros >>> 0 });
    out.set(data, p);
    this.used += length;
  }

  /** Hands over what the current buffer holds (on a timer, and before the worker closes the file). */
  flush(): void {
    if (this.current !== null && this.used > 0) {
      const buffer = this.current;
      const used = this.used;
      this.current = null;
      this.used = 0;
      this.options.handOff(buffer, used);
    }
    this.current ??= this.take(this.options.bufferBytes);
  }

  private header(out: Buffer, length: number, type: number, time: TimeHalves): number {
    const p = this.used;
    out.writeUInt32LE(length - 4, p);
    out[p + 4] = type;
    out.writeUInt32LE(time.hi, p + 5);
    out.writeUInt32LE(time.lo, p + 9);
    return p + RECORD_HEADER_BYTES;
  }

  /** The buffer to append `length` bytes to, or null when none is free: then the record is counted as missed. */
  private room(length: number, messages: number): Buffer | null {
    if ((this.unreported > 0 && !this.reportGap()) || !this.ensure(length)) {
      if (messages === 0) this.missedEvents++;
      this.missed += messages;
      this.unreported += messages;
      return null;
    }
    return this.current;
  }

  private ensure(length: number): boolean {
    if (this.current !== null && this.current.length - this.used >= length) return true;
    if (this.current !== null && this.used > 0) this.flush();
    if (this.current !== null && this.current.length >= length) return true;
    if (this.current !== null) {
      // The empty current buffer is too small for this one record: it gets a larger one of its own.
      this.giveBack(this.current);
      this.current = null;
    }
    this.current = this.take(Math.max(length, this.options.bufferBytes));
    return this.current !== null;
  }

  /** Before the first record after a gap, a monitor-dropped event says how many messages are missing there. */
  private reportGap(): boolean {
    const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    const data = utf8.encode(JSON.stringify({ event: 'monitor-dropped', id: 'recorder', code: 0, detail: String(this.unreported) }));
    const length = RECORD_HEADER_BYTES + data.length;
    if (!this.ensure(length)) return false;
    const p = this.header(this.current as Buffer, length, RecordType.EVENT, { hi: Math.floor(micros / 2 ** 32), lo: micros >>> 0 });
    (this.current as Buffer).set(data, p);
    this.used += length;
    this.unreported = 0;
    return true;
  }

  private take(bytes: number): Buffer | null {
    if (bytes === this.options.bufferBytes && this.spare.length > 0) {
      this.outstanding++;
      return this.spare.pop() as Buffer;
    }
    if (this.outstanding >= this.options.maxBuffers) return null;
    return this.allocate(bytes);
  }

  private allocate(bytes: number): Buffer {
    this.outstanding++;
    // Its own ArrayBuffer (not the pool's), so it can be transferred to the worker.
    return Buffer.from(new ArrayBuffer(bytes));
  }
}
