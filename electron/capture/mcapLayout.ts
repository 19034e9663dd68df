import { MESSAGE_KIND_NAMES, type MessageKindName, TrafficFlag } from '../protocol/protocol';
import { tapChunkOf, tapFlagsOf } from '../protocol/tapChunk';
import type { CapturedEvent, CapturedEventName, CapturedMessage, CaptureCounters, CaptureInfo } from './captureRecord';

/**
 * How capture records map onto MCAP records, byte by byte (docs/CAPTURE.md, "MCAP layout", says the
 * same for other tools): the writer, the readers and the in-process recorder's worker all go through
 * these functions, so the layout is defined once.
 */

export const MESSAGES_TOPIC = 'relayscope/messages';
export const MESSAGE_ENCODING = 'relayscope.runs.v1';
export const EVENTS_TOPIC = 'relayscope/events';
export const EVENT_ENCODING = 'json';
export const METADATA_NAME = 'relayscope';
export const MCAP_PROFILE = 'relayscope';

/**
 * The runs of one MCAP message span at most this long after its log time, so a reader looking for
 * a time range through the index starts this much earlier and filters each message by its own time.
 */
export const MAX_BATCH_SPAN_MICROS = 100_000;
/**
 * An entry's flags byte holds the TRAFFIC frame's TrafficFlag bits (on the wire MESSAGE flags are 0).
 * Bit 0: injected by a monitor or the app.
 */
export const ENTRY_INJECTED = TrafficFlag.INJECTED;
/** Bit 1: a chunk a tap passed on; a u64 BE stream offset then sits between the destination and the payload. Bits 2 and 3 say its direction and whether it is partial. */
export const ENTRY_TAPPED = TrafficFlag.TAPPED;
export const ENTRY_OFFSET_BYTES = 8;
/** The protocol's MESSAGE frame type, which every entry carries as on the wire. */
export const MESSAGE_FRAME_TYPE = 0x10;
/** Entry bytes before the destination: u32 length, u8 type, u8 kind, u8 flags, u32 correlation, u8 dstLen. */
export const ENTRY_FIXED_BYTES = 12;
/** Run bytes before the source ID: u32 LE length, u32 LE time offset, u8 srcLen. */
export const RUN_FIXED_BYTES = 9;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/** Hub microseconds → MCAP nanoseconds (a bigint: the product passes 2^53). */
export function microsToNanos(micros: number): bigint {
  return BigInt(micros) * 1000n;
}

export function nanosToMicros(nanos: bigint): number {
  return Number(nanos / 1000n);
}

/** The number MCAP's layout uses for a kind name. */
export function kindNumber(kind: MessageKindName): number {
  const n = MESSAGE_KIND_NAMES.indexOf(kind);
  if (n < 0) throw new RangeError(`unknown message kind "${String(kind)}"`);
  return n;
}

/**
 * relayscope.runs.v1: one MCAP message holds one or more runs; a run is the messages one source sent
 * that the hub read at one time, as the hub received them (so the in-process recorder copies a run
 * with one memcpy):
 *   run:   u32 LE length of the rest of the run, u32 LE µs after the MCAP message's log time,
 *          u8 source length, source (UTF-8), then one or more entries;
 *   entry: the protocol's MESSAGE frame (PROTOCOL.md 4.7, big-endian): u32 length of the rest of
 *          the entry, u8 0x10, u8 kind (0 unicast, 1 broadcast, 2 request, 3 reply), u8 flags
 *          (bit 0: injected; bit 1: tapped, bit 2: tapped from the upstream, bit 3: partial: the
 *          TrafficFlag bits), u32 correlation id, u8 destination length (0 for a broadcast),
 *          destination (UTF-8), with bit 1 a u64 stream offset, payload (the rest of the entry).
 * `messages` must be in time order and span at most MAX_BATCH_SPAN_MICROS.
 */
