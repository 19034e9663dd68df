/**
 * The one contract between the UI and the hub backend, whatever carries it: Electron IPC (preload →
 * ipcMain) or the browser mode's WebSocket. Each channel is declared once, in INVOKE_CHANNELS or
 * PUSH_CHANNELS below: its name, the check for what arrives from the other side, and its types.
 * The rest is derived from those two tables (the model is VS Code's ProxyChannel):
 *  - ContractCarrier, what carries any channel: one generic call and one subscription. The preload
 *    exposes one as window.relayscope; the browser mode's WebSocket transport is one.
 *  - RelayscopeApi, the UI's one method per channel, and contractApi(), which builds it on a carrier.
 *  - InvokeHandlers, the type of BridgeService's dispatch: one handler per channel.
 *
 * No Node or DOM types, and two imports, the module ID rules and the capture filter language (pure
 * as well): the renderer (DOM-only typings, importing this file as @contract) and the main process
 * (Node typings) both compile it.
 * Binary payloads cross as base64.
 */

import { CaptureFilterError, parseCaptureFilter } from '../capture/captureFilter';
import { injectSourceProblem } from '../protocol/moduleIdRules';

/** The hub's rule for an injected message's source, re-exported so the composer checks as the hub does. */
export { injectSourceProblem };
/** The one filter language (pure, as this file is), so the page checks a search as the backend parses it and tests previews with it. */
export { CaptureFilterError, parseCaptureFilter };

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
  /** The connecting process as the kernel recorded it (SO_PEERCRED), on Unix sockets where the hub could read it. */
  pid?: number;
  uid?: number;
  gid?: number;
  /** That process's executable and arguments from /proc at accept, where the hub could read them. */
  exe?: string;
  cmdline?: string[];
  /** A program on a plain listener (--plain): the framing it speaks instead of the protocol. */
  framing?: 'id-byte' | 'line';
  /** The name of `uid` in /etc/passwd of the machine the backend runs on; only for modules of this machine's hub. */
  user?: string;
  /** A side of a tapped connection (--tap): the program that connected to the tap, or the server it forwards to. */
  tap?: 'client' | 'upstream';
  /** For a tap's client: the module ID of the upstream its connection is passed on to. */
  tapUpstream?: string;
  /** The hub of the bus the module is connected to, when the hub is federated (docs/FEDERATION.md). */
  hub?: string;
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
  /** Refused by the access policy (--allow-uid, --allow-gid, --owner); absent from a hub that predates it. */
  connectionsNotPermitted?: number;
  /** Connections closed because the hub-wide memory budget was used up; absent from a hub that predates it. */
  budgetDisconnects?: number;
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
  /** Set when the backend shows a recording opened from a file rather than a live hub. */
  offline?: WireOffline | null;
  /** Set when the hub is federated through NATS: its bus and its own name there (modules[].hub of the others differ). */
  federation?: WireFederation | null;
}

export interface WireFederation {
  bus: string;
  /** This hub's name on the bus. */
  hub: string;
  connected: boolean;
  /** "federated", or why not. */
  status: string;
}

/** A chunk a tap passed on between two programs (PROTOCOL.md 15.3). */
export interface WireTapChunk {
  /** 'to-upstream': the client wrote it; 'to-client': the upstream server wrote it. */
  direction: 'to-upstream' | 'to-client';
  /** Where its first byte is in that direction's stream. */
  offset: number;
  /** A piece of a longer message, or one the end of the stream cut off. */
  partial: boolean;
}

/**
 * Whether the backend reaches its hub. A hub in this process is always up; attached, this is the
 * monitor connection's state, pushed on every change so the UI shows an outage at once.
 */
export interface WireHubLink {
  status: 'up' | 'down';
  /** ms since the Unix epoch: when the status last changed. */
  since: number;
  /** Why the connection ended (while down), or ''. */
  detail: string;
  /** Reconnection attempts made since it went down. */
  attempts: number;
}

