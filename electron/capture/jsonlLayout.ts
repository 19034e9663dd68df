import { MESSAGE_KIND_NAMES, type MessageKindName } from '../protocol/protocol';
import type { TapChunk } from '../protocol/tapChunk';
import type { CapturedEventName, CaptureInfo, CaptureRecord } from './captureRecord';

/**
 * The JSON Lines export, defined once (docs/CAPTURE.md, "Export formats", says the same for
 * people): a first line {"type":"capture",...the capture info}, one line per message or event in
 * order, and a last line {"type":"end","missed","countersAtEnd"} that close() writes. A payload is
 * text ("encoding":"utf8") when its bytes are valid UTF-8, else base64 ("encoding":"base64").
 */

export const JSONL_FORMAT = 'relayscope-jsonl';
export const JSONL_VERSION = 1;

/** A line longer than this is refused: a file without line breaks must not be read into memory whole. */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

export function infoLine(info: CaptureInfo): string {
  return JSON.stringify({ type: 'capture', format: JSONL_FORMAT, version: JSONL_VERSION, ...info });
}

export function endLine(info: CaptureInfo): string {
  return JSON.stringify({ type: 'end', missed: info.missed, countersAtEnd: info.countersAtEnd });
}

export function recordLine(record: CaptureRecord): string {
  if (record.type === 'event') return JSON.stringify({ type: 'event', time: record.time, event: record.event, id: record.id, code: record.code, detail: record.detail });
  let text: string | null;
  try {
    text = utf8Strict.decode(record.payload);
  } catch {
    text = null;
  }
  return JSON.stringify({
    type: 'message',
    time: record.time,
    kind: record.kind,
    source: record.source,
    destination: record.destination,
    correlationId: record.correlationId,
    injected: record.injected,
    ...(record.tap !== undefined && { tap: { direction: record.tap.direction, offset: record.tap.offset, partial: record.tap.partial } }),
    encoding: text === null ? 'base64' : 'utf8',
    payload: text ?? Buffer.from(record.payload.buffer, record.payload.byteOffset, record.payload.byteLength).toString('base64'),
  });
}

/** A line's object, checked field by field; `where` ("FILE line N") starts every error. */
export type ParsedLine = { type: 'capture'; info: CaptureInfo } | { type: 'end'; end: Partial<CaptureInfo> } | { type: 'record'; record: CaptureRecord };

/** A message line's "tap" object: {"direction":"to-upstream"|"to-client","offset":N,"partial":bool}. */
function parseTap(value: unknown, where: string): TapChunk {
  const tap = value as Record<string, unknown>;
  if (typeof tap !== 'object' || tap === null || Array.isArray(tap)) throw new Error(`${where}: "tap" must be an object {direction, offset, partial}, not ${JSON.stringify(value)}`);
  if (tap.direction !== 'to-upstream' && tap.direction !== 'to-client')
    throw new Error(`${where}: "tap.direction" must be "to-upstream" or "to-client", not ${JSON.stringify(tap.direction) ?? 'missing'}`);
  if (!Number.isSafeInteger(tap.offset) || (tap.offset as number) < 0) throw new Error(`${where}: "tap.offset" must be a byte offset, not ${JSON.stringify(tap.offset) ?? 'missing'}`);
  if (typeof tap.partial !== 'boolean') throw new Error(`${where}: "tap.partial" must be true or false, not ${JSON.stringify(tap.partial) ?? 'missing'}`);
  return { direction: tap.direction, offset: tap.offset as number, partial: tap.partial };
}

const EVENT_NAMES: ReadonlySet<string> = new Set<CapturedEventName>(['join', 'leave', 'error', 'monitor-dropped']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function parseLine(text: string, where: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${where} is not JSON (${(error as Error).message}); the file may be cut short`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where} is not a JSON object`);
  const line = value as Record<string, unknown>;
  const field = <T>(name: string, check: (v: unknown) => boolean, what: string): T => {
    if (!check(line[name])) throw new Error(`${where}: "${name}" must be ${what}, not ${JSON.stringify(line[name]) ?? 'missing'}`);
    return line[name] as T;
  };
  const isString = (v: unknown): boolean => typeof v === 'string';
  const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
  const isU32 = (v: unknown): boolean => isCount(v) && (v as number) <= 0xffffffff;
  switch (line.type) {
    case 'capture': {
      if (line.format !== JSONL_FORMAT) throw new Error(`${where}: "format" must be "${JSONL_FORMAT}"`);
      if (line.version !== JSONL_VERSION) throw new Error(`${where}: version ${JSON.stringify(line.version)}, this reader knows version ${JSONL_VERSION}`);
      return {
        type: 'capture',
        info: {
          hub: field<string>('hub', isString, 'a string'),
          sockets: field<string[]>('sockets', (v) => Array.isArray(v) && v.every(isString), 'a list of strings'),
          host: field<string>('host', isString, 'a string'),
          startTime: field<number>('startTime', isCount, 'microseconds since the epoch'),
          relayscopeVersion: field<string>('relayscopeVersion', isString, 'a string'),
          missed: field<number>('missed', isCount, 'a count'),
          countersAtStart: (line.countersAtStart ?? null) as CaptureInfo['countersAtStart'],
          countersAtEnd: (line.countersAtEnd ?? null) as CaptureInfo['countersAtEnd'],
        },
      };
    }
    case 'end':
      return { type: 'end', end: { missed: field<number>('missed', isCount, 'a count'), countersAtEnd: (line.countersAtEnd ?? null) as CaptureInfo['countersAtEnd'] } };
    case 'event':
      return {
        type: 'record',
        record: {
          type: 'event',
          time: field<number>('time', isCount, 'microseconds since the epoch'),
          event: field<CapturedEventName>('event', (v) => typeof v === 'string' && EVENT_NAMES.has(v), [...EVENT_NAMES].join(', ')),
          id: field<string>('id', isString, 'a string'),
          code: field<number>('code', isU32, 'a whole number'),
          detail: field<string>('detail', isString, 'a string'),
        },
      };
    case 'message': {
      const encoding = field<string>('encoding', (v) => v === 'utf8' || v === 'base64', '"utf8" or "base64"');
      const payload = field<string>('payload', isString, 'a string');
      if (encoding === 'base64' && !BASE64.test(payload)) throw new Error(`${where}: "payload" is not base64`);
      const tap = line.tap === undefined ? undefined : parseTap(line.tap, where);
      return {
        type: 'record',
        record: {
          type: 'message',
          time: field<number>('time', isCount, 'microseconds since the epoch'),
          kind: field<MessageKindName>('kind', (v) => (MESSAGE_KIND_NAMES as readonly unknown[]).includes(v), MESSAGE_KIND_NAMES.join(', ')),
          source: field<string>('source', isString, 'a string'),
          destination: field<string | null>('destination', (v) => v === null || isString(v), 'a string or null'),
          correlationId: field<number>('correlationId', isU32, 'a whole number below 2^32'),
          injected: field<boolean>('injected', (v) => typeof v === 'boolean', 'true or false'),
          ...(tap !== undefined && { tap }),
          payload: encoding === 'utf8' ? utf8.encode(payload) : new Uint8Array(Buffer.from(payload, 'base64')),
        },
      };
    }
    default:
      throw new Error(`${where}: unknown "type" ${JSON.stringify(line.type)} (capture, message, event or end)`);
  }
}
