import type { Transport } from '../HubConnection';
import type { PeerIdentity } from '../peerIdentity';

/** A module as presence carries it: its ID, when it was claimed, and what LIST and STATS show of it. */
export interface BusModule extends Pick<PeerIdentity, 'pid' | 'uid' | 'gid' | 'exe' | 'cmdline'> {
  id: string;
  /** When its hub registered it, milliseconds since the Unix epoch. */
  claimedAt: number;
  transport: Transport;
  listener: string;
  peer?: string;
}

/** What hubs publish on rs.<bus>.presence, one JSON object per NATS message (docs/FEDERATION.md, "Presence"). */
export type PresenceMessage =
  | { op: 'hello'; hub: string; epoch: string }
  | { op: 'announce'; hub: string; epoch: string; modules: BusModule[] }
  | { op: 'join'; hub: string; epoch: string; module: BusModule }
  | { op: 'leave'; hub: string; epoch: string; id: string; reason: string; code: number }
  | { op: 'beat'; hub: string; epoch: string; count: number }
  | { op: 'bye'; hub: string; epoch: string };

export class PresenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PresenceError';
  }
}

const TRANSPORTS: ReadonlySet<string> = new Set<Transport>(['unix', 'abstract', 'tcp', 'stream']);

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** A module entry, checked field by field: a bad one makes the whole message refused. */
function busModule(value: unknown): BusModule {
  if (typeof value !== 'object' || value === null) throw new PresenceError('a module entry is not an object');
  const v = value as Record<string, unknown>;
  if (!isString(v.id) || v.id === '') throw new PresenceError('a module entry has no id');
  if (!isCount(v.claimedAt)) throw new PresenceError(`module "${v.id}" has no claimedAt`);
  if (!isString(v.transport) || !TRANSPORTS.has(v.transport)) throw new PresenceError(`module "${v.id}" has an unknown transport`);
  if (!isString(v.listener)) throw new PresenceError(`module "${v.id}" has no listener`);
  const module: BusModule = { id: v.id, claimedAt: v.claimedAt, transport: v.transport as Transport, listener: v.listener };
  if (isString(v.peer)) module.peer = v.peer;
  if (isCount(v.pid)) module.pid = v.pid;
  if (isCount(v.uid)) module.uid = v.uid;
  if (isCount(v.gid)) module.gid = v.gid;
  if (isString(v.exe)) module.exe = v.exe;
  if (Array.isArray(v.cmdline) && v.cmdline.every(isString)) module.cmdline = v.cmdline;
  return module;
}

/** Reads one presence message; throws PresenceError saying what is wrong with it. */
export function parsePresenceMessage(data: Uint8Array): PresenceMessage {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    throw new PresenceError('a presence message is not JSON');
  }
  if (typeof value !== 'object' || value === null) throw new PresenceError('a presence message is not an object');
  const v = value as Record<string, unknown>;
  if (!isString(v.hub) || !isString(v.epoch)) throw new PresenceError('a presence message has no hub or epoch');
  const { hub, epoch } = v;
  switch (v.op) {
    case 'hello':
    case 'bye':
      return { op: v.op, hub, epoch };
    case 'announce':
      if (!Array.isArray(v.modules)) throw new PresenceError(`announce from ${hub} has no module list`);
      return { op: 'announce', hub, epoch, modules: v.modules.map(busModule) };
    case 'join':
      return { op: 'join', hub, epoch, module: busModule(v.module) };
    case 'leave':
      if (!isString(v.id) || !isString(v.reason) || !isCount(v.code)) throw new PresenceError(`leave from ${hub} lacks id, reason or code`);
      return { op: 'leave', hub, epoch, id: v.id, reason: v.reason, code: v.code };
    case 'beat':
      if (!isCount(v.count)) throw new PresenceError(`beat from ${hub} has no count`);
      return { op: 'beat', hub, epoch, count: v.count };
    default:
      throw new PresenceError(`unknown presence op ${JSON.stringify(v.op)} from ${hub}`);
  }
}

export function encodePresenceMessage(message: PresenceMessage): Uint8Array {
  return Buffer.from(JSON.stringify(message), 'utf8');
}