export function encodeBatchData(messages: readonly CapturedMessage[]): Uint8Array {
  if (messages.length === 0) throw new RangeError('a batch holds at least one message');
  const start = messages[0].time;
  const ids = new Map<string, Uint8Array>();
  const id = (text: string): Uint8Array => {
    let bytes = ids.get(text);
    if (bytes === undefined) {
      bytes = utf8.encode(text);
      if (bytes.length > 255) throw new RangeError('a module ID is longer than 255 bytes');
      ids.set(text, bytes);
    }
    return bytes;
  };
  let length = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (i === 0 || m.source !== messages[i - 1].source || m.time !== messages[i - 1].time) length += RUN_FIXED_BYTES + id(m.source).length;
    length += ENTRY_FIXED_BYTES + (m.destination === null ? 0 : id(m.destination).length) + (m.tap === undefined ? 0 : ENTRY_OFFSET_BYTES) + m.payload.length;
  }
  const data = new Uint8Array(length);
  const view = new DataView(data.buffer);
  let p = 0;
  let runStart = -1;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m.time < start || m.time - start > MAX_BATCH_SPAN_MICROS) throw new RangeError('a batch spans more than MAX_BATCH_SPAN_MICROS or is out of order');
    if (i === 0 || m.source !== messages[i - 1].source || m.time !== messages[i - 1].time) {
      if (runStart >= 0) view.setUint32(runStart, p - runStart - 4, true);
      runStart = p;
      const source = id(m.source);
      view.setUint32(p + 4, m.time - start, true);
      data[p + 8] = source.length;
      data.set(source, p + RUN_FIXED_BYTES);
      p += RUN_FIXED_BYTES + source.length;
    }
    const destination = m.destination === null ? new Uint8Array(0) : id(m.destination);
    const offsetBytes = m.tap === undefined ? 0 : ENTRY_OFFSET_BYTES;
    view.setUint32(p, ENTRY_FIXED_BYTES - 4 + destination.length + offsetBytes + m.payload.length);
    data[p + 4] = MESSAGE_FRAME_TYPE;
    data[p + 5] = kindNumber(m.kind);
    data[p + 6] = (m.injected ? ENTRY_INJECTED : 0) | tapFlagsOf(m.tap);
    view.setUint32(p + 7, m.correlationId >>> 0);
    data[p + 11] = destination.length;
    data.set(destination, p + ENTRY_FIXED_BYTES);
    p += ENTRY_FIXED_BYTES + destination.length;
    if (m.tap !== undefined) view.setBigUint64(p, BigInt(m.tap.offset));
    data.set(m.payload, p + offsetBytes);
    p += offsetBytes + m.payload.length;
  }
  view.setUint32(runStart, p - runStart - 4, true);
  return data;
}

/** The inverse of encodeBatchData; throws on data whose lengths do not add up. */
export function decodeBatchData(data: Uint8Array, logTime: bigint): CapturedMessage[] {
  const fail = (why: string): never => {
    throw new RangeError(`a ${MESSAGE_ENCODING} message of ${data.length} bytes is malformed: ${why}`);
  };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const base = nanosToMicros(logTime);
  const messages: CapturedMessage[] = [];
  let r = 0;
  while (r < data.length) {
    if (r + RUN_FIXED_BYTES > data.length) fail('a run header is cut short');
    const runEnd = r + 4 + view.getUint32(r, true);
    const sourceEnd = r + RUN_FIXED_BYTES + data[r + 8];
    if (runEnd > data.length || sourceEnd > runEnd) fail("a run's lengths do not fit");
    const time = base + view.getUint32(r + 4, true);
    const source = utf8Decoder.decode(data.subarray(r + RUN_FIXED_BYTES, sourceEnd));
    let p = sourceEnd;
    if (p === runEnd) fail('a run holds no entry');
    while (p < runEnd) {
      if (p + ENTRY_FIXED_BYTES > runEnd) fail(`entry ${messages.length} is cut short`);
      const end = p + 4 + view.getUint32(p);
      const destinationEnd = p + ENTRY_FIXED_BYTES + data[p + 11];
      if (end > runEnd || destinationEnd > end) fail(`entry ${messages.length}'s lengths do not fit`);
      if (data[p + 4] !== MESSAGE_FRAME_TYPE) fail(`entry ${messages.length} is not a MESSAGE (type ${data[p + 4]})`);
      const kind = MESSAGE_KIND_NAMES[data[p + 5]];
      if (kind === undefined) fail(`entry ${messages.length} has unknown kind ${data[p + 5]}`);
      const flags = data[p + 6];
      const tapped = (flags & ENTRY_TAPPED) !== 0;
      if (tapped && destinationEnd + ENTRY_OFFSET_BYTES > end) fail(`entry ${messages.length} is tapped but has no room for its offset`);
      const message: CapturedMessage = {
        type: 'message',
        time,
        kind,
        source,
        destination: kind === 'broadcast' ? null : utf8Decoder.decode(data.subarray(p + ENTRY_FIXED_BYTES, destinationEnd)),
        correlationId: view.getUint32(p + 7),
        injected: (flags & ENTRY_INJECTED) !== 0,
        // A copy: the reader's chunk buffer is reused or kept alive by a view into it.
        payload: data.slice(tapped ? destinationEnd + ENTRY_OFFSET_BYTES : destinationEnd, end),
      };
      if (tapped) message.tap = tapChunkOf(flags, Number(view.getBigUint64(destinationEnd)));
      messages.push(message);
      p = end;
    }
    r = runEnd;
  }
  if (messages.length === 0) fail('it holds no run');
  return messages;
}

