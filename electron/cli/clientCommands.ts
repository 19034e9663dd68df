import { RelayClient, type RelayError, type ReceivedMessage, type RelayClientOptions } from '../client';
import { monitorDroppedCount, type EventFrame, type TrafficFrame } from '../protocol/frameCodec';
import { moduleIdProblem } from '../protocol/moduleId';
import { errorName, HubEventCode, MESSAGE_KIND_NAMES, MessageKind } from '../protocol/protocol';
import { tapChunkOfTraffic } from '../protocol/tapChunk';
import { type FederationStatus, PREVIEW_BYTES, type HubSnapshot, type ModuleInfo } from '../hub/hubEvents';
import { AddressError, defaultSocket, formatSocketAddress, parseSocketAddress } from '../sockets/socketAddress';
import { CommandError, type FlagValues } from './args';
import { clockMicros, escapeBytes, formatBytes, formatDuration, formatRate, formatTable, hexBytes, isoMicros, utf8OrNull } from './format';
import { flushOutput, note, readStdin, untilSignal, writeOut } from './io';
import { tokenFromFlags } from './tokenFlags';

/** Where and how a client command reaches the hub. */
export interface HubConnectionFlags {
  socket: string;
  /** The socket as the user should read it in messages (paths resolved). */
  socketDescription: string;
  token: string | undefined;
}

/** How long a reconnecting listen or monitor waits between attempts: quick at first, since a restarting hub is usually back soon. */
const RECONNECT_BACKOFF = { initialDelayMs: 100, maxDelayMs: 2000 };

export function hubConnectionFlags(flags: FlagValues): HubConnectionFlags {
  const socket = flags.string('socket') ?? defaultSocket();
  let socketDescription: string;
  try {
    socketDescription = formatSocketAddress(parseSocketAddress(socket));
  } catch (err) {
    if (err instanceof AddressError) throw flags.usage(`--socket: ${err.message}`);
    throw err;
  }
  return { socket, socketDescription, token: tokenFromFlags(flags) };
}

function moduleIdFlag(flags: FlagValues, name: 'as' | 'to'): string {
  const id = flags.required(name);
  const problem = moduleIdProblem(id, { allowReserved: name === 'to' });
  if (problem !== null) throw flags.usage(`--${name} "${id}": ${problem}`);
  return id;
}

function connect(hub: HubConnectionFlags, options: Omit<RelayClientOptions, 'socket' | 'token'>): Promise<RelayClient> {
  return RelayClient.connect({ ...options, socket: hub.socket, token: hub.token });
}

/**
 * The PAYLOAD argument, or all of standard input when it is absent. On a terminal the read would look
 * like a hang, so it first says what it is waiting for.
 */
async function payloadArgument(flags: FlagValues, command: string): Promise<Buffer> {
  const hex = flags.boolean('hex');
  const text = flags.positional;
  if (text !== undefined) return hex ? hexPayload(flags, text) : Buffer.from(text, 'utf8');
  if (process.stdin.isTTY) note(`${command}: no PAYLOAD given, so reading it from standard input; type it and end with Ctrl-D (or pass PAYLOAD as an argument)`);
  const input = await readStdin();
  return hex ? hexPayload(flags, input.toString('latin1')) : input;
}

/** --hex: the payload as hex digits, two per byte; whitespace between them (line breaks too) is ignored. */
function hexPayload(flags: FlagValues, text: string): Buffer {
  const digits = text.replace(/\s+/g, '');
  const bad = /[^0-9a-fA-F]/.exec(digits);
  if (bad !== null) throw flags.usage(`--hex: "${bad[0]}" is not a hex digit (the payload is hex digits, two per byte, spaces allowed)`);
  if (digits.length % 2 !== 0) throw flags.usage(`--hex: ${digits.length} hex digits is an odd number; each byte takes two`);
  return Buffer.from(digits, 'hex');
}

// ---------------------------------------------------------------- send, broadcast

export async function runSend(flags: FlagValues): Promise<number> {
  const id = moduleIdFlag(flags, 'as');
  const to = moduleIdFlag(flags, 'to');
  const hub = hubConnectionFlags(flags);
  const payload = await payloadArgument(flags, 'send');
  return deliverOnce(hub, id, (client) => client.send(to, payload));
}

