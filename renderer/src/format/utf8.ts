const lenientDecoder = new TextDecoder('utf-8');
const strictDecoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();
const SHORT_ASCII_LIMIT = 256;

/** Decodes UTF-8, showing invalid sequences as U+FFFD rather than failing. */
export function decodeUtf8(bytes: Uint8Array): string {
  // Most previews are short ASCII; skipping the decoder for them keeps filtering 200,000 rows quick.
  if (bytes.length > SHORT_ASCII_LIMIT) return lenientDecoder.decode(bytes);
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  return ascii ? String.fromCharCode(...bytes) : lenientDecoder.decode(bytes);
}

export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    strictDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}