const EVENT_NAMES: ReadonlySet<string> = new Set<CapturedEventName>(['join', 'leave', 'error', 'monitor-dropped']);

/** An event's message data: the JSON object {"event","id","code","detail"} (time is the log time). */
export function encodeEventData(event: CapturedEvent): Uint8Array {
  return utf8.encode(JSON.stringify({ event: event.event, id: event.id, code: event.code, detail: event.detail }));
}

export function decodeEventData(data: Uint8Array, logTime: bigint): CapturedEvent {
  const text = utf8Decoder.decode(data);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RangeError(`an event on ${EVENTS_TOPIC} is not JSON: ${(error as Error).message}`);
  }
  const object = value as Record<string, unknown>;
  if (
    typeof object !== 'object' ||
    object === null ||
    typeof object.event !== 'string' ||
    !EVENT_NAMES.has(object.event) ||
    typeof object.id !== 'string' ||
    typeof object.code !== 'number' ||
    typeof object.detail !== 'string'
  ) {
    throw new RangeError(`an event on ${EVENTS_TOPIC} lacks event/id/code/detail: ${text.slice(0, 200)}`);
  }
  return { type: 'event', time: nanosToMicros(logTime), event: object.event as CapturedEventName, id: object.id, code: object.code, detail: object.detail };
}

/**
 * The `relayscope` metadata record: every value a string, as MCAP requires; numbers in decimal,
 * lists and counters as JSON. Written once at the start (missed 0, no end counters) and once more by
 * close() with the final values; a reader takes the last one.
 */
export function infoToMetadata(info: CaptureInfo): Map<string, string> {
  return new Map([
    ['hub', info.hub],
    ['sockets', JSON.stringify(info.sockets)],
    ['host', info.host],
    ['startTime', String(info.startTime)],
    ['relayscopeVersion', info.relayscopeVersion],
    ['missed', String(info.missed)],
    ['countersAtStart', JSON.stringify(info.countersAtStart)],
    ['countersAtEnd', JSON.stringify(info.countersAtEnd)],
  ]);
}

export function metadataToInfo(metadata: ReadonlyMap<string, string>): CaptureInfo {
  const json = <T>(key: string, fallback: T): T => {
    const text = metadata.get(key);
    if (text === undefined) return fallback;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RangeError(`the ${METADATA_NAME} metadata's "${key}" is not JSON: ${text.slice(0, 100)}`);
    }
  };
  return {
    hub: metadata.get('hub') ?? '',
    sockets: json<string[]>('sockets', []),
    host: metadata.get('host') ?? '',
    startTime: Number(metadata.get('startTime') ?? 0),
    relayscopeVersion: metadata.get('relayscopeVersion') ?? '',
    missed: Number(metadata.get('missed') ?? 0),
    countersAtStart: json<CaptureCounters | null>('countersAtStart', null),
    countersAtEnd: json<CaptureCounters | null>('countersAtEnd', null),
  };
}
