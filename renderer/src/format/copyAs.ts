import { injectSourceProblem } from '@contract';
import { bytesToBase64 } from './base64';
import { hexPairs } from './hexDump';
import { shellQuote } from './shellQuote';

/** What the detail pane offers under "copy as", in menu order. */
export const COPY_FORMATS = ['cli', 'c', 'python', 'hex', 'base64', 'json'] as const;
export type CopyFormat = (typeof COPY_FORMATS)[number];

export const COPY_FORMAT_LABELS: Record<CopyFormat, string> = {
  cli: 'CLI command',
  c: 'C byte array',
  python: 'Python bytes',
  hex: 'hex',
  base64: 'base64',
  json: 'JSON',
};

/** The message being copied: its route and kind, as the traffic row has them. */
export interface CopiedMessage {
  kind: 'unicast' | 'broadcast' | 'request' | 'reply' | string;
  source: string;
  destination: string | null;
}

/** The text to copy, or why this message has none in that format. */
export type CopyResult = { ok: true; text: string; note: string | null } | { ok: false; reason: string };

/**
 * An argument is limited to 128 KiB on Linux (MAX_ARG_STRLEN), so a payload whose hex would come
 * near it goes on standard input through a here-document, which has no such limit.
 */
const INLINE_HEX_BYTES = 16 * 1024;
const HEX_LINE_BYTES = 32;
const C_LINE_BYTES = 12;

export function copyAs(format: CopyFormat, message: CopiedMessage, bytes: Uint8Array): CopyResult {
  switch (format) {
    case 'cli':
      return cliCommand(message, bytes);
    case 'c':
      return { ok: true, text: cByteArray(bytes), note: null };
    case 'python':
      return { ok: true, text: pythonBytes(bytes), note: null };
    case 'hex':
      return { ok: true, text: hexPairs(bytes), note: null };
    case 'base64':
      return { ok: true, text: bytesToBase64(bytes), note: null };
    case 'json':
      return jsonText(bytes);
  }
}

/**
 * The `relayscope` command that sends these bytes on the same route: `send` for a unicast (and for
 * a reply, which the CLI cannot send as such), `broadcast`, `request`. The payload goes as --hex so
 * any bytes survive the shell and the terminal. Refused for a source the CLI cannot register as.
 */
export function cliCommand(message: CopiedMessage, bytes: Uint8Array): CopyResult {
  const sourceProblem = message.source === '' ? 'the message has no source' : injectSourceProblem(message.source);
  if (sourceProblem !== null) return { ok: false, reason: `the CLI cannot send as "${message.source}": ${sourceProblem.replace(/^source: /, '')}` };
  const args = ['relayscope'];
  if (message.kind === 'broadcast' || message.destination === null) {
    args.push('broadcast', '--as', message.source);
  } else {
    args.push(message.kind === 'request' ? 'request' : 'send', '--as', message.source, '--to', message.destination);
  }
  args.push('--hex');
  const note = message.kind === 'reply' ? 'as a unicast: the CLI has no command that sends a reply' : null;
  const prefix = args.map(shellQuote).join(' ');
  if (bytes.length === 0) return { ok: true, text: `${prefix} ''`, note };
  if (bytes.length <= INLINE_HEX_BYTES) return { ok: true, text: `${prefix} ${hexDigits(bytes, 0, bytes.length)}`, note };
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += HEX_LINE_BYTES) lines.push(hexDigits(bytes, offset, Math.min(bytes.length, offset + HEX_LINE_BYTES)));
  return { ok: true, text: `${prefix} <<'EOF'\n${lines.join('\n')}\nEOF`, note };
}

function hexDigits(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i++) text += bytes[i].toString(16).padStart(2, '0');
  return text;
}

/** `const uint8_t message[N] = { 0x.., ... };` (twelve bytes a line) and its length as `message_len`. */
export function cByteArray(bytes: Uint8Array): string {
  // A zero-length array is not standard C; an empty payload is a one-byte array with length 0.
  if (bytes.length === 0) return 'const uint8_t message[1] = {0};\nconst size_t message_len = 0;';
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += C_LINE_BYTES) {
    const line: string[] = [];
    for (let i = offset; i < Math.min(bytes.length, offset + C_LINE_BYTES); i++) line.push(`0x${bytes[i].toString(16).padStart(2, '0')}`);
    lines.push(`    ${line.join(', ')},`);
  }
  return `const uint8_t message[${bytes.length}] = {\n${lines.join('\n')}\n};\nconst size_t message_len = ${bytes.length};`;
}

/** A Python bytes literal: printable ASCII as itself, the rest escaped, so it reads like the payload. */
export function pythonBytes(bytes: Uint8Array): string {
  let body = '';
  for (const byte of bytes) {
    if (byte === 0x5c) body += '\\\\';
    else if (byte === 0x27) body += "\\'";
    else if (byte === 0x0a) body += '\\n';
    else if (byte === 0x0d) body += '\\r';
    else if (byte === 0x09) body += '\\t';
    else if (byte >= 0x20 && byte < 0x7f) body += String.fromCharCode(byte);
    else body += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `b'${body}'`;
}

/** The payload parsed as JSON and written out again, indented; refused when it is not JSON. */
export function jsonText(bytes: Uint8Array): CopyResult {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, reason: 'the payload is not UTF-8 text, so not JSON' };
  }
  try {
    return { ok: true, text: JSON.stringify(JSON.parse(text), null, 2), note: null };
  } catch (error) {
    return { ok: false, reason: `the payload is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}
