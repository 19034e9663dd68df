/**
 * Pure, incremental codec for the frames described in protocol.ts. No I/O and no timers: bytes in,
 * frames out, so the same code serves the hub, the clients, the tests and the fuzzer.
 */
import { ErrorCode, FrameType, HubEventCode, LENGTH_PREFIX_BYTES, MessageKind, PROTOCOL_VERSION, TrafficFlag } from './protocol';

export class FrameError extends Error {
  constructor(
    /** ErrorCode the hub answers with: FRAME_TOO_LARGE or MALFORMED_FRAME. */
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

const FRAME_TOO_LARGE = ErrorCode.FRAME_TOO_LARGE;
const MALFORMED_FRAME = ErrorCode.MALFORMED_FRAME;

/**
 * Called once per complete frame. `buf[start]` is the type byte's successor: the body runs from
 * `start` to `end` (exclusive). The bytes are only guaranteed until the callback returns when they
 * sit in the caller's chunk, so a consumer that keeps them must copy or take a subarray of a chunk
 * it owns (stream chunks are never reused, so a subarray is safe there).
 *
 * Returning `false` stops decoding after this frame (a client does so at WELCOME, which changes how
 * the rest of the stream is read); anything else, usually nothing, goes on.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: visitors that return nothing are the usual case (see above).
export type FrameVisitor = (type: number, buf: Buffer, start: number, end: number) => void | false;

export class FrameDecoder {
  /** Buffer being filled for a frame that spans chunks (length prefix excluded), or null. */
  private partial: Buffer | null = null;
  private partialFilled = 0;
  /** Up to 3 bytes of a length prefix split across chunks. */
  private header = Buffer.alloc(LENGTH_PREFIX_BYTES);
  private headerFilled = 0;

  /** Largest length field accepted; the hub raises it once HELLO is accepted. */
  constructor(public maxFrameLength: number) {}

  /** Bytes held back waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.headerFilled + this.partialFilled;
  }

  /**
   * Hands back the bytes held for an incomplete frame, length prefix included, and forgets them: the
   * hub puts them after frames it held elsewhere (a TAKEOVER replay) and pushes the lot again.
   */
  takeBuffered(): Buffer {
    let bytes: Buffer;
    if (this.partial !== null) {
      bytes = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES + this.partialFilled);
      bytes.writeUInt32BE(this.partial.length, 0);
      this.partial.copy(bytes, LENGTH_PREFIX_BYTES, 0, this.partialFilled);
    } else {
      bytes = Buffer.from(this.header.subarray(0, this.headerFilled));
    }
    this.partial = null;
    this.partialFilled = 0;
    this.headerFilled = 0;
    return bytes;
  }

  /** Drops an incomplete frame: the connection is closed and its buffer should go now, not when the socket does. */
  discard(): void {
    this.partial = null;
    this.partialFilled = 0;
    this.headerFilled = 0;
  }

  /** Bytes allocated for the frame being reassembled (its whole length, however much has arrived). */
  get reservedBytes(): number {
    return this.headerFilled + (this.partial === null ? 0 : this.partial.length);
  }

  /**
   * Feeds a chunk; calls `visit` for each frame it completes, in order. Returns chunk.length, or,
   * when the visitor stopped, the offset in the chunk just past that frame: the bytes from there on
   * are not consumed, and the caller pushes them again when it wants the frames they hold. Throws
   * FrameError on a zero or oversized length: the stream cannot be resynchronised after that.
   */
  push(chunk: Buffer, visit: FrameVisitor): number {
    let offset = 0;
    const size = chunk.length;
    if (this.headerFilled > 0 || this.partial !== null) {
      offset = this.continuePartial(chunk);
      if (offset < 0) return size;
      const frame = this.partial as Buffer;
      this.partial = null;
      this.partialFilled = 0;
      if (visit(frame[0], frame, 1, frame.length) === false) return offset;
    }
    while (offset + LENGTH_PREFIX_BYTES <= size) {
      const length = ((chunk[offset] << 24) >>> 0) + (chunk[offset + 1] << 16) + (chunk[offset + 2] << 8) + chunk[offset + 3];
      this.checkLength(length);
      const bodyEnd = offset + LENGTH_PREFIX_BYTES + length;
      if (bodyEnd > size) break;
      if (visit(chunk[offset + LENGTH_PREFIX_BYTES], chunk, offset + LENGTH_PREFIX_BYTES + 1, bodyEnd) === false) return bodyEnd;
      offset = bodyEnd;
    }
    if (offset < size) this.keepRemainder(chunk, offset);
    return size;
  }