export async function runBroadcast(flags: FlagValues): Promise<number> {
  const id = moduleIdFlag(flags, 'as');
  const hub = hubConnectionFlags(flags);
  const payload = await payloadArgument(flags, 'broadcast');
  return deliverOnce(hub, id, (client) => client.broadcast(payload));
}

/**
 * Connects, hands one message to the client, and returns only once the hub has taken it or refused it.
 * The hub handles a connection's frames in order, so when the LIST sent after the message is answered,
 * every byte was flushed and any ERROR about the message (e.g. NO_SUCH_MODULE) has already arrived.
 */
async function deliverOnce(hub: HubConnectionFlags, id: string, deliver: (client: RelayClient) => void): Promise<number> {
  const client = await connect(hub, { id, reconnect: false });
  let refusal: RelayError | null = null;
  client.on('remoteError', (err: RelayError) => {
    refusal ??= err;
  });
  try {
    deliver(client);
    await client.list();
  } catch (err) {
    // A fatal ERROR (e.g. FRAME_TOO_LARGE) also fails the LIST; the ERROR is the reason worth showing.
    throw refusal ?? err;
  } finally {
    await client.close();
  }
  if (refusal !== null) throw refusal;
  return 0;
}

// ---------------------------------------------------------------- request

export async function runRequest(flags: FlagValues): Promise<number> {
  const id = moduleIdFlag(flags, 'as');
  const to = moduleIdFlag(flags, 'to');
  const timeoutMs = flags.integer('timeout', 1) ?? 5000;
  const format = flags.choice('format', ['text', 'hex', 'json'] as const, 'text');
  const hub = hubConnectionFlags(flags);
  const payload = await payloadArgument(flags, 'request');
  const client = await connect(hub, { id, reconnect: false });
  try {
    const reply = await client.request(to, payload, { timeoutMs });
    if (format === 'json') writeOut(`${messageJson(reply)}\n`);
    else if (format === 'hex') writeOut(`${hexBytes(reply.payload)}\n`);
    else writeOut(reply.payload.length > 0 && reply.payload[reply.payload.length - 1] === 0x0a ? reply.payload : Buffer.concat([reply.payload, Buffer.from('\n')]));
  } finally {
    await client.close();
  }
  return 0;
}

// ---------------------------------------------------------------- listen

export async function runListen(flags: FlagValues): Promise<number> {
  const id = moduleIdFlag(flags, 'as');
  const count = flags.integer('count', 1);
  const format = flags.choice('format', ['text', 'hex', 'json'] as const, 'text');
  if (flags.has('reply') && flags.boolean('echo')) throw flags.usage('--reply and --echo cannot be used together');
  const replyText = flags.string('reply');
  const answer = replyText !== undefined ? () => replyText : flags.boolean('echo') ? (request: ReceivedMessage) => request.payload : null;
  const hub = hubConnectionFlags(flags);
  const signal = untilSignal();

  const client = await connect(hub, { id, reconnect: RECONNECT_BACKOFF });
  note(`listening as ${client.id} on ${hub.socketDescription}`);
  followConnection(client, hub);

  const enough = new Promise<void>((resolve) => {
    let received = 0;
    const onMessage = (message: ReceivedMessage): void => {
      if (count !== undefined && received >= count) return;
      received++;
      writeOut(formatReceived(message, format));
      if (message.kind === 'request' && answer !== null) client.reply(message, answer(message));
      if (received === count) resolve();
    };
    // 'message' carries requests too ('request' repeats them), so one listener sees each message once.
    client.on('message', onMessage);
  });
  return runUntil(client, hub, Promise.race([enough, signal]));
}

function formatReceived(message: ReceivedMessage, format: 'text' | 'hex' | 'json'): string {
  if (format === 'json') return `${messageJson(message)}\n`;
  const label = message.kind === 'unicast' ? message.source : message.kind === 'broadcast' ? `${message.source} (broadcast)` : `${message.source} (${message.kind} #${message.correlationId})`;
  const body = format === 'hex' ? hexBytes(message.payload) : escapeBytes(message.payload);
  return `${label}: ${body}\n`;
}

