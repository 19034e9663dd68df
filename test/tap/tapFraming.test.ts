/**
 * Property tests of the tap's display cutters (electron/hub/tap/tapFraming.ts, httpFraming.ts): the
 * bytes of a direction arrive in reads of any size, and the view must not depend on where the reads
 * happened to end. For random streams cut at random points, with random piece limits:
 * - every framing's messages, in order, are exactly the stream (no byte lost, doubled or moved), at
 *   contiguous offsets, none longer than the limit;
 * - for lines, u32be and http the messages are the same whatever the read boundaries;
 * - well-formed u32be frames and HTTP exchanges come out one message per frame, request and response.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageBuffer, tapCutters, type TapCutter } from '../../electron/hub/tap/tapFraming';
import { TAP_FRAMINGS, type TapFramingName } from '../../electron/hub/tap/tapSpec';

interface Cut {
  offset: number;
  payload: Buffer;
  partial: boolean;
}

/** The stream split at `points` (positions, any order, repeats allowed): the reads a socket might deliver. */
function reads(stream: Buffer, points: number[]): Buffer[] {
  const ends = [...new Set(points.map((point) => point % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const end of [...ends, stream.length]) {
    if (end > from) chunks.push(stream.subarray(from, end));
    from = Math.max(from, end);
  }
  return chunks;
}

/** Both directions' cutters for `framing`; each collects what it emits. */
function cutters(framing: TapFramingName, limit: number): { request: TapCutter; response: TapCutter; requests: Cut[]; responses: Cut[] } {
  const requests: Cut[] = [];
  const responses: Cut[] = [];
  // Copied: a cutter may hand out a subarray of the read, as the tap does, and the test keeps it.
  const into = (list: Cut[]) => (offset: number, payload: Buffer, partial: boolean) => list.push({ offset, payload: Buffer.from(payload), partial });
  const { toUpstream, toClient } = tapCutters(framing, new MessageBuffer(into(requests), limit), new MessageBuffer(into(responses), limit));
  return { request: toUpstream, response: toClient, requests, responses };
}

/** One direction through a fresh cutter, read by read, then ended. */
function cutStream(framing: TapFramingName, stream: Buffer, points: number[], limit: number): Cut[] {
  const { request, requests } = cutters(framing, limit);
  for (const chunk of reads(stream, points)) request.push(chunk);
  request.end();
  return requests;
}

const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((array) => Buffer.from(array));
/** Bytes from a small alphabet holding the characters the framings care about, so lines, lengths and heads occur. */
const framingBytes = fc.array(fc.constantFrom(...Buffer.from('\n\r\0\x01\x03ab :GET HTTP/1.1'), 0xff), { maxLength: 600 }).map((array) => Buffer.from(array));
const anyStream = fc.oneof(bytes(600), framingBytes);
const cutPoints = fc.array(fc.nat(), { maxLength: 40 });
/** Small limits make messages go out as pieces; large ones never do here. */
const pieceLimit = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.constant(1 << 20));

const u32beFrame = (body: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, body.length >> 8, body.length & 0xff]), body]);
/** Whole u32be frames, then maybe the first bytes (not all) of one more: a stream cut off mid-frame. */
const u32beStream = fc.tuple(fc.array(bytes(80), { maxLength: 12 }), fc.option(fc.tuple(bytes(80), fc.nat()), { nil: null })).map(([bodies, cutOff]) => {
  const frames = bodies.map(u32beFrame);
  const tail = cutOff === null ? null : u32beFrame(cutOff[0]).subarray(0, 1 + (cutOff[1] % (cutOff[0].length + 3)));
  return { frames, tail, stream: Buffer.concat(tail === null ? frames : [...frames, tail]) };
});

interface HttpExchangeSpec {
  method: 'GET' | 'POST' | 'HEAD' | 'PUT';
  requestBody: { coding: 'length' | 'chunked'; parts: Buffer[] } | null;
  status: 200 | 201 | 204 | 304 | 404;
  responseBody: { coding: 'length' | 'chunked'; parts: Buffer[] };
}

const body = fc.record({ coding: fc.constantFrom('length' as const, 'chunked' as const), parts: fc.array(bytes(50), { minLength: 1, maxLength: 4 }) });
const exchange: fc.Arbitrary<HttpExchangeSpec> = fc.record({
  method: fc.constantFrom('GET' as const, 'POST' as const, 'HEAD' as const, 'PUT' as const),
  requestBody: fc.option(body, { nil: null }),
  status: fc.constantFrom(200 as const, 201 as const, 204 as const, 304 as const, 404 as const),
  responseBody: body,
});

/** Head and body as HTTP/1.1 sends them; a chunked body's chunks are the parts (an empty part is skipped, as 0 ends the body). */
function httpMessage(startLine: string, headers: string[], content: HttpExchangeSpec['requestBody'], withBody: boolean): Buffer {
  if (content === null) return Buffer.from(`${startLine}\r\n${headers.join('')}\r\n`);
  if (content.coding === 'length') {
    const joined = Buffer.concat(content.parts);
    return Buffer.concat([Buffer.from(`${startLine}\r\n${headers.join('')}Content-Length: ${joined.length}\r\n\r\n`), withBody ? joined : Buffer.alloc(0)]);
  }
  const head = Buffer.from(`${startLine}\r\n${headers.join('')}Transfer-Encoding: chunked\r\n\r\n`);
  if (!withBody) return head;
  const chunks = content.parts.filter((part) => part.length > 0).map((part) => Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]));
  return Buffer.concat([head, ...chunks, Buffer.from('0\r\n\r\n')]);
}