/** A recording running (or just stopped) in the process that hosts the hub, or in serve when attached. */
export interface WireRecordingStatus {
  /** The file on the machine that writes it. */
  path: string;
  running: boolean;
  elapsedMs: number;
  messages: number;
  bytes: number;
  /** Copies the recorder had no room for: not in the file. */
  missed: number;
  /** true when recording from a monitor connection (attach mode): copies the hub could not send it are missed too. */
  missedPossible: boolean;
  /** Why it stopped by itself, or null. */
  error: string | null;
  /** Set once stopped: the file's ID for the download route and for export. */
  captureId: string | null;
}

/** A capture file the backend wrote (a stopped recording, an export), offered for download by ID. */
export interface WireCaptureFile {
  captureId: string;
  /** The file name a download saves it as. */
  name: string;
  path: string;
  size: number;
  /** Messages and events written (exports). */
  records: number;
}

export type CaptureFormatName = 'mcap' | 'pcapng' | 'jsonl';
export const CAPTURE_FORMAT_NAMES: readonly CaptureFormatName[] = ['mcap', 'pcapng', 'jsonl'];

export interface ReplayArgs {
  /** The live hub to replay into: a path, @name or tcp://host:port. */
  socket: string;
  /** Recorded gaps divided by this; null = as fast as the hub takes them. */
  speed: number | null;
  /** Only these loaded rows (their seq), or null for every message of the file that `filter` selects. */
  seqs: number[] | null;
  filter: string;
}

/** A replay's progress and, once done, its report: every message delivered or failed with a reason. */
export interface WireReplayStatus {
  running: boolean;
  socket: string;
  sent: number;
  delivered: number;
  failed: number;
  /** Failures counted by reason (the hub's error name). */
  reasons: { reason: string; count: number }[];
  /** The first failures one by one. */
  failures: { index: number; source: string; destination: string | null; reason: string }[];
  /** Why the replay stopped before the end (could not connect, the file failed), or null. */
  error: string | null;
}

export interface ExportArgs {
  /** 'recording': the last recording stopped in this session; 'opened': the file the offline view shows. */
  source: 'recording' | 'opened';
  format: CaptureFormatName;
  /** An expression of the capture filter language (docs/CAPTURE.md, Filters); '' = everything. */
  filter: string;
}

/** A module seen in an opened recording, with when it joined and left (µs since the epoch; null = not in the file). */
export interface WireOfflineModule {
  id: string;
  joinedAt: number | null;
  leftAt: number | null;
  leaveReason: string | null;
  messagesSent: number;
}

/** What the offline view knows about the opened recording; the scan of the whole file fills it in. */
export const MAX_OFFLINE_MODULES = 1000;

export interface WireOffline {
  file: string;
  hub: string;
  host: string;
  /** µs since the epoch */
  startTime: number;
  endTime: number;
  messages: number;
  events: number;
  /** The recorder's missed count from the file's metadata. */
  missed: number;
  /** true while the whole file is still being scanned (counts, modules and histogram grow). */
  scanning: boolean;
  scanError: string | null;
  /** The first MAX_OFFLINE_MODULES modules seen (each snapshot carries them); `moduleCount` counts all. */
  modules: WireOfflineModule[];
  moduleCount: number;
  /** Messages per bucket of `bucketMicros` from `startTime`: the rate over the recording's time. */
  histogram: { bucketMicros: number; counts: number[] };
  /** The rows loaded now: at most `windowLimit` messages from `windowStart` (µs). */
  windowStart: number;
  windowLimit: number;
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
      /** Set for a chunk a tap passed on. */
      tap?: WireTapChunk;
    }
  | { type: 'join'; time: number; id: string; role: 'module' | 'monitor'; transport: string; listener: string }
  | { type: 'leave'; time: number; id: string; role: 'module' | 'monitor'; reason: string; code: number }
  | { type: 'error'; time: number; id: string; code: number; codeName: string; message: string }
  /** The event stream skipped this many events to keep up; the relay itself lost nothing. */
  | { type: 'lost'; time: number; count: number };