/** One line of JSON for a received message, stamped with the time it was printed. */
function messageJson(message: ReceivedMessage): string {
  return JSON.stringify({
    time: new Date().toISOString(),
    source: message.source,
    kind: message.kind,
    correlationId: message.correlationId,
    size: message.payload.length,
    text: utf8OrNull(message.payload),
    base64: message.payload.toString('base64'),
  });
}

// ---------------------------------------------------------------- monitor

const HUB_EVENT_NAMES: Record<number, string> = {
  [HubEventCode.JOIN]: 'join',
  [HubEventCode.LEAVE]: 'leave',
  [HubEventCode.ERROR]: 'error',
  [HubEventCode.MONITOR_DROPPED]: 'monitor-dropped',
};

export async function runMonitor(flags: FlagValues): Promise<number> {
  const format = flags.choice('format', ['text', 'json'] as const, 'text');
  return tailHub(hubConnectionFlags(flags), format, untilSignal());
}

/** Prints every copy and hub event of `hub` until `done` settles; `relayscope tap` tails its own hub with it. */
export async function tailHub(hub: HubConnectionFlags, format: 'text' | 'json', signal: Promise<unknown>): Promise<number> {
  const client = await connect(hub, { id: 'relayscope-monitor', monitor: true, reconnect: RECONNECT_BACKOFF });
  note(`monitoring ${hub.socketDescription} as ${client.id}`);
  followConnection(client, hub);
  client.on('traffic', (traffic: TrafficFrame) => writeOut(format === 'json' ? `${trafficJson(traffic)}\n` : `${trafficLine(traffic)}\n`));
  client.on('hubEvent', (event: EventFrame) => writeOut(format === 'json' ? `${hubEventJson(event)}\n` : `${hubEventLine(event)}\n`));
  return runUntil(client, hub, signal);
}

function kindLabel(kind: number, correlationId: number): string {
  const name = MESSAGE_KIND_NAMES[kind] ?? `kind-${kind}`;
  return kind === MessageKind.REQUEST || kind === MessageKind.REPLY ? `${name}#${correlationId}` : name;
}

/**
 * "12:00:01.123456 A -> B unicast 5B hello"; a chunk a tap passed on says its direction and where it
 * starts in that direction's stream instead of a kind: "curl[4123] -> api.sock to-upstream offset 0 78B GET / HTTP/1.1…",
 * with "partial" after the size for a piece of a message.
 */
function trafficLine(traffic: TrafficFrame): string {
  const preview = escapeBytes(traffic.payload.subarray(0, PREVIEW_BYTES)) + (traffic.payload.length > PREVIEW_BYTES ? '…' : '');
  const destination = traffic.destination === '' ? '*' : traffic.destination;
  const tap = tapChunkOfTraffic(traffic);
  const what = tap === undefined ? kindLabel(traffic.kind, traffic.correlationId) : `${tap.direction} offset ${tap.offset}`;
  const size = `${traffic.payload.length}B${tap?.partial ? ' partial' : ''}`;
  return `${clockMicros(traffic.timestampMicros)} ${traffic.source} -> ${destination} ${what} ${size} ${preview}`.trimEnd();
}

function trafficJson(traffic: TrafficFrame): string {
  return JSON.stringify({
    type: 'traffic',
    time: isoMicros(traffic.timestampMicros),
    timestampMicros: traffic.timestampMicros,
    kind: MESSAGE_KIND_NAMES[traffic.kind] ?? traffic.kind,
    source: traffic.source,
    destination: traffic.destination === '' ? null : traffic.destination,
    correlationId: traffic.correlationId,
    tap: tapChunkOfTraffic(traffic),
    size: traffic.payload.length,
    text: utf8OrNull(traffic.payload),
    base64: traffic.payload.toString('base64'),
  });
}