  private checkLength(length: number): void {
    if (length === 0) throw new FrameError(MALFORMED_FRAME, 'frame length is 0; every frame has at least a type byte');
    if (length > this.maxFrameLength) {
      throw new FrameError(FRAME_TOO_LARGE, `frame of ${length} bytes exceeds the limit of ${this.maxFrameLength}`);
    }
  }

  private keepRemainder(chunk: Buffer, offset: number): void {
    const remaining = chunk.length - offset;
    if (remaining < LENGTH_PREFIX_BYTES) {
      chunk.copy(this.header, 0, offset);
      this.headerFilled = remaining;
      return;
    }
    const length = chunk.readUInt32BE(offset);
    this.partial = Buffer.allocUnsafe(length);
    this.partialFilled = chunk.copy(this.partial, 0, offset + LENGTH_PREFIX_BYTES);
  }

  /**
   * Fills the held-back frame from the start of the chunk. Returns the offset just past it once it is
   * complete (it is then in `partial`), or -1 if the chunk was used up first.
   */
  private continuePartial(chunk: Buffer): number {
    let offset = 0;
    if (this.partial === null) {
      const take = Math.min(LENGTH_PREFIX_BYTES - this.headerFilled, chunk.length);
      chunk.copy(this.header, this.headerFilled, 0, take);
      this.headerFilled += take;
      offset = take;
      if (this.headerFilled < LENGTH_PREFIX_BYTES) return -1;
      const length = this.header.readUInt32BE(0);
      this.headerFilled = 0;
      this.checkLength(length);
      this.partial = Buffer.allocUnsafe(length);
      this.partialFilled = 0;
    }
    const partial = this.partial;
    const copied = chunk.copy(partial, this.partialFilled, offset);
    this.partialFilled += copied;
    offset += copied;
    return this.partialFilled < partial.length ? -1 : offset;
  }
}

/** A decoded frame with its own body buffer: the convenient form for clients and tests. */
export interface Frame {
  type: number;
  body: Buffer;
}

/** Decodes every frame a chunk completes, copying each body so it outlives the chunk. */
export function decodeFrames(decoder: FrameDecoder, chunk: Buffer): Frame[] {
  const frames: Frame[] = [];
  decoder.push(chunk, (type, buf, start, end) => {
    frames.push({ type, body: Buffer.from(buf.subarray(start, end)) });
  });
  return frames;
}

/** Bounds-checked reader over a frame body; every overrun is a MALFORMED_FRAME. */
export class BodyReader {
  constructor(
    private readonly buf: Buffer,
    private offset: number,
    private readonly end: number,
    private readonly what: string,
  ) {}

