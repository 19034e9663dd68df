import type { HubEvent, HubSnapshot, ModuleInfo } from '../hub/hubEvents';
import type { WireEvent, WireModule, WireSnapshot } from './contract';
import type { HubBackendDescription } from './HubBackend';

/** A hub event as the contract carries it: plain JSON, the preview in base64. */
export function toWireEvent(event: HubEvent): WireEvent {
  switch (event.type) {
    case 'message':
      return {
        type: 'message',
        seq: event.seq,
        time: event.time,
        kind: event.kind,
        source: event.source,
        destination: event.destination,
        correlationId: event.correlationId,
        size: event.size,
        preview: Buffer.from(event.preview.buffer, event.preview.byteOffset, event.preview.byteLength).toString('base64'),
        injected: event.injected,
      };
    case 'join':
      return { type: 'join', time: event.time, id: event.id, role: event.role, transport: event.transport, listener: event.listener };
    case 'leave':
      return { type: 'leave', time: event.time, id: event.id, role: event.role, reason: event.reason, code: event.code };
    case 'error':
      return { type: 'error', time: event.time, id: event.id, code: event.code, codeName: event.codeName, message: event.message };
    case 'lost':
      return { type: 'lost', time: event.time, count: event.count };
  }
}

export function toWireSnapshot(snapshot: HubSnapshot, description: HubBackendDescription): WireSnapshot {
  return {
    startedAt: snapshot.startedAt,
    now: snapshot.now,
    listeners: [...description.listeners],
    attachedTo: description.attachedTo,
    offline: description.offline ?? null,
    modules: snapshot.modules.map(toWireModule),
    monitors: snapshot.monitors.map(toWireModule),
    totals: { ...snapshot.totals },
    limits: { ...snapshot.limits },
  };
}

function toWireModule(info: ModuleInfo): WireModule {
  const { stats } = info;
  const module: WireModule = {
    id: info.id,
    role: info.role,
    transport: info.transport,
    listener: info.listener,
    connectedAt: info.connectedAt,
    stats: {
      messagesIn: stats.messagesIn,
      bytesIn: stats.bytesIn,
      messagesOut: stats.messagesOut,
      bytesOut: stats.bytesOut,
      errors: stats.errors,
      drops: stats.drops,
      queuedBytes: stats.queuedBytes,
      messagesInPerSecond: stats.messagesInPerSecond,
      messagesOutPerSecond: stats.messagesOutPerSecond,
    },
  };
  if (info.peer !== undefined) module.peer = info.peer;
  if (info.pid !== undefined) module.pid = info.pid;
  if (info.uid !== undefined) module.uid = info.uid;
  if (info.gid !== undefined) module.gid = info.gid;
  if (info.exe !== undefined) module.exe = info.exe;
  if (info.cmdline !== undefined) module.cmdline = info.cmdline;
  if (info.framing !== undefined) module.framing = info.framing;
  return module;
}
