import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64 } from '../../renderer/src/format/base64';
import { hexDump, hexPairs } from '../../renderer/src/format/hexDump';
import { formatBytes, formatCount } from '../../renderer/src/format/numberFormat';
import { encodePayload, renderPayload, suggestEncoding } from '../../renderer/src/format/payloadEncoding';
import { prettyJson } from '../../renderer/src/format/prettyJson';
import { formatClock, formatDuration, formatMicros } from '../../renderer/src/format/timeFormat';
import { decodeUtf8 } from '../../renderer/src/format/utf8';

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));

describe('hex dump', () => {
  it('lays out offset, two groups of eight hex bytes and ASCII like hexdump -C', () => {
    expect(hexDump(bytes('Hello, world!\n\u0001AB'))).toBe(
      '00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 01 41  |Hello, world!..A|\n' + '00000010  42                                                |B|',
    );
  });

  it('counts the offset in hex across lines', () => {
    const lines = hexDump(new Uint8Array(40)).split('\n');
    expect(lines.map((line) => line.slice(0, 8))).toEqual(['00000000', '00000010', '00000020']);
  });

  it('stops after the byte limit', () => {
    expect(hexDump(new Uint8Array(100), 32).split('\n')).toHaveLength(2);
  });

  it('is empty for an empty payload', () => {
    expect(hexDump(new Uint8Array(0))).toBe('');
  });

  it('writes hex pairs the composer reads back', () => {
    expect(hexPairs(new Uint8Array([0, 15, 255]))).toBe('00 0f ff');
  });
});

describe('pretty JSON', () => {
  it('indents objects and arrays by two spaces', () => {
    expect(prettyJson('{"a":1,"b":[true,null],"c":{}}')).toEqual({ ok: true, text: '{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ],\n  "c": {}\n}' });
  });

  it('keeps numbers beyond double precision exactly as sent', () => {
    const result = prettyJson('{"id":12345678901234567890123,"x":1.10}');
    expect(result.ok && result.text).toBe('{\n  "id": 12345678901234567890123,\n  "x": 1.10\n}');
  });

  it('leaves brackets, commas and escaped quotes inside strings alone', () => {
    const result = prettyJson('["a,b", "{x}", "say \\"hi\\"", ":"]');
    expect(result.ok && result.text).toBe('[\n  "a,b",\n  "{x}",\n  "say \\"hi\\"",\n  ":"\n]');
  });

  it('shows a scalar as it is', () => {
    expect(prettyJson(' 42 ')).toEqual({ ok: true, text: '42' });
  });

  it('says why text is not JSON', () => {
    const result = prettyJson('{"a":');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.length).toBeGreaterThan(0);
  });
});

describe('timestamps', () => {
  const originalTz = process.env.TZ;
  beforeEach(() => {
    process.env.TZ = 'UTC';
  });
  afterEach(() => {
    process.env.TZ = originalTz;
  });

  it('shows microseconds since the epoch as HH:MM:SS.uuuuuu', () => {
    expect(formatMicros(Date.UTC(2024, 0, 2, 13, 4, 5) * 1000 + 6)).toBe('13:04:05.000006');
  });

  it('keeps all six fraction digits', () => {
    expect(formatMicros(Date.UTC(2024, 0, 2, 0, 0, 59) * 1000 + 999_999)).toBe('00:00:59.999999');
  });

  it('uses local time', () => {
    process.env.TZ = 'Asia/Kolkata';
    expect(formatMicros(Date.UTC(2024, 0, 2, 13, 4, 5) * 1000 + 120)).toBe('18:34:05.000120');
    expect(formatClock(Date.UTC(2024, 0, 2, 13, 4, 5))).toBe('18:34:05');
  });

  it('writes durations with hours and days only when needed', () => {
    expect(formatDuration(65_000)).toBe('01:05');
    expect(formatDuration(3_723_000)).toBe('01:02:03');
    expect(formatDuration(2 * 86_400_000 + 5000)).toBe('2d 00:00:05');
  });
});

describe('numbers', () => {
  it('writes byte counts in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MiB');
  });

  it('groups thousands', () => {
    expect(formatCount(1_234_567)).toBe('1,234,567');
  });
});

describe('payload encodings', () => {
  it('round-trips bytes through base64, including long payloads', () => {
    const payload = new Uint8Array(100_000).map((_, i) => i % 251);
    expect(bytesToBase64(payload)).toBe(Buffer.from(payload).toString('base64'));
    expect(base64ToBytes(bytesToBase64(payload))).toEqual(payload);
  });

  it('decodes UTF-8, marking invalid sequences instead of failing', () => {
    expect(decodeUtf8(bytes('grüße'))).toBe('grüße');
    expect(decodeUtf8(new Uint8Array([0x61, 0xff]))).toBe('a\ufffd');
  });

  it('reads hex with spaces, 0x prefixes and line breaks', () => {
    expect(encodePayload('0x48 65\n6c6c 6F', 'hex')).toEqual({ ok: true, bytes: bytes('Hello') });
  });

  it('says what is wrong with bad hex', () => {
    expect(encodePayload('48 6', 'hex')).toEqual({ ok: false, error: "not hex at column 4: '6' is one hex digit (each byte is two)" });
    expect(encodePayload('4g', 'hex')).toEqual({ ok: false, error: "not hex at column 2: 'g' is not a hex digit (0-9, a-f)" });
  });

  it('validates JSON before sending it as typed', () => {
    expect(encodePayload('{"a": 1}', 'json')).toEqual({ ok: true, bytes: bytes('{"a": 1}') });
    expect(encodePayload('{a: 1}', 'json').ok).toBe(false);
  });

  it('validates base64', () => {
    expect(encodePayload('aGk=', 'base64')).toEqual({ ok: true, bytes: bytes('hi') });
    expect(encodePayload('aGk', 'base64').ok).toBe(false);
  });

  it('suggests the most readable lossless encoding for a payload', () => {
    expect(suggestEncoding(bytes('{"a":1}'))).toBe('json');
    expect(suggestEncoding(bytes('plain words'))).toBe('text');
    expect(suggestEncoding(new Uint8Array([1, 2, 200]))).toBe('hex');
  });

  it('renders a payload so its encoding reads it back to the same bytes', () => {
    const payload = new Uint8Array([0, 1, 127, 128, 255]);
    for (const encoding of ['hex', 'base64'] as const) {
      const result = encodePayload(renderPayload(payload, encoding), encoding);
      expect(result).toEqual({ ok: true, bytes: payload });
    }
  });
});
