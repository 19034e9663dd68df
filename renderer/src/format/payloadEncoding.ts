import { describeHexProblem, parseHex } from '../composer/hexInput';
import { base64ToBytes, bytesToBase64 } from './base64';
import { hexPairs } from './hexDump';
import { decodeUtf8, encodeUtf8, isValidUtf8 } from './utf8';

export type PayloadEncoding = 'text' | 'hex' | 'json' | 'base64';
export const PAYLOAD_ENCODINGS: readonly PayloadEncoding[] = ['text', 'hex', 'json', 'base64'];

export type EncodeResult = { ok: true; bytes: Uint8Array } | { ok: false; error: string };

/** Turns what the user typed in the composer into payload bytes, or says what is wrong with it. */
export function encodePayload(input: string, encoding: PayloadEncoding): EncodeResult {
  switch (encoding) {
    case 'text':
      return { ok: true, bytes: encodeUtf8(input) };
    case 'json':
      try {
        JSON.parse(input);
      } catch (error) {
        return { ok: false, error: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
      }
      return { ok: true, bytes: encodeUtf8(input) };
    case 'hex':
      return decodeHex(input);
    case 'base64': {
      const compact = input.replace(/\s+/g, '');
      if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
        return { ok: false, error: 'not valid base64 (A–Z, a–z, 0–9, + and /, padded with = to a multiple of 4 characters)' };
      }
      return { ok: true, bytes: base64ToBytes(compact) };
    }
  }
}

function decodeHex(input: string): EncodeResult {
  const parsed = parseHex(input);
  return parsed.ok ? parsed : { ok: false, error: describeHexProblem(parsed.problem, input.includes('\n')) };
}

/** Shows `bytes` in the composer as `encoding` would read them back. */
export function renderPayload(bytes: Uint8Array, encoding: PayloadEncoding): string {
  switch (encoding) {
    case 'text':
    case 'json':
      return decodeUtf8(bytes);
    case 'hex':
      return hexPairs(bytes);
    case 'base64':
      return bytesToBase64(bytes);
  }
}

/** The encoding that shows `bytes` without loss and most readably: JSON, then text, else hex. */
export function suggestEncoding(bytes: Uint8Array): PayloadEncoding {
  if (!isValidUtf8(bytes)) return 'hex';
  const text = decodeUtf8(bytes);
  // Control characters other than tab and line breaks would be invisible in a text field.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return 'hex';
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) return 'json';
  } catch {
    // Not JSON: plain text.
  }
  return 'text';
}
