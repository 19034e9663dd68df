import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  decodeFrames,
  encodeBye,
  encodeError,
  encodeEvent,
  encodeHello,
  encodeInject,
  encodeKick,
  encodeList,
  encodeListReply,
  encodeMessage,
  encodeOk,
  encodePing,
  encodePresence,
  encodeStats,
  encodeStatsReply,
  encodeSubscribePresence,
  encodeTraffic,
  encodeTrafficRun,
  encodeWelcome,
  ErrorCode,
  FrameDecoder,
  FrameError,
  FrameType,
  HelloFlag,
  MessageKind,
  maxFrameLength,
  parseBye,
  parseCorrelationOnly,
  parseError,
  parseEvent,
  parseHello,
  parseInject,
  parseKick,
  parseListReply,
  parseMessage,
  parsePresence,
  parseStatsReply,
  parseSubscribePresence,
  parseTraffic,
  parseTrafficRun,
  parseWelcome,
  TrafficFlag,
  truncateUtf8,
  type Frame,
} from '../../electron/hub';

const hex = (buf: Buffer): string => buf.toString('hex');
const whole = <T>(frame: Buffer, parse: (buf: Buffer, start: number, end: number) => T): T => parse(frame, 5, frame.length);

/** Decodes `chunks` in order with one decoder, returning every frame. */
function decodeAll(chunks: Buffer[], maxLength = 1 << 20): Frame[] {
  const decoder = new FrameDecoder(maxLength);
  return chunks.flatMap((chunk) => decodeFrames(decoder, chunk));
}

/** What the decoder should produce for a concatenation of encoded frames. */
function expectedFrames(encoded: Buffer[]): { type: number; body: string }[] {
  return encoded.map((frame) => ({ type: frame[4], body: hex(frame.subarray(5)) }));
}

const asComparable = (frames: Frame[]): { type: number; body: string }[] => frames.map((f) => ({ type: f.type, body: hex(f.body) }));

