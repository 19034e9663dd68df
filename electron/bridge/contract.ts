/**
 * The one contract between the UI and the hub backend, whatever carries it: Electron IPC (preload →
 * ipcMain) or the browser mode's WebSocket. Every channel is listed here with its argument and
 * result types and a validator for what arrives from the other side.
 *
 * No imports and no Node or DOM types: the renderer (DOM-only typings) and the main process (Node
 * typings) both compile this file. Binary payloads cross as base64 strings.
 */

export const CONTRACT_VERSION = 1;

export type MessageKindName = 'unicast' | 'broadcast' | 'request' | 'reply';
export const MESSAGE_KINDS: readonly MessageKindName[] = ['unicast', 'broadcast', 'request', 'reply'];

export interface WireModuleStats {
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
  errors: number;
  drops: number;
  queuedBytes: number;
  messagesInPerSecond: number;
  messagesOutPerSecond: number;
}

export interface WireModule {
  id: string;
  role: 'module' | 'monitor';
  transport: string;
  listener: string;
  peer?: string;
  /** ms since the Unix epoch */
  connectedAt: number;
  stats: WireModuleStats;
}

export interface WireTotals {
  messages: number;
  bytes: number;
  errors: number;
  drops: number;
  slowConsumerDisconnects: number;
  connectionsAccepted: number;
  connectionsRejected: number;
  messagesPerSecond: number;
  bytesPerSecond: number;
}

export interface WireSnapshot {
  /** ms since the Unix epoch */
  startedAt: number;
  now: number;
  /** Addresses the hub listens on, as users write them (path, @name, tcp://host:port). */
  listeners: string[];
  /** Set when the backend is a monitor attached to a hub run elsewhere: that hub's address. */
  attachedTo: string | null;
  modules: WireModule[];
  monitors: WireModule[];
  totals: WireTotals;
  limits: { maxConnections: number; maxPayload: number; queueLimit: number; idleTimeoutMs: number; slowConsumerPolicy: string };
}

export type WireEvent =
  | {
      type: 'message';
      /** Pass to the `payload` channel for the full payload. */
      seq: number;
      /** µs since the Unix epoch */
      time: number;
      kind: MessageKindName;
      source: string;
      /** null for a broadcast */
      destination: string | null;
      correlationId: number;
      size: number;
      /** base64 of the first bytes (at most 64) */
      preview: string;
      injected: boolean;
    }
  | { type: 'join'; time: number; id: string; role: 'module' | 'monitor'; transport: string; listener: string }
  | { type: 'leave'; time: number; id: string; role: 'module' | 'monitor'; reason: string; code: number }
  | { type: 'error'; time: number; id: string; code: number; codeName: string; message: string }
  /** The event stream skipped this many events to keep up; the relay itself lost nothing. */
  | { type: 'lost'; time: number; count: number };

export interface InjectArgs {
  /** Source ID the receiver sees; omitted = the backend's own ID ("$hub", or the monitor's ID when attached). */
  source?: string;
  /** null = broadcast */
  destination: string | null;
  kind: MessageKindName;
  payloadBase64: string;
}

export interface RequestArgs {
  destination: string;
  payloadBase64: string;
  timeoutMs: number;
}

export interface WireReply {
  source: string;
  payloadBase64: string;
  correlationId: number;
}

/** Every call answers with this: a failure is data for the UI to show inline, never a thrown exception. */
export type CallResult<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

/** renderer → backend request/response channels. */
export interface InvokeChannels {
  'hub:snapshot': { args: null; result: WireSnapshot };
  'hub:inject': { args: InjectArgs; result: null };
  'hub:request': { args: RequestArgs; result: WireReply };
  'hub:kick': { args: { id: string; reason?: string }; result: null };
  'hub:payload': { args: { seq: number }; result: { payloadBase64: string } | null };
  /** Makes the hub listen on exactly these addresses (path, @name, tcp://host:port); connected modules stay. */
  'hub:listen': { args: { addresses: string[] }; result: { listeners: string[] } };
}
export type InvokeChannel = keyof InvokeChannels;
export const INVOKE_CHANNELS: readonly InvokeChannel[] = ['hub:snapshot', 'hub:inject', 'hub:request', 'hub:kick', 'hub:payload', 'hub:listen'];

/** backend → renderer push channels. Events come in batches, at most EVENT_BATCHES_PER_SECOND a second. */
export interface PushChannels {
  'hub:events': WireEvent[];
  /** Sent every SNAPSHOT_INTERVAL_MS so counters and rates stay current without polling. */
  'hub:snapshot': WireSnapshot;
}
export type PushChannel = keyof PushChannels;
export const EVENT_BATCHES_PER_SECOND = 20;
export const SNAPSHOT_INTERVAL_MS = 1000;