/** A whole-payload search of the payloads the backend holds (PayloadSearches.ts). */
export interface SearchArgs {
  /** Chosen by the page; a search started again under the same ID replaces it. */
  searchId: number;
  /** Payload terms of the capture filter language (docs/CAPTURE.md, Filters): text, /regex/, .field comparisons. */
  expression: string;
  /** Text and flagless regex terms compare case too. */
  caseSensitive: boolean;
  /**
   * The page's previous search, cancelled by this one: a filter that changes per keystroke makes one
   * call per change, not a cancel and a start, so its calls stay within serve's calls in flight.
   */
  replaces?: number;
}

/**
 * A search's progress, pushed as it scans and, once it has caught up, as newly stored payloads are
 * searched. Runs are [firstSeq, count, …] since the previous push of the same search.
 */
export interface WireSearchProgress {
  searchId: number;
  scanned: number;
  /** Payloads searched and still to search. */
  total: number;
  /** Matches so far in all. */
  matched: number;
  matches: number[];
  /** Seqs the search passed without their payload (evicted, or never stored): the page tests their rows' previews. */
  unsearched: number[];
  /** Every payload up to this seq has been searched (or is in unsearched). */
  coveredSeq: number;
  /** true once the search reached the newest payload; it then stays live until cancelled. */
  caughtUp: boolean;
}

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

export interface KickArgs {
  id: string;
  reason?: string;
}

export interface WireReply {
  source: string;
  payloadBase64: string;
  correlationId: number;
}

/** Every call answers with this: a failure is data for the UI to show inline, never a thrown exception. */
export type CallResult<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

export class ContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContractError';
  }
}

// ---------------------------------------------------------------- the channels

/** A renderer → backend request/response channel. */
export interface InvokeChannelSpec<Args, Result> {
  /** Checks arguments that came across a process or network boundary: returns them typed, or throws ContractError naming what is wrong. */
  readonly validate: (args: unknown) => Args;
  /** Never set: it only carries the result type. */
  readonly result?: Result;
}

/** A backend → renderer push channel. */
export interface PushChannelSpec<Data> {
  /** The shape check the UI makes before handing pushed data on. */
  readonly accepts: (data: unknown) => data is Data;
}

function invokeChannel<Args, Result>(validate: (args: unknown) => Args): InvokeChannelSpec<Args, Result> {
  return { validate };
}

export const INVOKE_CHANNELS = {
  'hub:snapshot': invokeChannel<null, WireSnapshot>(noArguments),
  'hub:inject': invokeChannel<InjectArgs, null>(injectArgs),
  'hub:request': invokeChannel<RequestArgs, WireReply>(requestArgs),
  'hub:kick': invokeChannel<KickArgs, null>(kickArgs),
  /** The full payload of a message event, or null once the backend has evicted it. */
  'hub:payload': invokeChannel<{ seq: number }, { payloadBase64: string } | null>(payloadArgs),
  /** Makes the hub listen on exactly these addresses (path, @name, tcp://host:port); connected modules stay. */
  'hub:listen': invokeChannel<{ addresses: string[] }, { listeners: string[] }>(listenArgs),
  /** Starts recording every message and event to a new MCAP file in the backend's private capture folder. */
  'hub:recordStart': invokeChannel<null, WireRecordingStatus>(noArguments),
  /** Stops the recording and completes its file; the answer carries its captureId. */
  'hub:recordStop': invokeChannel<null, WireRecordingStatus>(noArguments),
  /** The running (or last stopped) recording, or null when none was started. */
  'hub:recordStatus': invokeChannel<null, WireRecordingStatus | null>(noArguments),
  /** Writes the last recording or the opened file, filtered, in a format; the answer names the new file. */
  'hub:export': invokeChannel<ExportArgs, WireCaptureFile>(exportArgs),
  /** Offline view: loads the rows from this moment (µs since the epoch) instead. */
  'hub:seek': invokeChannel<{ time: number }, null>(seekArgs),
  /** Offline view: starts replaying the opened file (or selected rows) into a live hub; progress with replayStatus. */
  'hub:replay': invokeChannel<ReplayArgs, WireReplayStatus>(replayArgs),
  'hub:replayStatus': invokeChannel<null, WireReplayStatus | null>(noArguments),
  /** Starts a whole-payload search (progress and matches come as 'hub:search' pushes); a bad expression is refused naming the column. */
  'hub:search': invokeChannel<SearchArgs, { searchId: number; total: number }>(searchArgs),
  'hub:searchCancel': invokeChannel<{ searchId: number }, null>(searchCancelArgs),
};

