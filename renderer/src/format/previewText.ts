import { hexPairs } from './hexDump';
import { isValidUtf8 } from './utf8';

/**
 * A one-line rendering of payload bytes for the traffic table: UTF-8 text with control characters
 * shown as '·', or hex pairs when the bytes are not text.
 */
export function previewText(bytes: Uint8Array): string {
  if (!isValidUtf8(bytes)) {
    // A preview is cut at 64 bytes, possibly inside a character: retry without a trailing partial one.
    const trimmed = trimPartialCharacter(bytes);
    if (trimmed === null) return hexPairs(bytes);
    bytes = trimmed;
  }
  const text = new TextDecoder().decode(bytes);
  let controls = 0;
  for (const char of text) if (char < ' ' && char !== '\n' && char !== '\t' && char !== '\r') controls++;
  if (controls > text.length / 4) return hexPairs(bytes);
  return text.replace(/[\u0000-\u001f\u007f]/g, '·');
}

function trimPartialCharacter(bytes: Uint8Array): Uint8Array | null {
  for (let cut = 1; cut <= 3 && cut < bytes.length; cut++) {
    const shorter = bytes.subarray(0, bytes.length - cut);
    if (isValidUtf8(shorter)) return shorter;
  }
  return null;
}
