import type { MessageKindName, WireEvent } from '../../electron/bridge/contract';

let nextSeq = 1;

/** A message event as the backend pushes it; the preview is the payload's first 64 bytes in base64. */
export function messageEvent(fields: { source: string; destination?: string | null; kind?: MessageKindName; payload?: string; time?: number; size?: number }): WireEvent {
  const kind = fields.kind ?? (fields.destination === null ? 'broadcast' : 'unicast');
  const payloadBytes = Buffer.from(fields.payload ?? 'hello');
  return {
    type: 'message',
    seq: nextSeq++,
    time: fields.time ?? 1_700_000_000_000_000,
    kind,
    source: fields.source,
    destination: kind === 'broadcast' ? null : (fields.destination ?? 'B'),
    correlationId: 0,
    size: fields.size ?? payloadBytes.length,
    preview: payloadBytes.subarray(0, 64).toString('base64'),
    injected: false,
  };
}