  private need(bytes: number, field: string): void {
    if (this.offset + bytes > this.end) {
      throw new FrameError(MALFORMED_FRAME, `${this.what} frame is truncated: missing ${field}`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.offset++];
  }

  u16(field: string): number {
    this.need(2, field);
    const value = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  u32(field: string): number {
    this.need(4, field);
    const value = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  u64(field: string): number {
    this.need(8, field);
    const value = Number(this.buf.readBigUInt64BE(this.offset));
    this.offset += 8;
    return value;
  }

  /** u8-length-prefixed bytes, returned as [start, end) offsets into the frame buffer. */
  shortBytes(field: string): [number, number] {
    const length = this.u8(`${field} length`);
    this.need(length, field);
    const start = this.offset;
    this.offset += length;
    return [start, this.offset];
  }

  shortString(field: string): string {
    const [start, end] = this.shortBytes(field);
    return this.buf.toString('utf8', start, end);
  }

  /** u16-length-prefixed UTF-8. */
  string16(field: string): string {
    const length = this.u16(`${field} length`);
    this.need(length, field);
    const value = this.buf.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  restString(): string {
    const value = this.buf.toString('utf8', this.offset, this.end);
    this.offset = this.end;
    return value;
  }

  restBytes(): Buffer {
    const value = this.buf.subarray(this.offset, this.end);
    this.offset = this.end;
    return value;
  }

  get position(): number {
    return this.offset;
  }

  expectEnd(): void {
    if (this.offset !== this.end) {
      throw new FrameError(MALFORMED_FRAME, `${this.what} frame has ${this.end - this.offset} unexpected trailing bytes`);
    }
  }
}

/** Builds one frame: writes the length prefix and type, then lets `fill` write the body. */
class FrameBuilder {
  private readonly parts: Buffer[] = [];
  private size = 0;

  u8(value: number): this {
    return this.push(Buffer.of(value & 0xff));
  }

  u16(value: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeUInt16BE(value);
    return this.push(b);
  }

  u32(value: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(value >>> 0);
    return this.push(b);
  }

  u64(value: number): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(value))));
    return this.push(b);
  }

  shortString(value: string | Buffer, field: string): this {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    if (bytes.length > 255) throw new RangeError(`${field} is ${bytes.length} bytes; at most 255 fit in a frame`);
    return this.u8(bytes.length).push(bytes);
  }

  string16(value: string): this {
    const bytes = Buffer.from(value, 'utf8');
    if (bytes.length > 0xffff) throw new RangeError(`string of ${bytes.length} bytes does not fit a u16 length`);
    return this.u16(bytes.length).push(bytes);
  }

  bytes(value: Uint8Array | string): this {
    return this.push(typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }

  private push(b: Buffer): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }

  finish(type: number): Buffer {
    const frame = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES + 1 + this.size);
    frame.writeUInt32BE(1 + this.size, 0);
    frame[LENGTH_PREFIX_BYTES] = type;
    let offset = LENGTH_PREFIX_BYTES + 1;
    for (const part of this.parts) offset += part.copy(frame, offset);
    return frame;
  }
}

export interface Hello {
  version: number;
  flags: number;
  id: string;
  token: string;
}

export interface Welcome {
  version: number;
  maxPayload: number;
  queueLimit: number;
  idleTimeoutMs: number;
  id: string;
}

export interface ErrorFrame {
  code: number;
  correlationId: number;
  ref: string;
  message: string;
}

export interface MessageFrame {
  kind: MessageKind;
  correlationId: number;
  /** destination (client → hub) or source (hub → client) */
  peer: string;
  payload: Buffer;
}

export interface TrafficFrame {
  timestampMicros: number;
  /** TrafficFlag bits; INJECTED for a message a monitor or the app injected, TAPPED for a chunk a tap passed on. */
  flags: number;
  kind: MessageKind;
  correlationId: number;
  source: string;
  destination: string;
  /** With TrafficFlag.TAPPED: the payload's first byte in its direction's stream. */
  offset?: number;
  payload: Buffer;
}

export interface EventFrame {
  timestampMicros: number;
  event: number;
  code: number;
  id: string;
  detail: string;
}

export interface InjectFrame {
  kind: MessageKind;
  correlationId: number;
  source: string;
  destination: string;
  payload: Buffer;
}

export function encodeHello(hello: Partial<Hello> & { id: string }): Buffer {
  return new FrameBuilder()
    .u8(hello.version ?? PROTOCOL_VERSION)
    .u8(hello.flags ?? 0)
    .shortString(hello.id, 'module ID')
    .string16(hello.token ?? '')
    .finish(FrameType.HELLO);
}

export function parseHello(buf: Buffer, start: number, end: number): Hello {
  const r = new BodyReader(buf, start, end, 'HELLO');
  const version = r.u8('version');
  const flags = r.u8('flags');
  const id = r.shortString('module ID');
  const token = r.string16('token');
  r.expectEnd();
  return { version, flags, id, token };
}