/** What the preload exposes as `window.relayscope` and what the WebSocket transport implements: one method per channel. */
export interface RelayscopeApi {
  snapshot(): Promise<CallResult<WireSnapshot>>;
  inject(args: InjectArgs): Promise<CallResult<null>>;
  request(args: RequestArgs): Promise<CallResult<WireReply>>;
  kick(args: { id: string; reason?: string }): Promise<CallResult<null>>;
  payload(args: { seq: number }): Promise<CallResult<{ payloadBase64: string } | null>>;
  listen(args: { addresses: string[] }): Promise<CallResult<{ listeners: string[] }>>;
  onEvents(callback: (batch: WireEvent[]) => void): () => void;
  onSnapshot(callback: (snapshot: WireSnapshot) => void): () => void;
}

/** The WebSocket framing of the same contract (JSON text messages). */
export type SocketClientMessage = { id: number; channel: InvokeChannel; args: unknown };
export type SocketServerMessage =
  | { id: number; result: CallResult<unknown> }
  | { push: PushChannel; data: unknown };

export class ContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContractError';
  }
}

const MAX_ID_BYTES = 255;
const MAX_LISTEN_ADDRESSES = 8;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function id(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || new TextEncoder().encode(value).length > MAX_ID_BYTES) {
    throw new ContractError(`${field} must be a non-empty string of at most ${MAX_ID_BYTES} bytes`);
  }
  return value;
}

function base64(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value)) throw new ContractError(`${field} must be base64`);
  return value;
}

/**
 * Checks the arguments of a call that came from the other side of a process or network boundary.
 * Returns them typed, or throws ContractError naming what is wrong.
 */
export function validateInvoke<C extends InvokeChannel>(channel: C, args: unknown): InvokeChannels[C]['args'] {
  switch (channel) {
    case 'hub:snapshot':
      return null as InvokeChannels[C]['args'];
    case 'hub:inject': {
      if (!isRecord(args)) throw new ContractError('inject needs an object');
      const kind = args.kind;
      if (typeof kind !== 'string' || !MESSAGE_KINDS.includes(kind as MessageKindName)) throw new ContractError(`kind must be one of ${MESSAGE_KINDS.join(', ')}`);
      const destination = args.destination === null ? null : id(args.destination, 'destination');
      if ((destination === null) !== (kind === 'broadcast')) throw new ContractError(kind === 'broadcast' ? 'a broadcast has no destination' : `a ${kind} needs a destination`);
      const result: InjectArgs = { destination, kind: kind as MessageKindName, payloadBase64: base64(args.payloadBase64, 'payloadBase64') };
      if (args.source !== undefined) result.source = id(args.source, 'source');
      return result as InvokeChannels[C]['args'];
    }
    case 'hub:request': {
      if (!isRecord(args)) throw new ContractError('request needs an object');
      const timeoutMs = args.timeoutMs;
      if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) throw new ContractError('timeoutMs must be an integer from 1 to 600000');
      const result: RequestArgs = { destination: id(args.destination, 'destination'), payloadBase64: base64(args.payloadBase64, 'payloadBase64'), timeoutMs };
      return result as InvokeChannels[C]['args'];
    }
    case 'hub:kick': {
      if (!isRecord(args)) throw new ContractError('kick needs an object');
      if (args.reason !== undefined && (typeof args.reason !== 'string' || args.reason.length > 1000)) throw new ContractError('reason must be a string of at most 1000 characters');
      return { id: id(args.id, 'id'), reason: args.reason as string | undefined } as InvokeChannels[C]['args'];
    }
    case 'hub:payload': {
      if (!isRecord(args) || typeof args.seq !== 'number' || !Number.isSafeInteger(args.seq) || args.seq < 1) throw new ContractError('seq must be a positive integer');
      return { seq: args.seq } as InvokeChannels[C]['args'];
    }
    case 'hub:listen': {
      const addresses = isRecord(args) ? args.addresses : undefined;
      if (!Array.isArray(addresses) || addresses.length === 0 || addresses.length > MAX_LISTEN_ADDRESSES) throw new ContractError(`addresses must be a list of 1 to ${MAX_LISTEN_ADDRESSES} socket addresses`);
      for (const address of addresses) {
        if (typeof address !== 'string' || address.trim() === '' || address.length > 1000) throw new ContractError('each address must be a non-empty string (a path, @name or tcp://host:port)');
      }
      return { addresses: addresses as string[] } as InvokeChannels[C]['args'];
    }
    default:
      throw new ContractError(`unknown channel ${String(channel)}`);
  }
}

export function isInvokeChannel(value: unknown): value is InvokeChannel {
  return typeof value === 'string' && (INVOKE_CHANNELS as readonly string[]).includes(value);
}
