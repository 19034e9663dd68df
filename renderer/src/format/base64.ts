/** Base64 ↔ bytes with the browser's atob/btoa (no Buffer: the renderer has no Node). */

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// A multiple of 3, so each chunk encodes to base64 without padding and the pieces concatenate.
const ENCODE_CHUNK_BYTES = 3 * 8192;

export function bytesToBase64(bytes: Uint8Array): string {
  let base64 = '';
  for (let offset = 0; offset < bytes.length; offset += ENCODE_CHUNK_BYTES) {
    base64 += btoa(String.fromCharCode(...bytes.subarray(offset, offset + ENCODE_CHUNK_BYTES)));
  }
  return base64;
}
