/** Text renderings shared by the CLI commands: escaped payloads, hex, clocks, durations, sizes, tables. */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Code points that would corrupt or disguise a terminal line: controls, format (bidi) characters, separators. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u;

const NAMED_ESCAPES: Record<number, string> = { 9: '\\t', 10: '\\n', 13: '\\r', 92: '\\\\' };

/** Returns `bytes` as one line: printable UTF-8 as is, \n \r \t \\ named, every other byte as \xNN. */
export function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const named = NAMED_ESCAPES[b];
    if (named !== undefined) {
      out += named;
      i++;
      continue;
    }
    if (b >= 0x20 && b < 0x7f) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    const sequenceLength = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    const character = sequenceLength > 1 ? decodeCharacter(bytes.subarray(i, i + sequenceLength), sequenceLength) : null;
    if (character !== null && !UNPRINTABLE.test(character)) {
      out += character;
      i += sequenceLength;
    } else {
      out += `\\x${hexByte(b)}`;
      i++;
    }
  }
  return out;
}

/** The single character a complete, valid UTF-8 sequence encodes, or null. */
function decodeCharacter(sequence: Uint8Array, expectedLength: number): string | null {
  if (sequence.length !== expectedLength) return null;
  try {
    return strictUtf8.decode(sequence);
  } catch {
    return null;
  }
}

/** The payload as a string when it is valid UTF-8, else null. */
export function utf8OrNull(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

function hexByte(b: number): string {
  return b.toString(16).padStart(2, '0');
}

/** "01 02 ff" */
export function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, hexByte).join(' ');
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local wall-clock time of `date` as HH:MM:SS.mmm. */
export function clockMillis(date: Date = new Date()): string {
  return `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** Local wall-clock time of a microsecond timestamp (since the Unix epoch) as HH:MM:SS.uuuuuu. */
export function clockMicros(micros: number): string {
  const date = new Date(Math.floor(micros / 1000));
  return `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

/** ISO 8601 UTC time of a microsecond timestamp, keeping all six fractional digits. */
export function isoMicros(micros: number): string {
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  return `${iso.slice(0, 19)}.${String(micros % 1_000_000).padStart(6, '0')}Z`;
}

/** "42s", "3m07s", "2h05m", "3d04h" */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${pad2(seconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${pad2(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d${pad2(hours % 24)}h`;
}

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** "512 B", "1.5 KiB", "12 MiB" */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${BYTE_UNITS[unit]}`;
}

/** "0", "0.5", "12", "1500" — a rate without noise digits. */
export function formatRate(perSecond: number): string {
  if (perSecond === 0) return '0';
  return perSecond < 10 ? perSecond.toFixed(1) : String(Math.round(perSecond));
}

/** Aligns rows under their headers; columns listed in `rightAligned` (by index) are padded on the left. */
export function formatTable(headers: string[], rows: string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}