export const PUSH_CHANNELS = {
  /**
   * Hub events in the batches the hub's event stream makes (electron/hub/HubEventStream.ts): at most
   * one every 50 ms, each bounded, with what it skipped counted in a closing 'lost' event.
   */
  'hub:events': { accepts: (data: unknown): data is WireEvent[] => Array.isArray(data) },
  /** Sent every SNAPSHOT_INTERVAL_MS so counters and rates stay current without polling. */
  'hub:snapshot': { accepts: (data: unknown): data is WireSnapshot => isRecord(data) },
  /** The hub link at subscription and on each change: snapshots stop while the hub is unreachable, this does not. */
  'hub:link': { accepts: (data: unknown): data is WireHubLink => isRecord(data) && (data.status === 'up' || data.status === 'down') && typeof data.since === 'number' },
  /** A search's progress and new matches (to every page: each keeps the pushes of the searches it started). */
  'hub:search': { accepts: (data: unknown): data is WireSearchProgress => isRecord(data) && typeof data.searchId === 'number' && Array.isArray(data.matches) && Array.isArray(data.unsearched) },
} satisfies Record<string, PushChannelSpec<unknown>>;

export const SNAPSHOT_INTERVAL_MS = 1000;

export type InvokeChannel = keyof typeof INVOKE_CHANNELS;
export type InvokeArgs<C extends InvokeChannel> = ReturnType<(typeof INVOKE_CHANNELS)[C]['validate']>;
export type InvokeResult<C extends InvokeChannel> = (typeof INVOKE_CHANNELS)[C] extends InvokeChannelSpec<unknown, infer Result> ? Result : never;
export type PushChannel = keyof typeof PUSH_CHANNELS;
export type PushData<C extends PushChannel> = (typeof PUSH_CHANNELS)[C] extends PushChannelSpec<infer Data> ? Data : never;

export function isInvokeChannel(value: unknown): value is InvokeChannel {
  return typeof value === 'string' && Object.hasOwn(INVOKE_CHANNELS, value);
}

export function isPushChannel(value: unknown): value is PushChannel {
  return typeof value === 'string' && Object.hasOwn(PUSH_CHANNELS, value);
}

// ---------------------------------------------------------------- derived from the channels

/** BridgeService's dispatch: one handler per invoke channel, given the validated arguments. */
export type InvokeHandlers = { [C in InvokeChannel]: (args: InvokeArgs<C>) => Promise<InvokeResult<C>> };

/** What carries the contract, whatever the transport: one generic call, and a subscription per push channel. */
export interface ContractCarrier {
  invoke<C extends InvokeChannel>(channel: C, args: InvokeArgs<C>): Promise<CallResult<InvokeResult<C>>>;
  on<C extends PushChannel>(channel: C, callback: (data: PushData<C>) => void): () => void;
}

/** The UI's name for a channel: 'hub:kick' → kick, and onEvents for the push channel 'hub:events'. */
type MethodName<C extends string> = C extends `hub:${infer Name}` ? Name : never;
type ListenerName<C extends string> = `on${Capitalize<MethodName<C>>}`;

/** The API the UI calls: a method per invoke channel (no argument for those that take null), an on… per push channel. */
export type RelayscopeApi = {
  [C in InvokeChannel as MethodName<C>]: (...args: InvokeArgs<C> extends null ? [] : [args: InvokeArgs<C>]) => Promise<CallResult<InvokeResult<C>>>;
} & {
  [C in PushChannel as ListenerName<C>]: (callback: (data: PushData<C>) => void) => () => void;
};