/** "12:00:01.123456 leave A: said goodbye", "12:00:01.2 error A NO_SUCH_MODULE: no module "X" is connected" */
function hubEventLine(event: EventFrame): string {
  const name = HUB_EVENT_NAMES[event.event] ?? `event-${event.event}`;
  const code = event.event === HubEventCode.ERROR ? ` ${errorName(event.code)}` : '';
  // A connection refused before HELLO was accepted has no ID yet.
  const id = event.id === '' ? '-' : event.id;
  if (event.event === HubEventCode.JOIN) {
    const who = joinIdentity(event.detail);
    if (who !== null) return `${clockMicros(event.timestampMicros)} ${name} ${id} (${who})`;
  }
  const dropped = monitorDroppedCount(event);
  const detail = dropped === null ? event.detail : `${dropped} copies of messages and events were not sent to this monitor because it read too slowly`;
  return `${clockMicros(event.timestampMicros)} ${name} ${id}${code}${detail === '' ? '' : `: ${detail}`}`;
}

/** A JOIN's detail (the peer's identity as JSON) as a person reads it: "pid 4123, uid 1000, /usr/bin/python3". */
function joinIdentity(detail: string): string | null {
  let identity: unknown;
  try {
    identity = JSON.parse(detail);
  } catch {
    return null;
  }
  if (identity === null || typeof identity !== 'object') return null;
  const { pid, uid, exe } = identity as { pid?: unknown; uid?: unknown; exe?: unknown };
  const parts = [typeof pid === 'number' ? `pid ${pid}` : null, typeof uid === 'number' ? `uid ${uid}` : null, typeof exe === 'string' ? exe : null].filter((part) => part !== null);
  return parts.length > 0 ? parts.join(', ') : null;
}

function hubEventJson(event: EventFrame): string {
  return JSON.stringify({
    type: 'event',
    time: isoMicros(event.timestampMicros),
    timestampMicros: event.timestampMicros,
    event: HUB_EVENT_NAMES[event.event] ?? event.event,
    id: event.id,
    code: event.code,
    codeName: event.code === 0 ? null : errorName(event.code),
    detail: event.detail,
    dropped: monitorDroppedCount(event),
  });
}

// ---------------------------------------------------------------- list

export async function runList(flags: FlagValues): Promise<number> {
  const format = flags.choice('format', ['text', 'json'] as const, 'text');
  const hub = hubConnectionFlags(flags);
  const client = await connect(hub, { id: 'relayscope-list', monitor: true, reconnect: false });
  let snapshot: HubSnapshot;
  try {
    snapshot = await client.stats();
  } finally {
    await client.close();
  }
  if (format === 'json') writeOut(`${JSON.stringify(snapshot, null, 2)}\n`);
  else
    writeOut(
      snapshotTable(snapshot, client.id)
        .map((line) => `${line}\n`)
        .join(''),
    );
  return 0;
}

