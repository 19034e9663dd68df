import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeMessage, encodeTraffic, encodeTrafficRun, FrameError, messagePayloadStart } from '../../electron/protocol/frameCodec';
import {
  messageHeaderLength,
  trafficHeaderLength,
  trafficRunHeaderLength,
  writeMessageHeader,
  writeMessagePrefix,
  writeTrafficHeader,
  writeTrafficRunHeader,
} from '../../electron/protocol/frameWriters';
import { MessageKind, TrafficFlag } from '../../electron/protocol/protocol';

const nonEmptyId = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);
const payload = fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes));
const kind = fc.constantFrom(MessageKind.UNICAST, MessageKind.BROADCAST, MessageKind.REQUEST, MessageKind.REPLY);
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });

function corrBytes(correlationId: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(correlationId);
  return b;
}

/** A frame written by a hot-path writer at an offset inside a larger slab, then the payload after it. */
function written(headerLength: number, payloadBytes: Buffer, write: (slab: Buffer, at: number) => number): Buffer {
  const at = 7;
  const slab = Buffer.alloc(at + headerLength + payloadBytes.length + 5, 0xee);
  const payloadAt = write(slab, at);
  expect(payloadAt).toBe(at + headerLength);
  payloadBytes.copy(slab, payloadAt);
  return slab.subarray(at, at + headerLength + payloadBytes.length);
}

describe('the hot-path frame writers produce exactly the bytes of the reference encoders', () => {
  it('MESSAGE as delivered (source as peer)', () => {
    fc.assert(
      fc.property(kind, u32, nonEmptyId, payload, (k, correlationId, source, body) => {
        const sourceBytes = Buffer.from(source);
        const frame = written(messageHeaderLength(sourceBytes.length), body, (slab, at) => writeMessageHeader(slab, at, k, corrBytes(correlationId), 0, sourceBytes, body.length));
        expect(frame).toEqual(encodeMessage(k, source, body, correlationId));
      }),
    );
  });

  it('TRAFFIC, with and without a destination', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        kind,
        fc.boolean(),
        u32,
        nonEmptyId,
        fc.option(nonEmptyId),
        payload,
        (micros, k, injected, correlationId, source, destination, body) => {
          const halves = { hi: Math.floor(micros / 2 ** 32), lo: micros >>> 0 };
          const flags = injected ? TrafficFlag.INJECTED : 0;
          const sourceBytes = Buffer.from(source);
          const destinationBytes = destination === null ? null : Buffer.from(destination);
          const frame = written(trafficHeaderLength(sourceBytes.length, destinationBytes?.length ?? 0), body, (slab, at) =>
            writeTrafficHeader(slab, at, halves, k, flags, corrBytes(correlationId), 0, sourceBytes, destinationBytes, body.length),
          );
          expect(frame).toEqual(encodeTraffic({ timestampMicros: micros, kind: k, flags, correlationId, source, destination: destination ?? '', payload: body }));
        },
      ),
    );
  });

  it('TRAFFIC_RUN header followed by the MESSAGE frames verbatim', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), nonEmptyId, fc.array(fc.tuple(kind, u32, nonEmptyId, payload), { minLength: 1, maxLength: 5 }), (micros, source, messages) => {
        const frames = messages.map(([k, c, peer, body]) => encodeMessage(k, k === MessageKind.BROADCAST ? '' : peer, body, c));
        const run = Buffer.concat(frames);
        const sourceBytes = Buffer.from(source);
        const frame = written(trafficRunHeaderLength(sourceBytes.length), run, (slab, at) =>
          writeTrafficRunHeader(slab, at, { hi: Math.floor(micros / 2 ** 32), lo: micros >>> 0 }, sourceBytes, frames.length, run.length),
        );
        expect(frame).toEqual(encodeTrafficRun(micros, source, frames));
      }),
    );
  });

  it('the prefix of a MESSAGE rebuilt around a reassembled body', () => {
    const original = encodeMessage(MessageKind.REQUEST, 'B', 'body bytes', 9);
    const body = original.subarray(5);
    const rebuilt = Buffer.alloc(original.length);
    expect(writeMessagePrefix(rebuilt, 0, body.length)).toBe(5);
    body.copy(rebuilt, 5);
    expect(rebuilt).toEqual(original);
  });
});

describe('messagePayloadStart', () => {
  it('finds the payload of every MESSAGE a module can send', () => {
    fc.assert(
      fc.property(kind, u32, nonEmptyId, payload, (k, c, peer, body) => {
        const frame = encodeMessage(k, k === MessageKind.BROADCAST ? '' : peer, body, c);
        expect(frame.subarray(messagePayloadStart(frame, 5, frame.length))).toEqual(body);
      }),
    );
  });

  it.each([
    ['a truncated header', Buffer.from([0, 0, 0, 0]), /needs 7 bytes/],
    ['a destination running past the end', Buffer.from([0, 0, 0, 0, 0, 0, 5, 0x41]), /runs past its end/],
    ['an unknown kind', Buffer.from([4, 0, 0, 0, 0, 0, 0]), /kind 4/],
    ['non-zero flags', Buffer.from([0, 1, 0, 0, 0, 0, 0]), /flags must be 0/],
    ['a broadcast with a destination', Buffer.from([1, 0, 0, 0, 0, 0, 1, 0x41]), /empty destination/],
  ])('refuses %s with MALFORMED_FRAME', (_what, body, message) => {
    expect(() => messagePayloadStart(body, 0, body.length)).toThrow(FrameError);
    expect(() => messagePayloadStart(body, 0, body.length)).toThrow(message);
  });
});
