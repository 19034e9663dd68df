import type { MessageKindName, WireEvent, WireModule, WireSnapshot } from '../../electron/bridge/contract';

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

/** A module as snapshots carry it: an idle one on /tmp/x.sock, with the given counters and rates. */
export function wireModule(id: string, stats: Partial<WireModule['stats']> = {}): WireModule {
  return {
    id,
    role: 'module',
    transport: 'unix',
    listener: '/tmp/x.sock',
    connectedAt: 1_000,
    stats: { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0, errors: 0, drops: 0, queuedBytes: 0, messagesInPerSecond: 0, messagesOutPerSecond: 0, ...stats },
  };
}

/** A hub snapshot taken at `now` (ms) holding `modules`, with the given totals and the default limits. */
export function wireSnapshot(now: number, modules: WireModule[], totals: Partial<WireSnapshot['totals']> = {}): WireSnapshot {
  return {
    startedAt: 0,
    now,
    listeners: ['/tmp/x.sock'],
    attachedTo: null,
    modules,
    monitors: [],
    totals: { messages: 0, bytes: 0, errors: 0, drops: 0, slowConsumerDisconnects: 0, connectionsAccepted: 0, connectionsRejected: 0, messagesPerSecond: 0, bytesPerSecond: 0, ...totals },
    limits: { maxConnections: 1024, maxPayload: 16_777_216, queueLimit: 8_388_608, idleTimeoutMs: 30_000, slowConsumerPolicy: 'disconnect' },
  };
}
