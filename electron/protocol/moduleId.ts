/**
 * Module ID rules (docs/PROTOCOL.md, "Module IDs"):
 * - valid UTF-8, 1 to 64 bytes;
 * - no whitespace, no control characters (U+0000–U+001F, U+007F–U+009F), no U+FFFD;
 * - must not start with '$': that prefix names the hub's own endpoints ($hub, $monitor…).
 * IDs are compared byte for byte: "Sensor" and "sensor" are two modules.
 */
export const MAX_MODULE_ID_BYTES = 64;
export const RESERVED_PREFIX = '$';

const FORBIDDEN = /[\s\u0000-\u001f\u007f-\u009f\ufffd]/u;

/** Returns why `id` is not a valid module ID, or null when it is. */
export function moduleIdProblem(id: string, options: { allowReserved?: boolean } = {}): string | null {
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes === 0) return 'module ID is empty';
  if (bytes > MAX_MODULE_ID_BYTES) return `module ID is ${bytes} bytes long; the limit is ${MAX_MODULE_ID_BYTES}`;
  if (FORBIDDEN.test(id)) return 'module ID contains whitespace, a control character or invalid UTF-8';
  if (!options.allowReserved && id.startsWith(RESERVED_PREFIX)) return `module IDs starting with '${RESERVED_PREFIX}' are reserved for the hub`;
  return null;
}

/** Decodes ID bytes from the wire; returns null when they are not valid UTF-8. */
export function decodeModuleId(buf: Buffer, start: number, end: number): string | null {
  const id = buf.toString('utf8', start, end);
  // Invalid sequences decode to U+FFFD, which the rules forbid, so a lossy decode is detected here.
  return id.includes('\ufffd') ? null : id;
}
