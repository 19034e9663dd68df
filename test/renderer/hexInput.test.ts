import { describe, expect, it } from 'vitest';
import { describeHexProblem, parseHex } from '../../renderer/src/composer/hexInput';
import { hexDump, hexPairs } from '../../renderer/src/format/hexDump';

const DEADBEEF = [0xde, 0xad, 0xbe, 0xef];

function bytesOf(input: string): number[] {
  const parsed = parseHex(input);
  if (!parsed.ok) throw new Error(describeHexProblem(parsed.problem, true));
  return [...parsed.bytes];
}

function problemOf(input: string) {
  const parsed = parseHex(input);
  if (parsed.ok) throw new Error(`'${input}' parsed as ${hexPairs(parsed.bytes)}`);
  return parsed.problem;
}

/** Bytes that vary every way a dump line can: all 256 values, '|' and spaces in the ASCII column, lengths that end mid-line. */
function sample(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = i % 7 === 0 ? 0x7c : i % 11 === 0 ? 0x20 : state >>> 24;
  }
  return bytes;
}

describe('hex input', () => {
  it('reads the common notations', () => {
    for (const notation of ['de ad be ef', 'deadbeef', 'DE AD BE EF', 'de:ad:be:ef', '0xde 0xad 0xbe 0xef', '0xde, 0xad, 0xbe, 0xef', '\\xde\\xad\\xbe\\xef', 'dead\nbeef\r\n', '  0XDEAD beef ']) {
      expect(bytesOf(notation), notation).toEqual(DEADBEEF);
    }
  });

  it('reads 0x with one digit as one byte, as a C array writes it', () => {
    expect(bytesOf('0x1, 0x2, 0xff')).toEqual([1, 2, 255]);
  });

  it('ends a \\x escape after two digits, so what follows is the next byte', () => {
    expect(bytesOf('\\xdeadbe\\xef')).toEqual(DEADBEEF);
  });

  it('reads nothing as no bytes', () => {
    expect(bytesOf('')).toEqual([]);
    expect(bytesOf(' \n ')).toEqual([]);
  });

  it('reads back its own hex dump, offsets and ASCII column included, for every length and byte', () => {
    for (const length of [1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 256, 1000]) {
      const bytes = sample(length, length);
      expect(bytesOf(hexDump(bytes)), `${length} bytes`).toEqual([...bytes]);
      expect(bytesOf(hexPairs(bytes)), `${length} bytes as pairs`).toEqual([...bytes]);
    }
    const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(bytesOf(hexDump(everyByte))).toEqual([...everyByte]);
  });

  it('reads a dump pasted with its final offset line, as hexdump -C prints it', () => {
    const bytes = sample(20, 3);
    expect(bytesOf(`${hexDump(bytes)}\n00000014\n`)).toEqual([...bytes]);
  });

  it('reads a dump line whose ASCII column shows bars and hex digits', () => {
    expect(bytesOf('00000000  7c 61 62 7c                                       ||ab||')).toEqual([0x7c, 0x61, 0x62, 0x7c]);
  });

  it('says where an odd run of digits starts', () => {
    expect(problemOf('de ad b ef')).toEqual({ reason: "'b' is one hex digit (each byte is two)", index: 6, line: 1, column: 7 });
    expect(problemOf('dead beefc')).toMatchObject({ reason: "'beefc' has 5 hex digits, an odd number (each byte is two)", column: 6 });
  });

  it('points at a character that is not hex', () => {
    expect(problemOf('de ad\nbe eg')).toEqual({ reason: "'g' is not a hex digit (0-9, a-f)", index: 10, line: 2, column: 5 });
    expect(problemOf('hello')).toMatchObject({ reason: "'h' is not a hex digit (0-9, a-f)", column: 1 });
    expect(problemOf('0x')).toMatchObject({ reason: '0x is not followed by a hex digit', column: 1 });
    expect(problemOf('\\n')).toMatchObject({ column: 1 });
  });

  it('points into a dump line at the bad character of its hex part', () => {
    const dump = hexDump(Uint8Array.from(DEADBEEF));
    const edited = dump.replace('be', 'bz');
    expect(problemOf(`${dump}\n${edited}`)).toMatchObject({ line: 2, column: edited.indexOf('bz') + 2 });
  });

  it('describes a problem by line only when the input has several', () => {
    const problem = problemOf('de ad\nbe eg');
    expect(describeHexProblem(problem, true)).toBe("not hex at line 2, column 5: 'g' is not a hex digit (0-9, a-f)");
    expect(describeHexProblem(problemOf('4g'), false)).toBe("not hex at column 2: 'g' is not a hex digit (0-9, a-f)");
  });
});