function splitAt(buffer: Buffer, points: number[]): Buffer[] {
  const cuts = [...new Set(points.map((p) => Math.min(p, buffer.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let previous = 0;
  for (const cut of cuts) {
    chunks.push(buffer.subarray(previous, cut));
    previous = cut;
  }
  chunks.push(buffer.subarray(previous));
  return chunks;
}

describe('frame byte layouts', () => {
  it('encodes HELLO for module "A" as length 7, type 0x01, version 1, no flags, the ID and an empty token', () => {
    // 4-byte length (type + 6 body bytes = 7), type, version, flags, idLen, 'A', u16 tokenLen.
    expect(hex(encodeHello({ id: 'A' }))).toBe('00000007' + '01' + '01' + '00' + '01' + '41' + '0000');
  });

  it('encodes HELLO flags and a token after the ID', () => {
    expect(hex(encodeHello({ id: 'A', flags: HelloFlag.MONITOR | HelloFlag.TAKEOVER, token: 'tk' }))).toBe('00000009' + '01' + '01' + '03' + '01' + '41' + '0002' + '746b');
  });

  it('encodes a unicast MESSAGE as kind, flags, correlation ID, destination and payload', () => {
    expect(hex(encodeMessage(MessageKind.UNICAST, 'B', 'hi', 5))).toBe('0000000b' + '10' + '00' + '00' + '00000005' + '01' + '42' + '6869');
  });

  it('encodes a broadcast MESSAGE with an empty destination', () => {
    expect(hex(encodeMessage(MessageKind.BROADCAST, '', Buffer.of(0xff)))).toBe('00000009' + '10' + '01' + '00' + '00000000' + '00' + 'ff');
  });

  it('encodes ERROR as code, correlation ID, ref and message', () => {
    expect(hex(encodeError({ code: ErrorCode.NO_SUCH_MODULE, correlationId: 7, ref: 'X', message: 'no' }))).toBe('0000000b' + '03' + '000a' + '00000007' + '01' + '58' + '6e6f');
  });

  it('encodes WELCOME as version, three u32 limits and the ID', () => {
    const frame = encodeWelcome({ version: 1, maxPayload: 1024, queueLimit: 65536, idleTimeoutMs: 300, id: 'A' });
    expect(hex(frame)).toBe('00000010' + '02' + '01' + '00000400' + '00010000' + '0000012c' + '01' + '41');
  });

  it('encodes TRAFFIC as a u64 timestamp, kind, flags, correlation ID, source, destination and payload', () => {
    const frame = encodeTraffic({
      timestampMicros: 0x010203040506,
      kind: MessageKind.REQUEST,
      flags: TrafficFlag.INJECTED,
      correlationId: 9,
      source: 'A',
      destination: 'B',
      payload: Buffer.from('x'),
    });
    expect(hex(frame)).toBe('00000014' + '20' + '0000010203040506' + '02' + '01' + '00000009' + '01' + '41' + '01' + '42' + '78');
  });

  it('encodes PING with its opaque body, OK and LIST with only a correlation ID', () => {
    expect(hex(encodePing(FrameType.PING, Buffer.of(1, 2)))).toBe('00000003' + '04' + '0102');
    expect(hex(encodePing(FrameType.PONG))).toBe('00000001' + '05');
    expect(hex(encodeOk(0x01020304))).toBe('00000005' + '07' + '01020304');
    expect(hex(encodeList(1))).toBe('00000005' + '11' + '00000001');
  });

  it('refuses to encode an ID longer than the 255 bytes a u8 length can describe', () => {
    expect(() => encodeHello({ id: 'x'.repeat(256) })).toThrow(RangeError);
    expect(() => encodeMessage(MessageKind.UNICAST, 'x'.repeat(256), '')).toThrow(RangeError);
  });

  it('truncates an over-long ERROR ref at a character boundary instead of failing', () => {
    const ref = 'é'.repeat(200); // 400 bytes
    const parsed = whole(encodeError({ code: 1, correlationId: 0, ref, message: '' }), parseError);
    expect(Buffer.byteLength(parsed.ref)).toBe(254);
    expect(parsed.ref).toBe(truncateUtf8(ref, 255));
    expect(parsed.ref).not.toContain('\ufffd');
  });
});

describe('encode/parse round trips', () => {
  const id = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => Buffer.byteLength(s) <= 255);
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const u16 = fc.integer({ min: 0, max: 0xffff });
  const u8 = fc.integer({ min: 0, max: 0xff });
  const kind = fc.constantFrom(MessageKind.UNICAST, MessageKind.BROADCAST, MessageKind.REQUEST, MessageKind.REPLY);
  const payload = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
  const text = fc.string({ maxLength: 100 });
  const micros = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

  it('round-trips HELLO', () => {
    fc.assert(
      fc.property(u8, u8, id, fc.string({ maxLength: 50 }), (version, flags, moduleId, token) => {
        const frame = encodeHello({ version, flags, id: moduleId, token });
        expect(frame[4]).toBe(FrameType.HELLO);
        expect(whole(frame, parseHello)).toEqual({ version, flags, id: moduleId, token });
      }),
    );
  });

  it('round-trips WELCOME', () => {
    fc.assert(
      fc.property(u8, u32, u32, u32, id, (version, maxPayload, queueLimit, idleTimeoutMs, moduleId) => {
        const w = { version, maxPayload, queueLimit, idleTimeoutMs, id: moduleId };
        expect(whole(encodeWelcome(w), parseWelcome)).toEqual(w);
      }),
    );
  });

  it('round-trips ERROR and BYE', () => {
    fc.assert(
      fc.property(u16, u32, id, text, (code, correlationId, ref, message) => {
        expect(whole(encodeError({ code, correlationId, ref, message }), parseError)).toEqual({ code, correlationId, ref, message });
        expect(whole(encodeBye(code, message), parseBye)).toEqual({ code, reason: message });
      }),
    );
  });

  it('round-trips the frames that carry only a correlation ID', () => {
    fc.assert(
      fc.property(u32, (correlationId) => {
        for (const [encode, type] of [
          [encodeOk, FrameType.OK],
          [encodeList, FrameType.LIST],
          [encodeStats, FrameType.STATS],
        ] as const) {
          const frame = encode(correlationId);
          expect(frame[4]).toBe(type);
          expect(parseCorrelationOnly(frame, 5, frame.length, 'test')).toBe(correlationId);
        }
      }),
    );
  });

  it('round-trips MESSAGE', () => {
    fc.assert(
      fc.property(kind, id, payload, u32, (k, peer, body, correlationId) => {
        expect(whole(encodeMessage(k, peer, body, correlationId), parseMessage)).toEqual({ kind: k, peer, payload: body, correlationId });
      }),
    );
  });

  it('round-trips LIST_REPLY, STATS_REPLY, SUBSCRIBE_PRESENCE and PRESENCE', () => {
    fc.assert(
      fc.property(u32, fc.array(id, { maxLength: 10 }), text, fc.boolean(), u8, id, (correlationId, ids, json, on, event, moduleId) => {
        expect(whole(encodeListReply(correlationId, ids), parseListReply)).toEqual({ correlationId, ids });
        expect(whole(encodeStatsReply(correlationId, json), parseStatsReply)).toEqual({ correlationId, json });
        expect(whole(encodeSubscribePresence(correlationId, on), parseSubscribePresence)).toEqual({ correlationId, on });
        expect(whole(encodePresence(event, moduleId), parsePresence)).toEqual({ event, id: moduleId });
      }),
    );
  });

  it('round-trips TRAFFIC and INJECT', () => {
    fc.assert(
      fc.property(micros, kind, u8, u32, id, id, payload, micros, (timestampMicros, k, flags, correlationId, source, destination, body, offset) => {
        // A tapped chunk's copy (TrafficFlag.TAPPED) carries its stream offset.
        const traffic = { timestampMicros, kind: k, flags, correlationId, source, destination, ...(flags & TrafficFlag.TAPPED ? { offset } : {}), payload: body };
        expect(whole(encodeTraffic(traffic), parseTraffic)).toEqual(traffic);
        const inject = { kind: k, correlationId, source, destination, payload: body };
        expect(whole(encodeInject(inject), parseInject)).toEqual(inject);
      }),
    );
  });

  it('round-trips TRAFFIC_RUN as one TRAFFIC record per embedded MESSAGE, in order', () => {
    const message = fc.tuple(kind, id, payload, u32);
    fc.assert(
      fc.property(micros, id, fc.array(message, { maxLength: 8 }), (timestampMicros, source, messages) => {
        const frames = messages.map(([k, destination, body, correlationId]) => encodeMessage(k, destination, body, correlationId));
        const run = encodeTrafficRun(timestampMicros, source, frames);
        expect(run[4]).toBe(FrameType.TRAFFIC_RUN);
        expect(whole(run, parseTrafficRun)).toEqual(
          messages.map(([k, destination, body, correlationId]) => ({ timestampMicros, kind: k, flags: 0, correlationId, source, destination, payload: body })),
        );
      }),
    );
  });

  it('round-trips EVENT and KICK', () => {
    fc.assert(
      fc.property(micros, u8, u16, id, text, u32, (timestampMicros, event, code, moduleId, detail, correlationId) => {
        const e = { timestampMicros, event, code, id: moduleId, detail };
        expect(whole(encodeEvent(e), parseEvent)).toEqual(e);
        expect(whole(encodeKick(correlationId, moduleId, detail), parseKick)).toEqual({ correlationId, id: moduleId, reason: detail });
      }),
    );
  });

  it('rejects trailing bytes after a fixed-layout body as MALFORMED_FRAME', () => {
    const frame = Buffer.concat([encodeHello({ id: 'A' }), Buffer.of(0)]);
    frame.writeUInt32BE(frame.length - 4, 0);
    expect(() => whole(frame, parseHello)).toThrow(expect.objectContaining({ name: 'FrameError', code: ErrorCode.MALFORMED_FRAME }));
  });

  it('rejects a truncated body as MALFORMED_FRAME', () => {
    const frame = encodeWelcome({ version: 1, maxPayload: 1, queueLimit: 1, idleTimeoutMs: 1, id: 'abc' });
    expect(() => parseWelcome(frame, 5, frame.length - 1)).toThrow(expect.objectContaining({ name: 'FrameError', code: ErrorCode.MALFORMED_FRAME }));
  });
});

describe('incremental decoding', () => {
  const stream = [
    encodeHello({ id: 'sensor', token: 't' }),
    encodeMessage(MessageKind.UNICAST, 'B', 'hello world', 3),
    encodePing(FrameType.PING),
    encodeMessage(MessageKind.BROADCAST, '', Buffer.alloc(40, 7)),
    encodeError({ code: ErrorCode.PEER_GONE, correlationId: 9, ref: 'B', message: 'gone' }),
  ];
  const buffer = Buffer.concat(stream);

  it('decodes a multi-frame buffer split into two chunks at every possible point', () => {
    for (let i = 0; i <= buffer.length; i++) {
      expect(asComparable(decodeAll([buffer.subarray(0, i), buffer.subarray(i)]))).toEqual(expectedFrames(stream));
    }
  });

  it('decodes a multi-frame buffer split into three chunks at every pair of points', () => {
    for (let i = 0; i <= buffer.length; i++) {
      for (let j = i; j <= buffer.length; j++) {
        const frames = decodeAll([buffer.subarray(0, i), buffer.subarray(i, j), buffer.subarray(j)]);
        expect(frames.length).toBe(stream.length);
      }
    }
    expect(asComparable(decodeAll(splitAt(buffer, [3, 17, 18])))).toEqual(expectedFrames(stream));
  });

  it('decodes the buffer fed one byte at a time and holds back only the bytes of the incomplete frame', () => {
    const decoder = new FrameDecoder(1 << 20);
    const frames: Frame[] = [];
    let frameEnd = stream[0].length;
    let index = 0;
    for (let i = 0; i < buffer.length; i++) {
      frames.push(...decodeFrames(decoder, buffer.subarray(i, i + 1)));
      if (i + 1 === frameEnd) {
        expect(decoder.bufferedBytes).toBe(0);
        index++;
        if (index < stream.length) frameEnd += stream[index].length;
      } else {
        // A complete length prefix is consumed into the body buffer's size, so only body bytes count then.
        const intoFrame = i + 1 - (frameEnd - stream[index].length);
        expect(decoder.bufferedBytes).toBe(intoFrame < 4 ? intoFrame : intoFrame - 4);
      }
    }
    expect(asComparable(frames)).toEqual(expectedFrames(stream));
  });

  it('accepts empty chunks anywhere without losing state', () => {
    const empty = Buffer.alloc(0);
    const chunks = splitAt(buffer, [2, 5, 30]).flatMap((c) => [empty, c, empty]);
    expect(asComparable(decodeAll(chunks))).toEqual(expectedFrames(stream));
  });

  it('gives the visitor offsets into the chunk for whole frames, so it need not copy', () => {
    const decoder = new FrameDecoder(1024);
    const seen: [number, number, number][] = [];
    decoder.push(buffer, (type, buf, start, end) => {
      expect(buf).toBe(buffer);
      seen.push([type, start, end]);
    });
    expect(seen[0]).toEqual([FrameType.HELLO, 5, stream[0].length]);
    expect(seen).toHaveLength(stream.length);
  });
});

describe('length field checks', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('rejects a zero length as MALFORMED_FRAME', () => {
    const decoder = new FrameDecoder(1024);
    expect(() => decoder.push(Buffer.of(0, 0, 0, 0, 1), () => {})).toThrow(expect.objectContaining({ name: 'FrameError', code: ErrorCode.MALFORMED_FRAME }));
  });

  it('rejects a zero length whose prefix arrives split across chunks', () => {
    const decoder = new FrameDecoder(1024);
    decoder.push(Buffer.of(0, 0), () => {});
    expect(() => decoder.push(Buffer.of(0, 0), () => {})).toThrow(FrameError);
  });

  it('accepts a frame exactly at the length limit and rejects one byte more as FRAME_TOO_LARGE', () => {
    const limit = 100;
    const atLimit = Buffer.alloc(4 + limit, 0x55);
    atLimit.writeUInt32BE(limit, 0);
    expect(decodeAll([atLimit], limit)).toHaveLength(1);
    const over = Buffer.alloc(4 + limit + 1, 0x55);
    over.writeUInt32BE(limit + 1, 0);
    let error: unknown;
    try {
      new FrameDecoder(limit).push(over, () => {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FrameError);
    expect((error as FrameError).code).toBe(ErrorCode.FRAME_TOO_LARGE);
  });

  it.each([
    ['whole', [Buffer.of(0xff, 0xff, 0xff, 0xff)]],
    ['split 1+3', [Buffer.of(0xff), Buffer.of(0xff, 0xff, 0xff)]],
    ['split 3+1', [Buffer.of(0xff, 0xff, 0xff), Buffer.of(0xff)]],
  ])('rejects a 0xFFFFFFFF length (%s) from its 4 prefix bytes alone, before allocating a body', (_, chunks) => {
    const allocUnsafe = vi.spyOn(Buffer, 'allocUnsafe');
    const allocUnsafeSlow = vi.spyOn(Buffer, 'allocUnsafeSlow');
    const decoder = new FrameDecoder(maxFrameLength(1024));
    const last = chunks[chunks.length - 1];
    for (const chunk of chunks.slice(0, -1)) decoder.push(chunk, () => {});
    expect(() => decoder.push(last, () => {})).toThrow(expect.objectContaining({ code: ErrorCode.FRAME_TOO_LARGE }));
    const bigAllocations = [...allocUnsafe.mock.calls, ...allocUnsafeSlow.mock.calls].filter(([size]) => size > 1024 * 1024);
    expect(bigAllocations).toEqual([]);
  });

  it('rejects an oversized length that follows a complete frame in the same chunk, after visiting that frame', () => {
    const decoder = new FrameDecoder(64);
    const types: number[] = [];
    const chunk = Buffer.concat([encodePing(FrameType.PING), Buffer.of(0, 0, 1, 0, 0x10)]);
    expect(() =>
      decoder.push(chunk, (type) => {
        types.push(type);
      }),
    ).toThrow(expect.objectContaining({ code: ErrorCode.FRAME_TOO_LARGE }));
    expect(types).toEqual([FrameType.PING]);
  });
});

/** Each frame type a peer may see, with the parser that reads its body. */
const PARSERS: Record<number, (buf: Buffer, start: number, end: number) => unknown> = {
  [FrameType.HELLO]: parseHello,
  [FrameType.WELCOME]: parseWelcome,
  [FrameType.ERROR]: parseError,
  [FrameType.BYE]: parseBye,
  [FrameType.OK]: (b, s, e) => parseCorrelationOnly(b, s, e, 'OK'),
  [FrameType.MESSAGE]: parseMessage,
  [FrameType.LIST]: (b, s, e) => parseCorrelationOnly(b, s, e, 'LIST'),
  [FrameType.LIST_REPLY]: parseListReply,
  [FrameType.STATS]: (b, s, e) => parseCorrelationOnly(b, s, e, 'STATS'),
  [FrameType.STATS_REPLY]: parseStatsReply,
  [FrameType.SUBSCRIBE_PRESENCE]: parseSubscribePresence,
  [FrameType.PRESENCE]: parsePresence,
  [FrameType.TRAFFIC]: parseTraffic,
  [FrameType.TRAFFIC_RUN]: parseTrafficRun,
  [FrameType.EVENT]: parseEvent,
  [FrameType.INJECT]: parseInject,
  [FrameType.KICK]: parseKick,
};

describe('property-based decoding', () => {
  const anyId = fc.string({ maxLength: 12 });
  const anyPayload = fc.uint8Array({ maxLength: 200 });
  const anyFrame = fc.oneof(
    fc.record({ id: anyId, token: fc.string({ maxLength: 8 }), flags: fc.integer({ min: 0, max: 3 }) }).map((h) => encodeHello(h)),
    fc.tuple(fc.integer({ min: 0, max: 3 }), anyId, anyPayload, fc.nat()).map(([k, peer, p, c]) => encodeMessage(k as MessageKind, peer, p, c)),
    fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.nat(), anyId, fc.string({ maxLength: 40 })).map(([code, c, ref, message]) => encodeError({ code, correlationId: c, ref, message })),
    fc.uint8Array({ maxLength: 8 }).map((body) => encodePing(FrameType.PING, body)),
    fc.tuple(fc.nat(), fc.array(anyId, { maxLength: 5 })).map(([c, ids]) => encodeListReply(c, ids)),
    fc
      .tuple(fc.nat(), anyId, anyId, anyPayload)
      .map(([c, source, destination, p]) => encodeTraffic({ timestampMicros: c, kind: MessageKind.UNICAST, flags: 0, correlationId: c, source, destination, payload: Buffer.from(p) })),
  );

  it('decodes any list of frames to the same frames however the bytes are chunked', () => {
    fc.assert(
      fc.property(fc.array(anyFrame, { maxLength: 20 }), fc.array(fc.nat({ max: 5000 }), { maxLength: 30 }), (frames, cuts) => {
        const buffer = Buffer.concat(frames);
        const decoded = decodeAll(splitAt(buffer, cuts));
        expect(asComparable(decoded)).toEqual(expectedFrames(frames));
        for (const frame of decoded) if (frame.type !== FrameType.PING) expect(() => PARSERS[frame.type](frame.body, 0, frame.body.length)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  /** Feeds bytes and parses whatever frames come out; returns the FrameError that stopped it, if any. */
  function decodeAndParse(chunks: Buffer[], maxLength: number): { frames: number; error: FrameError | null } {
    const decoder = new FrameDecoder(maxLength);
    let frames = 0;
    try {
      for (const chunk of chunks) {
        decoder.push(chunk, (type, buf, start, end) => {
          frames++;
          const parse = PARSERS[type];
          if (parse === undefined) return;
          try {
            parse(buf, start, end);
          } catch (err) {
            if (!(err instanceof FrameError)) throw err;
          }
        });
      }
    } catch (err) {
      if (err instanceof FrameError) return { frames, error: err };
      throw err;
    }
    return { frames, error: null };
  }

  it('either decodes arbitrary bytes or throws FrameError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat({ max: 2000 }), { maxLength: 10 }), fc.integer({ min: 1, max: 4096 }), (bytes, cuts, maxLength) => {
        const { error } = decodeAndParse(splitAt(Buffer.from(bytes), cuts), maxLength);
        if (error !== null) expect([ErrorCode.FRAME_TOO_LARGE, ErrorCode.MALFORMED_FRAME]).toContain(error.code);
      }),
      { numRuns: 1000 },
    );
  });

  it('either decodes corrupted valid frames or throws FrameError, never anything else', () => {
    // Random bytes rarely form a plausible length; corrupting real frames reaches the body parsers instead.
    const corrupted = fc
      .tuple(fc.array(anyFrame, { minLength: 1, maxLength: 10 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }))
      .map(([frames, edits]) => {
        const buffer = Buffer.concat(frames);
        for (const [at, value] of edits) buffer[at % buffer.length] = value;
        return buffer;
      });
    fc.assert(
      fc.property(corrupted, fc.array(fc.nat({ max: 3000 }), { maxLength: 10 }), (buffer, cuts) => {
        const { error } = decodeAndParse(splitAt(buffer, cuts), 4096);
        if (error !== null) expect([ErrorCode.FRAME_TOO_LARGE, ErrorCode.MALFORMED_FRAME]).toContain(error.code);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('a visitor that stops the decoder', () => {
  const ping = encodePing(FrameType.PING, Buffer.from('12345678'));
  const welcome = encodeWelcome({ version: 1, maxPayload: 4096, queueLimit: 1 << 20, idleTimeoutMs: 0, id: 'A' });
  const message = encodeMessage(MessageKind.UNICAST, 'B', Buffer.alloc(2000, 0x61), 0);

  it('returns the offset just past the frame it stopped at and leaves the rest for a later push', () => {
    const chunk = Buffer.concat([ping, welcome, message]);
    const decoder = new FrameDecoder(1 << 20);
    const types: number[] = [];
    const end = decoder.push(chunk, (type) => {
      types.push(type);
      return type === FrameType.WELCOME ? false : undefined;
    });
    expect(end).toBe(ping.length + welcome.length);
    expect(types).toEqual([FrameType.PING, FrameType.WELCOME]);
    expect(decoder.bufferedBytes).toBe(0);
    expect(asComparable(decodeFrames(decoder, chunk.subarray(end)))).toEqual(expectedFrames([message]));
  });

  it('returns the offset in the current chunk when the frame it stopped at began in an earlier one', () => {
    const stream = Buffer.concat([welcome, message]);
    const decoder = new FrameDecoder(1 << 20);
    const stop = (): false => false;
    expect(decoder.push(stream.subarray(0, 2), stop)).toBe(2);
    expect(decoder.push(stream.subarray(2, 10), stop)).toBe(8);
    const last = stream.subarray(10);
    expect(decoder.push(last, stop)).toBe(welcome.length - 10);
    expect(asComparable(decodeFrames(decoder, last.subarray(welcome.length - 10)))).toEqual(expectedFrames([message]));
  });

  it('returns the chunk length when it was not stopped, also while it holds back part of a frame', () => {
    const decoder = new FrameDecoder(1 << 20);
    const chunk = Buffer.concat([ping, message.subarray(0, 100)]);
    expect(decoder.push(chunk, () => {})).toBe(chunk.length);
    expect(decoder.bufferedBytes).toBe(96);
  });

  it('checks the frames after the stop against the limit in force when they are pushed again', () => {
    // A client reads WELCOME with a small limit and the rest of the stream with the hub's announced one.
    const chunk = Buffer.concat([welcome, message]);
    const decoder = new FrameDecoder(welcome.length);
    const end = decoder.push(chunk, () => false);
    expect(end).toBe(welcome.length);
    decoder.maxFrameLength = message.length;
    expect(decodeFrames(decoder, chunk.subarray(end))).toHaveLength(1);
  });
});