function methodName(channel: string): string {
  return channel.slice('hub:'.length);
}

/** Builds the UI's API on a carrier, from the channel tables; pushes that fail their channel's shape check are dropped. */
export function contractApi(carrier: ContractCarrier): RelayscopeApi {
  const api: Record<string, unknown> = {};
  for (const channel of Object.keys(INVOKE_CHANNELS) as InvokeChannel[]) {
    api[methodName(channel)] = (args: unknown = null) => carrier.invoke(channel, args as InvokeArgs<typeof channel>);
  }
  for (const channel of Object.keys(PUSH_CHANNELS) as PushChannel[]) {
    const name = methodName(channel);
    const accepts = PUSH_CHANNELS[channel].accepts as (data: unknown) => boolean;
    api[`on${name[0].toUpperCase()}${name.slice(1)}`] = (callback: (data: unknown) => void) =>
      carrier.on(channel, (data: unknown) => {
        if (accepts(data)) callback(data);
      });
  }
  // The loops above make exactly the keys RelayscopeApi's mapped types name; test/bridge/contract.test.ts checks them.
  return api as RelayscopeApi;
}

/** The two Electron IPC channels that carry every contract channel: calls as (channel, args), pushes as (channel, data). */
export const ELECTRON_IPC = { invoke: 'relayscope:invoke', push: 'relayscope:push' } as const;

/** The browser mode's WebSocket framing of the same contract (JSON text messages). */
export type SocketClientMessage = { id: number; channel: InvokeChannel; args: unknown };
export type SocketServerMessage = { id: number; result: CallResult<unknown> } | { push: PushChannel; data: unknown };

// ---------------------------------------------------------------- argument checks

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

function noArguments(): null {
  return null;
}

function injectArgs(args: unknown): InjectArgs {
  if (!isRecord(args)) throw new ContractError('inject needs an object');
  const kind = args.kind;
  if (typeof kind !== 'string' || !MESSAGE_KINDS.includes(kind as MessageKindName)) throw new ContractError(`kind must be one of ${MESSAGE_KINDS.join(', ')}`);
  const destination = args.destination === null ? null : id(args.destination, 'destination');
  if ((destination === null) !== (kind === 'broadcast')) throw new ContractError(kind === 'broadcast' ? 'a broadcast has no destination' : `a ${kind} needs a destination`);
  const result: InjectArgs = { destination, kind: kind as MessageKindName, payloadBase64: base64(args.payloadBase64, 'payloadBase64') };
  if (args.source !== undefined) {
    result.source = id(args.source, 'source');
    // The in-process hub lets the application inject as "$hub"; a person at the UI gets the monitor's rule.
    const problem = injectSourceProblem(result.source);
    if (problem !== null) throw new ContractError(problem);
  }
  return result;
}

function requestArgs(args: unknown): RequestArgs {
  if (!isRecord(args)) throw new ContractError('request needs an object');
  const timeoutMs = args.timeoutMs;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) throw new ContractError('timeoutMs must be an integer from 1 to 600000');
  return { destination: id(args.destination, 'destination'), payloadBase64: base64(args.payloadBase64, 'payloadBase64'), timeoutMs };
}

function kickArgs(args: unknown): KickArgs {
  if (!isRecord(args)) throw new ContractError('kick needs an object');
  if (args.reason !== undefined && (typeof args.reason !== 'string' || args.reason.length > 1000)) throw new ContractError('reason must be a string of at most 1000 characters');
  return { id: id(args.id, 'id'), reason: args.reason as string | undefined };
}

function payloadArgs(args: unknown): { seq: number } {
  if (!isRecord(args) || typeof args.seq !== 'number' || !Number.isSafeInteger(args.seq) || args.seq < 1) throw new ContractError('seq must be a positive integer');
  return { seq: args.seq };
}