export function encodeWelcome(w: Welcome): Buffer {
  return new FrameBuilder().u8(w.version).u32(w.maxPayload).u32(w.queueLimit).u32(w.idleTimeoutMs).shortString(w.id, 'module ID').finish(FrameType.WELCOME);
}

export function parseWelcome(buf: Buffer, start: number, end: number): Welcome {
  const r = new BodyReader(buf, start, end, 'WELCOME');
  const w = { version: r.u8('version'), maxPayload: r.u32('maxPayload'), queueLimit: r.u32('queueLimit'), idleTimeoutMs: r.u32('idleTimeoutMs'), id: r.shortString('module ID') };
  r.expectEnd();
  return w;
}

export function encodeError(e: ErrorFrame): Buffer {
  return new FrameBuilder().u16(e.code).u32(e.correlationId).shortString(truncateUtf8(e.ref, 255), 'ref').bytes(e.message).finish(FrameType.ERROR);
}

export function parseError(buf: Buffer, start: number, end: number): ErrorFrame {
  const r = new BodyReader(buf, start, end, 'ERROR');
  return { code: r.u16('code'), correlationId: r.u32('correlationId'), ref: r.shortString('ref'), message: r.restString() };
}

export function encodeBye(code: number, reason: string): Buffer {
  return new FrameBuilder().u16(code).bytes(reason).finish(FrameType.BYE);
}

export function parseBye(buf: Buffer, start: number, end: number): { code: number; reason: string } {
  const r = new BodyReader(buf, start, end, 'BYE');
  return { code: r.u16('code'), reason: r.restString() };
}

export function encodePing(type: typeof FrameType.PING | typeof FrameType.PONG, body: Uint8Array = Buffer.alloc(0)): Buffer {
  return new FrameBuilder().bytes(body).finish(type);
}

export function encodeOk(correlationId: number): Buffer {
  return new FrameBuilder().u32(correlationId).finish(FrameType.OK);
}

export function parseCorrelationOnly(buf: Buffer, start: number, end: number, what: string): number {
  const r = new BodyReader(buf, start, end, what);
  const id = r.u32('correlationId');
  r.expectEnd();
  return id;
}

export function encodeMessage(kind: MessageKind, peer: string, payload: Uint8Array | string, correlationId = 0): Buffer {
  return new FrameBuilder().u8(kind).u8(0).u32(correlationId).shortString(peer, 'module ID').bytes(payload).finish(FrameType.MESSAGE);
}

export function parseMessage(buf: Buffer, start: number, end: number): MessageFrame {
  const r = new BodyReader(buf, start, end, 'MESSAGE');
  const kind = r.u8('kind') as MessageKind;
  r.u8('flags');
  const correlationId = r.u32('correlationId');
  const peer = r.shortString('peer');
  return { kind, correlationId, peer, payload: r.restBytes() };
}

export function encodeList(correlationId: number): Buffer {
  return new FrameBuilder().u32(correlationId).finish(FrameType.LIST);
}

export function encodeListReply(correlationId: number, ids: readonly string[]): Buffer {
  const b = new FrameBuilder().u32(correlationId).u32(ids.length);
  for (const id of ids) b.shortString(id, 'module ID');
  return b.finish(FrameType.LIST_REPLY);
}

export function parseListReply(buf: Buffer, start: number, end: number): { correlationId: number; ids: string[] } {
  const r = new BodyReader(buf, start, end, 'LIST_REPLY');
  const correlationId = r.u32('correlationId');
  const count = r.u32('count');
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(r.shortString('module ID'));
  r.expectEnd();
  return { correlationId, ids };
}

export function encodeStats(correlationId: number): Buffer {
  return new FrameBuilder().u32(correlationId).finish(FrameType.STATS);
}

export function encodeStatsReply(correlationId: number, json: string): Buffer {
  return new FrameBuilder().u32(correlationId).bytes(json).finish(FrameType.STATS_REPLY);
}

