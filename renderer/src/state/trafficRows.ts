import type { WireEvent, WireTapChunk } from '@contract';
import { base64ToBytes } from '../format/base64';
import { decodeUtf8 } from '../format/utf8';
import { type RowKind, rowKindCode } from './rowKinds';

/** The backend sends at most this many preview bytes per message (contract: "at most 64"). */
export const PREVIEW_BYTES = 64;
/** The source shown for ERROR events: the hub sends every ERROR frame. */
export const HUB_SOURCE = '$hub';

/** One row of the traffic view, materialized from the store's columns for display. */
export interface TrafficRow {
  /** Position since the store was created; never reused, so it identifies a row across evictions. */
  rowNumber: number;
  /** The backend's message sequence number (for the payload channel); null for error and system rows. */
  seq: number | null;
  timeMicros: number;
  kind: RowKind;
  /** Empty when the row has no source (events lost). */
  source: string;
  /** null for a broadcast and for rows about a single module. */
  destination: string | null;
  correlationId: number;
  size: number;
  injected: boolean;
  /** The first bytes of the payload as the backend sent them. */
  preview: Uint8Array;
  /** What an error or system row says; null for messages. */
  note: string | null;
  /** Set for a chunk a tap passed on: its direction, its offset in that direction's stream. */
  tap?: WireTapChunk;
}

/** A row to store: what an event says, before its module IDs are interned. */
export interface RowInput {
  /** 0 for error and system rows. */
  seq: number;
  timeMicros: number;
  kindCode: number;
  source: string | null;
  destination: string | null;
  correlationId: number;
  size: number;
  injected: boolean;
  preview: Uint8Array;
  note: string | null;
  tap?: WireTapChunk;
}

export function systemRow(timeMicros: number, source: string | null, note: string, kind: RowKind = 'system', destination: string | null = null): RowInput {
  return { seq: 0, timeMicros, kindCode: rowKindCode(kind), source, destination, correlationId: 0, size: 0, injected: false, preview: new Uint8Array(0), note };
}

/** The row an event from the backend becomes; a malformed or unknown event becomes a row saying so. */
export function rowFromEvent(event: WireEvent): RowInput {
  try {
    switch (event.type) {
      case 'message':
        return {
          seq: event.seq,
          timeMicros: event.time,
          kindCode: rowKindCode(event.kind),
          source: event.source,
          destination: event.destination,
          correlationId: event.correlationId,
          size: event.size,
          injected: event.injected,
          preview: base64ToBytes(event.preview),
          note: null,
          ...(event.tap !== undefined && { tap: event.tap }),
        };
      case 'join':
        return systemRow(event.time, event.id, `joined (${event.transport} ${event.listener})`);
      case 'leave':
        return systemRow(event.time, event.id, `left: ${event.reason}${event.code !== 0 ? ` (code ${event.code})` : ''}`);
      case 'error':
        return systemRow(event.time, HUB_SOURCE, `${event.codeName}: ${event.message}`, 'error', event.id === '' ? null : event.id);
      case 'lost':
        return systemRow(event.time, null, `${event.count} events skipped by the backend's event stream to keep up (the relay itself lost nothing)`);
      default:
        return systemRow(Date.now() * 1000, null, `unrecognized event from the backend: ${JSON.stringify(event).slice(0, 500)}`);
    }
  } catch (error) {
    // A malformed event becomes a visible row rather than breaking the whole batch.
    return systemRow(Date.now() * 1000, null, `malformed event from the backend (${error instanceof Error ? error.message : String(error)}): ${JSON.stringify(event).slice(0, 500)}`);
  }
}

/** The text of a row as the traffic view's preview column and the text filter see it. */
export function rowText(row: TrafficRow): string {
  return row.note ?? decodeUtf8(row.preview);
}