// From the module's side, as a user reads them: the hub's "in" counters are what the module sent,
// its "out" counters what the module received.
// PID, UID and COMMAND: who is behind the connection, as the hub read it at accept (blank where it could not).
const TABLE_HEADERS = ['ID', 'HUB', 'TRANSPORT', 'CONNECTED', 'SENT', 'RECEIVED', 'BYTES SENT', 'BYTES RECEIVED', 'ERRORS', 'DROPS', 'QUEUED', 'MSG/S SENT/RECEIVED', 'PID', 'UID', 'COMMAND'];
const NUMERIC_COLUMNS = new Set([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
/** The HUB column, shown only for a hub on a bus (docs/FEDERATION.md). */
const HUB_COLUMN = 1;
/** Characters of a command line shown in the table; --format json has all the hub kept. */
const COMMAND_COLUMN_CHARS = 60;

/** The module table and a totals line; `selfId` (this command's own monitor connection) is left out. */
function snapshotTable(snapshot: HubSnapshot, selfId: string): string[] {
  const monitors = snapshot.monitors.filter((monitor) => monitor.id !== selfId);
  const row = (info: ModuleInfo): string[] => {
    const { stats } = info;
    return [
      info.role === 'monitor' ? `${info.id} (monitor)` : info.id,
      info.hub ?? snapshot.federation?.hub ?? '',
      info.framing === undefined ? info.transport : `${info.transport} (${info.framing})`,
      formatDuration(snapshot.now - info.connectedAt),
      String(stats.messagesIn),
      String(stats.messagesOut),
      formatBytes(stats.bytesIn),
      formatBytes(stats.bytesOut),
      String(stats.errors),
      String(stats.drops),
      formatBytes(stats.queuedBytes),
      `${formatRate(stats.messagesInPerSecond)}/${formatRate(stats.messagesOutPerSecond)}`,
      info.pid === undefined ? '-' : String(info.pid),
      info.uid === undefined ? '-' : String(info.uid),
      commandCell(info),
    ];
  };
  const federated = snapshot.federation !== undefined;
  const columns = (cells: string[]): string[] => (federated ? cells : cells.filter((_, i) => i !== HUB_COLUMN));
  const numeric = new Set([...NUMERIC_COLUMNS].map((i) => (federated ? i : i - 1)));
  const rows = [...snapshot.modules, ...monitors].map((info) => columns(row(info)));
  const { totals } = snapshot;
  const summary =
    `total: ${plural(snapshot.modules.length, 'module')}, ${plural(monitors.length, 'other monitor')}; ` +
    `${plural(totals.messages, 'message')} (${formatBytes(totals.bytes)}) relayed, ${plural(totals.errors, 'error')}, ${plural(totals.drops, 'drop')}, ` +
    `${formatRate(totals.messagesPerSecond)} msg/s; hub up ${formatDuration(snapshot.now - snapshot.startedAt)}`;
  const table = rows.length === 0 ? ['no modules are connected'] : formatTable(columns(TABLE_HEADERS), rows, numeric);
  return [...table, summary, ...(snapshot.federation === undefined ? [] : [busLine(snapshot.federation)])];
}

/** Whether the hub is on its bus now, and which other hubs it hears. */
function busLine(federation: FederationStatus): string {
  const others = federation.hubs.length === 0 ? 'no other hubs' : `other hubs: ${federation.hubs.map((hub) => `${hub.name} (${plural(hub.modules, 'module')})`).join(', ')}`;
  return federation.connected
    ? `bus ${federation.bus}: hub ${federation.hub}, federated via NATS at ${federation.url}; ${others}`
    : `bus ${federation.bus}: hub ${federation.hub} is NOT federated: ${federation.status}; only its own modules are listed`;
}

/** The peer's command line (or executable), escaped onto one line and cut to COMMAND_COLUMN_CHARS. */
function commandCell(info: ModuleInfo): string {
  const text = info.cmdline !== undefined ? info.cmdline.join(' ') : (info.exe ?? '');
  if (text === '') return '-';
  const line = escapeBytes(Buffer.from(text, 'utf8'));
  return line.length > COMMAND_COLUMN_CHARS ? `${line.slice(0, COMMAND_COLUMN_CHARS - 1)}…` : line;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

// ---------------------------------------------------------------- long-running clients

/**
 * Tells the user on stderr when a reconnecting client loses the hub and when it is back. The note
 * waits for the first 'reconnecting' so that a disconnect the client will not retry (a kick) is
 * reported by runUntil instead of promising a reconnect.
 */
function followConnection(client: RelayClient, hub: HubConnectionFlags): void {
  let reason: Error | undefined;
  client.on('disconnect', ({ error }: { error?: Error }) => {
    reason = error;
  });
  client.on('reconnecting', ({ attempt }: { attempt: number }) => {
    if (attempt === 1) note(`disconnected from ${hub.socketDescription}${reason === undefined ? '' : ` (${reason.message})`}; reconnecting`);
  });
  client.on('reconnect', () => note(`reconnected to ${hub.socketDescription} as ${client.id}`));
}

/**
 * Runs until `done` settles or the client stops for good (kicked, or refused while reconnecting),
 * then closes the client and makes sure everything printed reached stdout.
 */
async function runUntil(client: RelayClient, hub: HubConnectionFlags, done: Promise<unknown>): Promise<number> {
  let lastError: Error | undefined;
  client.on('disconnect', ({ error }: { error?: Error }) => {
    lastError = error;
  });
  const stopped = new Promise<'stopped'>((resolve) => client.once('close', () => resolve('stopped')));
  const outcome = await Promise.race([done, stopped]);
  if (outcome === 'stopped') {
    // The full message keeps the code name: "KICKED: reason" says more than the reason alone.
    throw new CommandError(`disconnected from ${hub.socketDescription}${lastError === undefined ? '' : ` (${lastError.message})`}; not reconnecting`);
  }
  await client.close();
  await flushOutput();
  return 0;
}
