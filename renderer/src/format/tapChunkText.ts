import type { WireTapChunk } from '@contract';
import { formatCount } from './numberFormat';

// The first line of an HTTP/1.x message as the tap's http framing cuts them (electron/hub/tap/httpFraming.ts).
const REQUEST_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP\/1\.\d$/;
const STATUS_LINE = /^HTTP\/1\.\d \d{3}(?: .*)?$/;

/** The direction of a tapped chunk in people's words: who wrote it, to whom; `short` fits the table's kind column. */
export function tapDirection(tap: WireTapChunk): { short: string; long: string } {
  return tap.direction === 'to-upstream' ? { short: 'to server', long: 'client → server (the client wrote it)' } : { short: 'to client', long: 'server → client (the server wrote it)' };
}

/** Where the chunk sits in its direction's stream: its first and last byte offsets. */
export function tapByteRange(tap: WireTapChunk, size: number): string {
  if (size === 0) return `at byte ${formatCount(tap.offset)} (empty)`;
  return `bytes ${formatCount(tap.offset)}–${formatCount(tap.offset + size - 1)} (${formatCount(size)} bytes)`;
}

/**
 * An HTTP message's summary, its request line (`GET /v1.43/containers/json HTTP/1.1`) or status
 * line (`HTTP/1.1 200 OK`), when the text starts with one; null otherwise. With --tap-framing http
 * every message starts so; a raw chunk that happens to start a request gets its line too.
 */
export function httpSummary(text: string): string | null {
  const end = text.indexOf('\r\n');
  if (end < 0) return null;
  const line = text.slice(0, end);
  return REQUEST_LINE.test(line) || STATUS_LINE.test(line) ? line : null;
}