function exportArgs(args: unknown): ExportArgs {
  if (!isRecord(args)) throw new ContractError('export needs an object');
  if (args.source !== 'recording' && args.source !== 'opened') throw new ContractError('source must be "recording" or "opened"');
  if (typeof args.format !== 'string' || !CAPTURE_FORMAT_NAMES.includes(args.format as CaptureFormatName)) throw new ContractError(`format must be one of ${CAPTURE_FORMAT_NAMES.join(', ')}`);
  if (typeof args.filter !== 'string' || args.filter.length > 10_000) throw new ContractError('filter must be a string of at most 10000 characters');
  return { source: args.source, format: args.format as CaptureFormatName, filter: args.filter };
}

const MAX_REPLAY_ROWS = 100_000;

function replayArgs(args: unknown): ReplayArgs {
  if (!isRecord(args)) throw new ContractError('replay needs an object');
  if (typeof args.socket !== 'string' || args.socket.trim() === '' || args.socket.length > 1000) throw new ContractError('socket must be a non-empty address (a path, @name or tcp://host:port)');
  if (args.speed !== null && (typeof args.speed !== 'number' || !Number.isFinite(args.speed) || args.speed <= 0 || args.speed > 1_000_000))
    throw new ContractError('speed must be a number above 0 (2 plays twice as fast), or null for as fast as possible');
  let seqs: number[] | null = null;
  if (args.seqs !== null) {
    if (!Array.isArray(args.seqs) || args.seqs.length === 0 || args.seqs.length > MAX_REPLAY_ROWS) throw new ContractError(`seqs must be null or a list of 1 to ${MAX_REPLAY_ROWS} row numbers`);
    for (const seq of args.seqs) if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) throw new ContractError('each seq must be a positive integer');
    seqs = args.seqs as number[];
  }
  if (typeof args.filter !== 'string' || args.filter.length > 10_000) throw new ContractError('filter must be a string of at most 10000 characters');
  return { socket: args.socket.trim(), speed: args.speed as number | null, seqs, filter: args.filter };
}

const MAX_SEARCH_EXPRESSION = 10_000;

function searchId(args: unknown): number {
  if (!isRecord(args) || typeof args.searchId !== 'number' || !Number.isSafeInteger(args.searchId) || args.searchId < 1) throw new ContractError('searchId must be a positive integer');
  return args.searchId;
}

function searchArgs(args: unknown): SearchArgs {
  const id = searchId(args);
  const { expression, caseSensitive } = args as Record<string, unknown>;
  if (typeof expression !== 'string' || expression.length > MAX_SEARCH_EXPRESSION) throw new ContractError(`expression must be a string of at most ${MAX_SEARCH_EXPRESSION} characters`);
  if (typeof caseSensitive !== 'boolean') throw new ContractError('caseSensitive must be true or false');
  const { replaces } = args as Record<string, unknown>;
  if (replaces === undefined) return { searchId: id, expression, caseSensitive };
  if (typeof replaces !== 'number' || !Number.isSafeInteger(replaces) || replaces < 0) throw new ContractError('replaces must be a search ID');
  return { searchId: id, expression, caseSensitive, replaces };
}

function searchCancelArgs(args: unknown): { searchId: number } {
  return { searchId: searchId(args) };
}

function seekArgs(args: unknown): { time: number } {
  if (!isRecord(args) || typeof args.time !== 'number' || !Number.isSafeInteger(args.time) || args.time < 0) throw new ContractError('time must be a non-negative integer (µs since the epoch)');
  return { time: args.time };
}

function listenArgs(args: unknown): { addresses: string[] } {
  const addresses = isRecord(args) ? args.addresses : undefined;
  if (!Array.isArray(addresses) || addresses.length === 0 || addresses.length > MAX_LISTEN_ADDRESSES)
    throw new ContractError(`addresses must be a list of 1 to ${MAX_LISTEN_ADDRESSES} socket addresses`);
  for (const address of addresses) {
    if (typeof address !== 'string' || address.trim() === '' || address.length > 1000) throw new ContractError('each address must be a non-empty string (a path, @name or tcp://host:port)');
  }
  return { addresses: addresses as string[] };
}
