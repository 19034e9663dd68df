/**
 * Hex as people paste it into the composer: `de ad be ef`, `deadbeef`, `de:ad:be:ef`, `0xde, 0xad`,
 * `\xde\xad`, and the hex dump the detail pane and composer show (format/hexDump.ts, `hexdump -C`'s
 * layout) pasted back whole, offset column and |ascii| column included. Pure: the composer checks
 * each keystroke with it and says where the first problem is.
 */

export interface HexProblem {
  /** Why the input is not hex, without the position. */
  reason: string;
  /** Index in the input of the character at fault. */
  index: number;
  /** 1-based line and column of that character, as an editor counts them. */
  line: number;
  column: number;
}

export type HexParse = { ok: true; bytes: Uint8Array } | { ok: false; problem: HexProblem };

/**
 * A dump line: an offset of 8 to 16 hex digits, blanks, hex bytes, then the ASCII column between bars.
 * The hex part holds no bar, so the first bar opens the ASCII column even when that column shows '|'.
 */
const DUMP_LINE = /^(\s*)([0-9a-fA-F]{8,16})(\s+)([0-9a-fA-F\s]*)\|.*\|\s*$/;
/** `hexdump -C` ends with a line holding only the offset past the last byte. */
const END_OFFSET_LINE = /^\s*([0-9a-fA-F]{8,16})\s*$/;
const SEPARATOR = /[\s,:]/;
const HEX_DIGIT = /[0-9a-fA-F]/;

/** Says where a problem is, as "line L, column C" (line left out for one-line input). */
export function describeHexProblem(problem: HexProblem, multiline: boolean): string {
  const where = multiline ? `line ${problem.line}, column ${problem.column}` : `column ${problem.column}`;
  return `not hex at ${where}: ${problem.reason}`;
}

export function parseHex(input: string): HexParse {
  const out: number[] = [];
  let lineStart = 0;
  let lineNumber = 1;
  let previousWasDump = false;
  while (lineStart <= input.length) {
    const newline = input.indexOf('\n', lineStart);
    const lineEnd = newline < 0 ? input.length : newline;
    const line = input.slice(lineStart, lineEnd);
    const dump = DUMP_LINE.exec(line);
    const endOffset = END_OFFSET_LINE.exec(line);
    let problem: Omit<HexProblem, 'line'> | null;
    if (dump !== null) {
      const hexStart = dump[1].length + dump[2].length + dump[3].length;
      problem = scanTokens(dump[4], lineStart + hexStart, hexStart, out);
      previousWasDump = true;
    } else if (previousWasDump && endOffset !== null && parseInt(endOffset[1], 16) === out.length) {
      problem = null;
    } else {
      problem = scanTokens(line, lineStart, 0, out);
      previousWasDump = false;
    }
    if (problem !== null) return { ok: false, problem: { ...problem, line: lineNumber } };
    if (newline < 0) break;
    lineStart = newline + 1;
    lineNumber++;
  }
  return { ok: true, bytes: Uint8Array.from(out) };
}

/**
 * Reads the hex tokens of `text` (one line, or a dump line's hex part) into `out`. `base` is the
 * index of text[0] in the whole input and `columnBase` its place in its line, for the problem's position.
 */
function scanTokens(text: string, base: number, columnBase: number, out: number[]): Omit<HexProblem, 'line'> | null {
  const at = (i: number, reason: string) => ({ reason, index: base + i, column: columnBase + i + 1 });
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (SEPARATOR.test(ch)) {
      i++;
      continue;
    }
    const backslashX = ch === '\\';
    const prefixed = backslashX || (ch === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X'));
    if (backslashX && text[i + 1] !== 'x') return at(i, "'\\' starts an escape only as \\x followed by two hex digits");
    if (!prefixed && !HEX_DIGIT.test(ch)) return at(i, `'${ch}' is not a hex digit (0-9, a-f)`);
    const digitsStart = prefixed ? i + 2 : i;
    // A \x escape takes at most two digits, as in a Python bytes literal; 0x and bare runs take all.
    const limit = backslashX ? Math.min(text.length, digitsStart + 2) : text.length;
    let end = digitsStart;
    while (end < limit && HEX_DIGIT.test(text[end])) end++;
    const digits = text.slice(digitsStart, end);
    if (digits.length === 0) return at(i, `${text.slice(i, i + 2)} is not followed by a hex digit`);
    // What follows an escape starts the next token; a 0x or bare run must end at a separator or an escape.
    if (!backslashX && end < text.length && !SEPARATOR.test(text[end]) && text[end] !== '\\') return at(end, `'${text[end]}' is not a hex digit (0-9, a-f)`);
    if (prefixed && digits.length === 1) {
      out.push(parseInt(digits, 16));
    } else if (digits.length % 2 !== 0) {
      const count = digits.length === 1 ? 'is one hex digit' : `has ${digits.length} hex digits, an odd number`;
      return at(digitsStart, `'${digits}' ${count} (each byte is two)`);
    } else {
      for (let d = 0; d < digits.length; d += 2) out.push(parseInt(digits.slice(d, d + 2), 16));
    }
    i = end;
  }
  return null;
}