/** The requests and the responses of a kept-alive connection, each message as its own buffer. */
function httpConversation(exchanges: HttpExchangeSpec[]): { requests: Buffer[]; responses: Buffer[] } {
  return {
    requests: exchanges.map((e, i) => httpMessage(`${e.method} /item/${i}?q=a%20b HTTP/1.1`, ['Host: x\r\n'], e.requestBody, true)),
    responses: exchanges.map((e) => {
      // 204 and 304 carry no body, and neither does the response to a HEAD (its length headers describe a GET's).
      const noBody = e.status === 204 || e.status === 304;
      return httpMessage(`HTTP/1.1 ${e.status} Whatever`, ['Server: t\r\n'], noBody ? null : e.responseBody, e.method !== 'HEAD');
    }),
  };
}

/** Both directions of a kept-alive HTTP connection through the http cutters: all requests (pipelined), then the responses. */
function cutConversation(conversation: { requests: Buffer[]; responses: Buffer[] }, requestPoints: number[], responsePoints: number[], limit: number) {
  const { request, response, requests, responses } = cutters('http', limit);
  for (const chunk of reads(Buffer.concat(conversation.requests), requestPoints)) request.push(chunk);
  for (const chunk of reads(Buffer.concat(conversation.responses), responsePoints)) response.push(chunk);
  request.end();
  response.end();
  return { requests, responses };
}
const conversations = fc.array(exchange, { minLength: 1, maxLength: 6 }).map(httpConversation);

const payloads = (cuts: Cut[]): Buffer[] => cuts.map((cut) => cut.payload);

describe('tap display cutters (fast-check)', () => {
  for (const framing of TAP_FRAMINGS) {
    it(`${framing}: the messages are the stream, at contiguous offsets, none over the limit, for any reads`, () => {
      fc.assert(
        fc.property(anyStream, cutPoints, pieceLimit, (stream, points, limit) => {
          const cuts = cutStream(framing, stream, points, limit);
          expect(Buffer.concat(payloads(cuts)).equals(stream)).toBe(true);
          let offset = 0;
          for (const cut of cuts) {
            expect(cut.offset).toBe(offset);
            expect(cut.payload.length).toBeGreaterThan(0);
            expect(cut.payload.length).toBeLessThanOrEqual(limit);
            offset += cut.payload.length;
          }
        }),
      );
    });
  }

  for (const framing of ['lines', 'u32be'] as const) {
    it(`${framing}: the same messages whatever the read boundaries`, () => {
      fc.assert(
        fc.property(
          fc.oneof(
            anyStream,
            u32beStream.map((s) => s.stream),
          ),
          cutPoints,
          cutPoints,
          pieceLimit,
          (stream, first, second, limit) => {
            expect(cutStream(framing, stream, second, limit)).toEqual(cutStream(framing, stream, first, limit));
          },
        ),
      );
    });
  }

  it('lines: one message per line, its newline included, and a last line without one partial', () => {
    fc.assert(
      fc.property(framingBytes, cutPoints, (stream, points) => {
        const cuts = cutStream('lines', stream, points, 1 << 20);
        const text = stream.toString('latin1');
        const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
        expect(cuts.map((cut) => cut.payload.toString('latin1'))).toEqual(lines);
        expect(cuts.map((cut) => cut.partial)).toEqual(lines.map((line) => !line.endsWith('\n')));
      }),
    );
  });

  it('u32be: one message per frame, length prefix included; a frame cut off at the end partial', () => {
    fc.assert(
      fc.property(u32beStream, cutPoints, ({ frames, tail, stream }, points) => {
        const cuts = cutStream('u32be', stream, points, 1 << 20);
        const expected = tail === null ? frames : [...frames, tail];
        expect(payloads(cuts)).toEqual(expected);
        expect(cuts.map((cut) => cut.partial)).toEqual(expected.map((_, i) => tail !== null && i === expected.length - 1));
      }),
    );
  });

  it('http: one message per request and per response (Content-Length, chunked, HEAD, 204, 304), for any reads', () => {
    fc.assert(
      fc.property(conversations, cutPoints, cutPoints, (conversation, requestPoints, responsePoints) => {
        const { requests, responses } = cutConversation(conversation, requestPoints, responsePoints, 1 << 20);
        expect(payloads(requests)).toEqual(conversation.requests);
        expect(payloads(responses)).toEqual(conversation.responses);
        expect([...requests, ...responses].every((cut) => !cut.partial)).toBe(true);
      }),
    );
  });

  it('http: the same messages and pieces whatever the read boundaries, also when messages are cut into pieces', () => {
    fc.assert(
      fc.property(conversations, cutPoints, cutPoints, cutPoints, cutPoints, pieceLimit, (conversation, requests1, responses1, requests2, responses2, limit) => {
        expect(cutConversation(conversation, requests2, responses2, limit)).toEqual(cutConversation(conversation, requests1, responses1, limit));
      }),
    );
  });
});
