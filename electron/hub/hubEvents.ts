import type { MessageKindName } from '../protocol/protocol';
import type { TapChunk } from '../protocol/tapChunk';
import type { ConnectionRole, ModuleStats, Transport } from './HubConnection';
import type { PeerIdentity } from './peerIdentity';

export type { TapChunk } from '../protocol/tapChunk';

/** Bytes of payload carried inline in a message event; the rest is fetched with RelayHub.payload(seq). */
export const PREVIEW_BYTES = 64;

export interface MessageEvent {
  type: 'message';
  /** Hub-wide sequence number; pass it to RelayHub.payload() for the full payload. */
  seq: number;
  /** Microseconds since the Unix epoch at which the hub read the message. */
  time: number;
  kind: MessageKindName;
  source: string;
  /** null for a broadcast */
  destination: string | null;
  correlationId: number;
  size: number;
  preview: Uint8Array;
  /** true when the message was injected by a monitor or the app rather than sent by `source` */
  injected: boolean;
  /** Set for a chunk a tap passed on between two programs (electron/hub/tap/). */
  tap?: TapChunk;
}

/** A join carries the peer process, as in ModuleInfo. */
export interface JoinEvent extends PeerIdentity {
  type: 'join';
  time: number;
  id: string;
  role: Exclude<ConnectionRole, 'pending' | 'closed'>;
  transport: Transport;
  listener: string;
  peer?: string;
}

export interface LeaveEvent {
  type: 'leave';
  time: number;
  id: string;
  role: Exclude<ConnectionRole, 'pending' | 'closed'>;
  reason: string;
  /** ErrorCode that ended the connection, 0 for an ordinary close */
  code: number;
}

export interface ErrorEvent {
  type: 'error';
  time: number;
  /** the connection the hub sent the ERROR to ('' before HELLO) */
  id: string;
  code: number;
  codeName: string;
  message: string;
}

/** The in-process stream fell behind and skipped this many events (the relay itself lost nothing). */
export interface LostEvent {
  type: 'lost';
  time: number;
  count: number;
}

export type HubEvent = MessageEvent | JoinEvent | LeaveEvent | ErrorEvent | LostEvent;

/**
 * A connection as LIST and STATS show it. Its PeerIdentity: for a Unix socket the peer process
 * (SO_PEERCRED at accept) and its executable and arguments from /proc, where the hub could read
 * them (peerProcess.ts); for a plain listener's connection the framing its program speaks.
 */
export interface ModuleInfo extends PeerIdentity {
  id: string;
  role: 'module' | 'monitor';
  transport: Transport;
  listener: string;
  peer?: string;
  /** milliseconds since the Unix epoch */
  connectedAt: number;
  /** The hub the module is connected to, when this hub is federated (docs/FEDERATION.md). */
  hub?: string;
  stats: ModuleStats & { queuedBytes: number; messagesInPerSecond: number; messagesOutPerSecond: number };
}

export interface HubTotals {
  messages: number;
  bytes: number;
  errors: number;
  drops: number;
  slowConsumerDisconnects: number;
  /** Connections closed because the hub-wide memory budget was used up (MemoryBudget). */
  budgetDisconnects: number;
  /** What the hub held for its connections at the last sweep: partial frames, queued output, request records. */
  memoryBytes: number;
  connectionsAccepted: number;
  connectionsRejected: number;
  /** Of those, the ones the access policy refused (--allow-uid, --allow-gid, --owner). */
  connectionsNotPermitted: number;
  messagesPerSecond: number;
  bytesPerSecond: number;
}

export interface HubLimits {
  maxConnections: number;
  maxPayload: number;
  queueLimit: number;
  idleTimeoutMs: number;
  slowConsumerPolicy: 'disconnect' | 'drop';
  /** Hub-wide bytes for partial frames, queued output and request records. */
  memoryBudget: number;
}

export interface HubSnapshot {
  /** milliseconds since the Unix epoch */
  startedAt: number;
  now: number;
  modules: ModuleInfo[];
  monitors: ModuleInfo[];
  totals: HubTotals;
  limits: HubLimits;
  /** Set when the hub is federated (docs/FEDERATION.md). */
  federation?: FederationStatus;
}

export interface FederationStatus {
  bus: string;
  /** This hub's name on the bus. */
  hub: string;
  url: string;
  connected: boolean;
  /** "federated", or why not (NATS unreachable, connection lost: reconnecting). */
  status: string;
  /** The other hubs this one knows, with their module counts. */
  hubs: Array<{ name: string; modules: number }>;
}
