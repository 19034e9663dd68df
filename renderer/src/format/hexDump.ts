const BYTES_PER_LINE = 16;

function isPrintableAscii(byte: number): boolean {
  return byte >= 0x20 && byte < 0x7f;
}

/**
 * The `hexdump -C` layout: an 8-digit hex offset, 16 bytes in two groups of 8, and the same bytes as
 * ASCII between bars ('.' for anything not printable). Stops after `maxBytes` (whole lines).
 */
export function hexDump(bytes: Uint8Array, maxBytes = Infinity): string {
  const end = Math.min(bytes.length, maxBytes);
  const lines: string[] = [];
  for (let lineStart = 0; lineStart < end; lineStart += BYTES_PER_LINE) {
    let hex = '';
    let ascii = '';
    for (let i = 0; i < BYTES_PER_LINE; i++) {
      const index = lineStart + i;
      if (i === 8) hex += ' ';
      if (index < end) {
        const byte = bytes[index];
        hex += byte.toString(16).padStart(2, '0') + ' ';
        ascii += isPrintableAscii(byte) ? String.fromCharCode(byte) : '.';
      } else {
        hex += '   ';
      }
    }
    lines.push(`${lineStart.toString(16).padStart(8, '0')}  ${hex} |${ascii}|`);
  }
  return lines.join('\n');
}

/** Bytes as space-separated hex pairs, the form the composer's hex encoding accepts. */
export function hexPairs(bytes: Uint8Array): string {
  const pairs: string[] = new Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) pairs[i] = bytes[i].toString(16).padStart(2, '0');
  return pairs.join(' ');
}
