import { MESSAGE_KIND_NAMES, type MessageKindName } from '../protocol/protocol';
import type { CapturedEvent, CapturedEventName, CapturedMessage, CaptureCounters, CaptureInfo } from './captureRecord';

/**
 * How capture records map onto MCAP records, byte by byte (docs/CAPTURE.md, "MCAP layout", says the
 * same for other tools): the writer, the readers and the in-process recorder's worker all go through
 * these functions, so the layout is defined once.
 */

export const MESSAGES_TOPIC = 'relayscope/messages';
export const MESSAGE_ENCODING = 'relayscope.message.v1';
export const EVENTS_TOPIC = 'relayscope/events';
export const EVENT_ENCODING = 'json';
export const METADATA_NAME = 'relayscope';
export const MCAP_PROFILE = 'relayscope';

/** Bit 0 of the flags byte: injected by a monitor or the app. Bit 1: broadcast (no destination). */
export const LayoutFlag = { INJECTED: 1, BROADCAST: 2 } as const;

/** kind u8, flags u8, correlation u32, source length u8, destination length u8 */
export const MESSAGE_FIXED_BYTES = 8;

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
 * relayscope.message.v1, little-endian like MCAP itself:
 *   u8 kind (0 unicast, 1 broadcast, 2 request, 3 reply), u8 flags (LayoutFlag),
 *   u32 correlation id, u8 source length, u8 destination length (0 for a broadcast),
 *   source (UTF-8), destination (UTF-8), payload (the rest of the message data).
 */
export function encodeMessageData(message: CapturedMessage): Uint8Array {
  const source = utf8.encode(message.source);
  const destination = message.destination === null ? new Uint8Array(0) : utf8.encode(message.destination);
  if (source.length > 255 || destination.length > 255) throw new RangeError('a module ID is longer than 255 bytes');
  const data = new Uint8Array(MESSAGE_FIXED_BYTES + source.length + destination.length + message.payload.length);
  const view = new DataView(data.buffer);
  data[0] = kindNumber(message.kind);
  data[1] = (message.injected ? LayoutFlag.INJECTED : 0) | (message.destination === null ? LayoutFlag.BROADCAST : 0);
  view.setUint32(2, message.correlationId >>> 0, true);
  data[6] = source.length;
  data[7] = destination.length;
  data.set(source, MESSAGE_FIXED_BYTES);
  data.set(destination, MESSAGE_FIXED_BYTES + source.length);
  data.set(message.payload, MESSAGE_FIXED_BYTES + source.length + destination.length);
  return data;
}

/** The inverse of encodeMessageData; throws on data too short for what its header says. */
export function decodeMessageData(data: Uint8Array, logTime: bigint): CapturedMessage {
  if (data.length < MESSAGE_FIXED_BYTES) throw new RangeError(`a ${MESSAGE_ENCODING} message of ${data.length} bytes is shorter than its ${MESSAGE_FIXED_BYTES}-byte header`);
  const kind = MESSAGE_KIND_NAMES[data[0]];
  if (kind === undefined) throw new RangeError(`${MESSAGE_ENCODING}: unknown kind ${data[0]}`);
  const flags = data[1];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const sourceEnd = MESSAGE_FIXED_BYTES + data[6];
  const destinationEnd = sourceEnd + data[7];
  if (destinationEnd > data.length) throw new RangeError(`${MESSAGE_ENCODING}: IDs of ${data[6]} and ${data[7]} bytes do not fit in ${data.length} bytes`);
  return {
    type: 'message',
    time: nanosToMicros(logTime),
    kind,
    source: utf8Decoder.decode(data.subarray(MESSAGE_FIXED_BYTES, sourceEnd)),
    destination: flags & LayoutFlag.BROADCAST ? null : utf8Decoder.decode(data.subarray(sourceEnd, destinationEnd)),
    correlationId: view.getUint32(2, true),
    injected: (flags & LayoutFlag.INJECTED) !== 0,
    // A copy: the reader's chunk buffer is reused or kept alive by a view into it.
    payload: data.slice(destinationEnd),
  };
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
  if (typeof object !== 'object' || object === null || typeof object.event !== 'string' || !EVENT_NAMES.has(object.event) || typeof object.id !== 'string' || typeof object.code !== 'number' || typeof object.detail !== 'string') {
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
