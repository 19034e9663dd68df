import fc from 'fast-check';
import type { CapturedEvent, CapturedMessage, CaptureInfo, CaptureRecord } from '../../electron/capture/captureRecord';

/** Records and info for the export tests: random where the property tests need it, fixed where a test reads the output. */

export const INFO: CaptureInfo = {
  hub: 'testhost:/tmp/rs/hub.sock',
  sockets: ['/tmp/rs/hub.sock', '@rs-test'],
  host: 'testhost',
  startTime: 1_764_000_000_000_000,
  relayscopeVersion: '0.1.0',
  missed: 0,
  countersAtStart: { time: 1_764_000_000_000_000, messages: 12, bytes: 345, errors: 1, drops: 0, modules: 3 },
  countersAtEnd: null,
};

export const END: Partial<CaptureInfo> = {
  missed: 7,
  countersAtEnd: { time: 1_764_000_100_000_000, messages: 900, bytes: 123_456, errors: 2, drops: 7, modules: 4 },
};

const utf8 = new TextEncoder();

const moduleId = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((id) => Buffer.byteLength(id) <= 64);

/** Binary bytes, UTF-8 text (with a BOM at times), JSON documents, and the empty payload. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 100 }).map((text) => utf8.encode(text)),
  fc.string({ maxLength: 40 }).map((text) => utf8.encode(`\ufeff${text}`)),
  fc.json({ maxDepth: 2 }).map((text) => utf8.encode(text)),
  fc.constant(new Uint8Array(0)),
);

const message: fc.Arbitrary<Omit<CapturedMessage, 'time'>> = fc
  .record({
    kind: fc.constantFrom('unicast', 'broadcast', 'request', 'reply' as const),
    source: moduleId,
    destination: moduleId,
    correlationId: fc.integer({ min: 0, max: 0xffffffff }),
    injected: fc.boolean(),
    payload,
    // A chunk a tap passed on, now and then; its offset up to 2^53 - 1, the most a reader keeps exactly.
    tap: fc.option(fc.record({ direction: fc.constantFrom('to-upstream', 'to-client' as const), offset: fc.maxSafeNat(), partial: fc.boolean() }), { nil: undefined, freq: 4 }),
  })
  .map(({ tap, ...m }) => ({ type: 'message' as const, ...m, destination: m.kind === 'broadcast' ? null : m.destination, ...(tap !== undefined && { tap }) }));

const event: fc.Arbitrary<Omit<CapturedEvent, 'time'>> = fc.record({
  type: fc.constant('event' as const),
  event: fc.constantFrom('join', 'leave', 'error', 'monitor-dropped' as const),
  id: fc.oneof(moduleId, fc.constant('')),
  code: fc.integer({ min: 0, max: 0xffffffff }),
  detail: fc.string({ unit: 'grapheme', maxLength: 60 }),
});

/** Records in time order (ties allowed, as in a hub's µs clock), mostly messages. */
export function recordsOf(minLength: number, maxLength: number): fc.Arbitrary<CaptureRecord[]> {
  return fc.array(fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.oneof({ weight: 5, arbitrary: message }, { weight: 1, arbitrary: event })), { minLength, maxLength }).map((items) => {
    let time = INFO.startTime;
    return items.map(([gap, record]) => ({ ...record, time: (time += gap) }) as CaptureRecord);
  });
}

export const recordList = recordsOf(0, 60);

export async function collect(records: AsyncIterable<CaptureRecord>): Promise<CaptureRecord[]> {
  const out: CaptureRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}

/** Payloads as plain arrays, so a mismatch shows which byte differs and a Buffer equals a Uint8Array of the same bytes. */
export function comparable(records: readonly CaptureRecord[]): unknown[] {
  return records.map((record) => (record.type === 'message' ? { ...record, payload: Array.from(record.payload) } : record));
}
