import { PAYLOAD_ENCODINGS, type PayloadEncoding } from '../format/payloadEncoding';

export type ComposerMode = 'send' | 'request';

/** One message the composer sent, as it was typed, so it can be sent again or edited. */
export interface SentMessage {
  target: string;
  source: string;
  encoding: PayloadEncoding;
  payload: string;
  mode: ComposerMode;
  timeoutMs: number;
}

/**
 * The history holds the newest messages that fit in HISTORY_MAX_BYTES of stored JSON (UTF-8) and
 * HISTORY_MAX_ENTRIES entries, whichever is reached first: a size bound, not only a count, so that a
 * few large payloads cannot make the browser refuse to store it (localStorage holds about 5 MiB
 * per origin, and a refused write leaves the newest entries unsaved).
 */
export const HISTORY_MAX_BYTES = 256 * 1024;
export const HISTORY_MAX_ENTRIES = 200;
export const HISTORY_BOUND_TEXT = `newest first; the last ${HISTORY_MAX_ENTRIES} messages that fit in ${HISTORY_MAX_BYTES / 1024} KiB, kept in this browser`;

const UTF8 = new TextEncoder();

export function storedBytes(message: SentMessage): number {
  return UTF8.encode(JSON.stringify(message)).length;
}

/** The newest entries of `newestFirst` within both bounds. */
function bound(newestFirst: readonly SentMessage[]): SentMessage[] {
  const kept: SentMessage[] = [];
  let bytes = 0;
  for (const message of newestFirst) {
    const size = storedBytes(message);
    if (kept.length === HISTORY_MAX_ENTRIES || bytes + size > HISTORY_MAX_BYTES) break;
    kept.push(message);
    bytes += size;
  }
  return kept;
}

function sameMessage(a: SentMessage, b: SentMessage): boolean {
  return a.target === b.target && a.source === b.source && a.encoding === b.encoding && a.payload === b.payload && a.mode === b.mode;
}

/**
 * `message` put first (an earlier copy of it moved rather than repeated), then the older entries
 * while they fit. A message larger than the whole bound is not kept: `kept` says so.
 */
export function addToHistory(history: readonly SentMessage[], message: SentMessage): { history: SentMessage[]; kept: boolean } {
  if (storedBytes(message) > HISTORY_MAX_BYTES) return { history: [...history], kept: false };
  return { history: bound([message, ...history.filter((entry) => !sameMessage(entry, message))]), kept: true };
}

function isSentMessage(value: unknown): value is SentMessage {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.target === 'string' &&
    typeof entry.source === 'string' &&
    typeof entry.payload === 'string' &&
    PAYLOAD_ENCODINGS.includes(entry.encoding as PayloadEncoding) &&
    (entry.mode === 'send' || entry.mode === 'request') &&
    Number.isInteger(entry.timeoutMs)
  );
}

/** The stored history (newest first), without entries that are not messages and within the bounds; [] for anything unreadable. */
export function parseHistory(stored: string | null): SentMessage[] {
  if (stored === null) return [];
  try {
    const value: unknown = JSON.parse(stored);
    return Array.isArray(value) ? bound(value.filter(isSentMessage)) : [];
  } catch {
    return [];
  }
}