export function parseStatsReply(buf: Buffer, start: number, end: number): { correlationId: number; json: string } {
  const r = new BodyReader(buf, start, end, 'STATS_REPLY');
  return { correlationId: r.u32('correlationId'), json: r.restString() };
}

export function encodeSubscribePresence(correlationId: number, on: boolean): Buffer {
  return new FrameBuilder()
    .u32(correlationId)
    .u8(on ? 1 : 0)
    .finish(FrameType.SUBSCRIBE_PRESENCE);
}

export function parseSubscribePresence(buf: Buffer, start: number, end: number): { correlationId: number; on: boolean } {
  const r = new BodyReader(buf, start, end, 'SUBSCRIBE_PRESENCE');
  const correlationId = r.u32('correlationId');
  const on = r.u8('on') !== 0;
  r.expectEnd();
  return { correlationId, on };
}

export function encodePresence(event: number, id: string): Buffer {
  return new FrameBuilder().u8(event).shortString(id, 'module ID').finish(FrameType.PRESENCE);
}

export function parsePresence(buf: Buffer, start: number, end: number): { event: number; id: string } {
  const r = new BodyReader(buf, start, end, 'PRESENCE');
  const p = { event: r.u8('event'), id: r.shortString('module ID') };
  r.expectEnd();
  return p;
}

export function encodeTraffic(t: TrafficFrame): Buffer {
  const b = new FrameBuilder().u64(t.timestampMicros).u8(t.kind).u8(t.flags).u32(t.correlationId).shortString(t.source, 'source').shortString(t.destination, 'destination');
  if (t.flags & TrafficFlag.TAPPED) b.u64(t.offset ?? 0);
  return b.bytes(t.payload).finish(FrameType.TRAFFIC);
}

export function parseTraffic(buf: Buffer, start: number, end: number): TrafficFrame {
  const r = new BodyReader(buf, start, end, 'TRAFFIC');
  const timestampMicros = r.u64('timestamp');
  const kind = r.u8('kind') as MessageKind;
  const flags = r.u8('flags');
  const correlationId = r.u32('correlationId');
  const source = r.shortString('source');
  const destination = r.shortString('destination');
  if (flags & TrafficFlag.TAPPED) return { timestampMicros, kind, flags, correlationId, source, destination, offset: r.u64('offset'), payload: r.restBytes() };
  return { timestampMicros, kind, flags, correlationId, source, destination, payload: r.restBytes() };
}

/** Builds a TRAFFIC_RUN from MESSAGE frames as a source sent them (encodeMessage output, peer = destination). */
export function encodeTrafficRun(timestampMicros: number, source: string, messageFrames: readonly Buffer[]): Buffer {
  const b = new FrameBuilder().u64(timestampMicros).shortString(source, 'source').u32(messageFrames.length);
  for (const frame of messageFrames) b.bytes(frame);
  return b.finish(FrameType.TRAFFIC_RUN);
}

/** Expands a TRAFFIC_RUN into one TrafficFrame per embedded message, in order. */
export function parseTrafficRun(buf: Buffer, start: number, end: number): TrafficFrame[] {
  const r = new BodyReader(buf, start, end, 'TRAFFIC_RUN');
  const timestampMicros = r.u64('timestamp');
  const source = r.shortString('source');
  const count = r.u32('count');
  const frames: TrafficFrame[] = [];
  let offset = r.position;
  for (let i = 0; i < count; i++) {
    if (offset + 5 > end) throw new FrameError(MALFORMED_FRAME, `TRAFFIC_RUN is truncated: message ${i + 1} of ${count} is missing`);
    const length = buf.readUInt32BE(offset);
    const frameEnd = offset + 4 + length;
    if (length < 1 || frameEnd > end || buf[offset + 4] !== FrameType.MESSAGE) throw new FrameError(MALFORMED_FRAME, `TRAFFIC_RUN message ${i + 1} of ${count} is not a whole MESSAGE frame`);
    const message = parseMessage(buf, offset + 5, frameEnd);
    frames.push({ timestampMicros, kind: message.kind, flags: 0, correlationId: message.correlationId, source, destination: message.peer, payload: message.payload });
    offset = frameEnd;
  }
  if (offset !== end) throw new FrameError(MALFORMED_FRAME, `TRAFFIC_RUN has ${end - offset} bytes after its ${count} messages`);
  return frames;
}

