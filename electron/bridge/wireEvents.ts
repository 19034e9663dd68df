import type { HubEvent, HubSnapshot, ModuleInfo } from '../hub/hubEvents';
import type { WireEvent, WireModule, WireSnapshot } from './contract';
import type { HubBackendDescription } from './HubBackend';
import { cachedUserName } from './userNames';

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
        ...(event.tap !== undefined && { tap: { ...event.tap } }),
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
  const federation = snapshot.federation;
  return {
    startedAt: snapshot.startedAt,
    now: snapshot.now,
    listeners: [...description.listeners],
    attachedTo: description.attachedTo,
    offline: description.offline ?? null,
    federation: federation === undefined ? null : { bus: federation.bus, hub: federation.hub, connected: federation.connected, status: federation.status },
    modules: snapshot.modules.map((info) => toWireModule(info, federation?.hub)),
    monitors: snapshot.monitors.map((info) => toWireModule(info, federation?.hub)),
    totals: { ...snapshot.totals },
    limits: { ...snapshot.limits },
  };
}

/** `localHub`: this hub's name on its bus, when federated; a module of another hub has no user name here. */
function toWireModule(info: ModuleInfo, localHub: string | undefined): WireModule {
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
  if (info.tap !== undefined) module.tap = info.tap;
  if (info.tapUpstream !== undefined) module.tapUpstream = info.tapUpstream;
  if (info.hub !== undefined) module.hub = info.hub;
  // A uid read on another host of the bus names nobody in this machine's /etc/passwd.
  const user = info.uid !== undefined && (info.hub === undefined || info.hub === localHub) ? cachedUserName(info.uid) : null;
  if (user !== null) module.user = user;
  return module;
}