export function encodeEvent(e: EventFrame): Buffer {
  return new FrameBuilder().u64(e.timestampMicros).u8(e.event).u16(e.code).shortString(truncateUtf8(e.id, 255), 'module ID').bytes(e.detail).finish(FrameType.EVENT);
}

export function parseEvent(buf: Buffer, start: number, end: number): EventFrame {
  const r = new BodyReader(buf, start, end, 'EVENT');
  return { timestampMicros: r.u64('timestamp'), event: r.u8('event'), code: r.u16('code'), id: r.shortString('module ID'), detail: r.restString() };
}

/**
 * The number of copies a MONITOR_DROPPED event reports: its detail is that count in decimal digits
 * and nothing else (PROTOCOL.md 8.2). Null for any other event, or a detail that is not a count.
 */
export function monitorDroppedCount(event: EventFrame): number | null {
  if (event.event !== HubEventCode.MONITOR_DROPPED || !/^[0-9]{1,15}$/.test(event.detail)) return null;
  return Number(event.detail);
}

export function encodeInject(i: InjectFrame): Buffer {
  return new FrameBuilder().u8(i.kind).u8(0).u32(i.correlationId).shortString(i.source, 'source').shortString(i.destination, 'destination').bytes(i.payload).finish(FrameType.INJECT);
}

export function parseInject(buf: Buffer, start: number, end: number): InjectFrame {
  const r = new BodyReader(buf, start, end, 'INJECT');
  const kind = r.u8('kind') as MessageKind;
  r.u8('flags');
  const correlationId = r.u32('correlationId');
  const source = r.shortString('source');
  const destination = r.shortString('destination');
  return { kind, correlationId, source, destination, payload: r.restBytes() };
}

export function encodeKick(correlationId: number, id: string, reason: string): Buffer {
  return new FrameBuilder().u32(correlationId).shortString(id, 'module ID').bytes(reason).finish(FrameType.KICK);
}

export function parseKick(buf: Buffer, start: number, end: number): { correlationId: number; id: string; reason: string } {
  const r = new BodyReader(buf, start, end, 'KICK');
  return { correlationId: r.u32('correlationId'), id: r.shortString('module ID'), reason: r.restString() };
}

/** Cuts a string to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(value: string, maxBytes: number): string {
  if (Buffer.byteLength(value, 'utf8') <= maxBytes) return value;
  let out = '';
  let bytes = 0;
  for (const ch of value) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/**
 * Checks the layout of a MESSAGE body a module sent (buf[start, end)) and returns where its payload
 * starts. The relay path uses this instead of parseMessage: it allocates nothing, and the router
 * reads kind, correlation bytes and destination in place (offsets in frameWriters.MessageBody).
 * Throws FrameError MALFORMED_FRAME for a truncated body, non-zero flags, an unknown kind or a
 * BROADCAST with a destination.
 */
export function messagePayloadStart(buf: Buffer, start: number, end: number): number {
  if (end - start < 7) throw new FrameError(MALFORMED_FRAME, 'MESSAGE frame is truncated: its header needs 7 bytes');
  const kind = buf[start];
  const peerLength = buf[start + 6];
  const payloadStart = start + 7 + peerLength;
  if (payloadStart > end) throw new FrameError(MALFORMED_FRAME, 'MESSAGE frame is truncated: the destination ID runs past its end');
  if (kind > MessageKind.REPLY) throw new FrameError(MALFORMED_FRAME, `message kind ${kind} is not one of 0 (unicast), 1 (broadcast), 2 (request), 3 (reply)`);
  if (buf[start + 1] !== 0) throw new FrameError(MALFORMED_FRAME, 'MESSAGE flags must be 0 in protocol version 1');
  if (kind === MessageKind.BROADCAST && peerLength !== 0) throw new FrameError(MALFORMED_FRAME, 'a BROADCAST must have an empty destination');
  return payloadStart;
}
