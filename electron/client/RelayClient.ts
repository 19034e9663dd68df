import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import {
  encodeBye,
  encodeHello,
  encodeInject,
  encodeKick,
  encodeList,
  encodeMessage,
  encodePing,
  encodeStats,
  encodeSubscribePresence,
  FrameDecoder,
  FrameError,
  parseBye,
  parseCorrelationOnly,
  parseError,
  parseEvent,
  parseListReply,
  parseMessage,
  parsePresence,
  parseStatsReply,
  parseTraffic,
  parseTrafficRun,
  parseWelcome,
  type EventFrame,
  type TrafficFrame,
  type Welcome,
} from '../protocol/frameCodec';
import type { HubSnapshot } from '../hub/hubEvents';
import { moduleIdProblem } from '../protocol/moduleId';
import {
  DEFAULT_MAX_PAYLOAD,
  ErrorCode,
  FrameType,
  HelloFlag,
  LENGTH_PREFIX_BYTES,
  MESSAGE_KIND_NAMES,
  MessageKind,
  maxFrameLength,
  PresenceEvent,
  type MessageKindName,
} from '../protocol/protocol';
import { connectSocket, defaultSocket, formatSocketAddress, parseSocketAddress, type SocketAddress } from '../sockets/socketAddress';
import { BackpressureError, ClosedError, ConnectError, RelayError, TimeoutError } from './errors';

export interface ReconnectOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
  maxAttempts?: number;
}

export interface RelayClientOptions {
  /** Module ID (for a monitor: optional requested name, '' to let the hub pick one). */
  id: string;
  /** A path, '@name' or 'tcp://host:port'; defaultSocket() when omitted. */
  socket?: string;
  /** Connect as a monitor (HELLO with HelloFlag.MONITOR). */
  monitor?: boolean;
  token?: string;
  /** Covers connecting and waiting for WELCOME; default 5000. */
  connectTimeoutMs?: number;
  /** Default timeout of request(), list(), stats(), inject(), kick() and subscribePresence(); default 5000. */
  requestTimeoutMs?: number;
  /** Default true: 100 ms doubling to 5 s, jittered, unlimited attempts. */
  reconnect?: boolean | ReconnectOptions;
  /** Subscribe to presence after every (re)connect. */
  presence?: boolean;
  /** Bytes of sends buffered while disconnected or reconnecting (default 8 MiB); beyond it send() throws BackpressureError. */
  maxBufferedBytes?: number;
}

export interface ReceivedMessage {
  kind: MessageKindName;
  source: string;
  correlationId: number;
  payload: Buffer;
  /** The payload decoded as UTF-8. */
  text(): string;
}

export interface PresenceNotice {
  event: 'join' | 'leave';
  id: string;
}

export interface InjectRequest {
  /** Source the receiver sees; '' or omitted for the monitor's own ID. */
  source?: string;
  /** Destination module; omitted or null for a broadcast. */
  destination?: string | null;
  /** Default: 'broadcast' without a destination, else 'unicast'. */
  kind?: MessageKindName;
  payload: Uint8Array | string;
  /** Correlation ID the injected message carries (e.g. to answer a real request). */
  correlationId?: number;
}

export interface RelayClientEvents {
  /** Every unicast, broadcast and request received (requests also emit 'request'). */
  message: [message: ReceivedMessage];
  request: [message: ReceivedMessage];
  presence: [notice: PresenceNotice];
  /** Monitors: a copy of each relayed message. */
  traffic: [traffic: TrafficFrame];
  /** Monitors: registry and error events. */
  hubEvent: [event: EventFrame];
  /** A non-fatal ERROR not matched to a pending operation, e.g. NO_SUCH_MODULE for a send(). */
  remoteError: [error: RelayError];
  /** The connection was lost unexpectedly (or the hub said BYE). */
  disconnect: [info: { error?: Error }];
  reconnecting: [info: { attempt: number; delayMs: number }];
  /** Registered again after a disconnect. */
  reconnect: [info: { attempts: number }];
  drain: [];
  /** Final: after close(), or when reconnecting is off, refused for good or exhausted. */
  close: [];
}

interface ReconnectPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  maxAttempts: number;
}

type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'closing' | 'closed';

/** What the hub answers an operation with. */
type Answer = 'reply' | 'list' | 'stats' | 'ok';

interface PendingOperation {
  answer: Answer;
  /** The module a reply must come from; also the ref of ERRORs about it. '' for operations on the hub. */
  peer: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** A frame waiting for the connection; `operation` is its pending correlation ID, 0 for plain messages. */
interface BufferedFrame {
  frame: Buffer;
  operation: number;
}

/** One connection to the hub, from its socket opening until it closes. */
interface Session {
  readonly socket: net.Socket;
  decoder: FrameDecoder;
  /** Bytes received before WELCOME, used to find where WELCOME ends in the chunk that completes it. */
  handshakeBytes: number;
  /** Settles openSession(); null once WELCOME or a failure arrived. */
  handshake: { resolve: (welcome: Welcome) => void; reject: (error: Error) => void; timer: NodeJS.Timeout } | null;
  registered: boolean;
  /** The fatal ERROR or BYE the hub sent before closing, reported with the disconnect. */
  hubError?: RelayError;
  socketError?: Error;
}

/**
 * Thrown out of the decoder's visitor at the first frame of a connection: the frames after WELCOME
 * belong to a decoder sized for the hub's announced limit, and push() has no other way to stop.
 */
class FirstFrame {
  constructor(
    readonly type: number,
    readonly body: Buffer,
    /** Offset in the current chunk just past the frame. */
    readonly endInChunk: number,
  ) {}
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const DEFAULT_RECONNECT: ReconnectPolicy = { initialDelayMs: 100, maxDelayMs: 5000, factor: 2, maxAttempts: Infinity };
/** How long close() waits for the hub to end the connection after BYE before destroying it. */
const CLOSE_GRACE_MS = 2000;
const MAX_CORRELATION_ID = 0xffffffff;
/**
 * LIST_REPLY and STATS_REPLY grow with the number of modules and have no bound of their own; this one
 * (the Python client's too) only keeps a corrupt stream from making the client allocate without limit.
 */
const MAX_LISTING_FRAME_LENGTH = 256 * 1024 * 1024;
/** A TRAFFIC_RUN's frames total at most this, unless the run is one larger MESSAGE frame (PROTOCOL.md 4.13). */
const MAX_RUN_BYTES = 1024 * 1024;
/** A TRAFFIC_RUN's length beyond its frames: type, u64 timestamp, the source as u8 length and up to 255 bytes, u32 count. */
const TRAFFIC_RUN_OVERHEAD = 1 + 8 + 1 + 255 + 4;
/** Refusals that retrying cannot change: reconnecting stops on them. */
const PERMANENT_REFUSALS: ReadonlySet<number> = new Set([ErrorCode.BAD_TOKEN, ErrorCode.INVALID_ID, ErrorCode.BAD_VERSION]);

/**
 * A module's (or monitor's) connection to a Relayscope hub. Create it with RelayClient.connect().
 * After an unexpected disconnect it reconnects by itself, buffering sends meanwhile.
 */
export class RelayClient extends EventEmitter<RelayClientEvents> {
  private readonly address: SocketAddress;
  private readonly socketName: string;
  private readonly monitor: boolean;
  private readonly token: string;
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly reconnectPolicy: ReconnectPolicy | null;
  private readonly maxBufferedBytes: number;

  private state: ClientState = 'connecting';
  private session: Session | null = null;
  private currentId: string;
  private currentWelcome!: Welcome;
  private presenceWanted: boolean;
  /** The attempt that is reconnecting, 0 when the session being opened is not a reconnect. */
  private reconnectAttempt = 0;
  private cancelPause: (() => void) | null = null;

  private readonly pending = new Map<number, PendingOperation>();
  private nextCorrelationId = 1;
  private outbox: BufferedFrame[] = [];
  private outboxBytes = 0;
  /** A send returned false, so a 'drain' is owed once writes are accepted again. */
  private drainOwed = false;

  private keepaliveTimer: NodeJS.Timeout | null = null;
  private lastSentAt = performance.now();

  private readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  private constructor(options: RelayClientOptions) {
    super();
    this.address = parseSocketAddress(options.socket ?? defaultSocket());
    this.socketName = formatSocketAddress(this.address);
    this.monitor = options.monitor ?? false;
    this.currentId = options.id;
    this.token = options.token ?? '';
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.reconnectPolicy = reconnectPolicy(options.reconnect);
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.presenceWanted = options.presence ?? false;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /**
   * Connects and registers; resolves after WELCOME. Attach listeners right away: nothing received is
   * emitted before the turn after it resolves.
   * Rejects with ConnectError, RelayError (the hub refused) or TimeoutError; this first attempt is not retried.
   */
  static async connect(options: RelayClientOptions): Promise<RelayClient> {
    const client = new RelayClient(options);
    try {
      await client.openSession(false);
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  /** The ID the hub confirmed in WELCOME (monitors get one assigned). */
  get id(): string {
    return this.currentId;
  }

  /** The hub's limits from the latest WELCOME. */
  get welcome(): Welcome {
    return this.currentWelcome;
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  // ---------------------------------------------------------------- messages

  /** Sends a unicast. Returns false under backpressure: wait for 'drain' before sending more. */
  send(to: string, payload: Uint8Array | string): boolean {
    return this.transmit(this.messageFrame(MessageKind.UNICAST, to, payload, 0), 0);
  }

  /** Sends to every other module. Returns false under backpressure. */
  broadcast(payload: Uint8Array | string): boolean {
    return this.transmit(this.messageFrame(MessageKind.BROADCAST, '', payload, 0), 0);
  }

  /** Sends a request and resolves with the reply; rejects with RelayError (e.g. NO_SUCH_MODULE, PEER_GONE) or TimeoutError. */
  request(to: string, payload: Uint8Array | string, options: { timeoutMs?: number } = {}): Promise<ReceivedMessage> {
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    return this.operation<ReceivedMessage>('reply', to, timeoutMs, `no reply from "${to}" within ${timeoutMs} ms`, (correlationId) =>
      this.messageFrame(MessageKind.REQUEST, to, payload, correlationId),
    );
  }

  /** Answers a received request. Returns false under backpressure. */
  reply(request: ReceivedMessage, payload: Uint8Array | string): boolean {
    if (request.kind !== 'request') throw new Error(`only a request can be replied to; this message is a ${request.kind}`);
    return this.transmit(this.messageFrame(MessageKind.REPLY, request.source, payload, request.correlationId), 0);
  }

  // ---------------------------------------------------------------- hub operations

  /** The IDs of the modules connected to the hub. */
  list(): Promise<string[]> {
    return this.operation<string[]>('list', '', this.requestTimeoutMs, `no LIST_REPLY from the hub within ${this.requestTimeoutMs} ms`, encodeList);
  }

  /** Turns PRESENCE notices on or off; the choice is repeated after every reconnect. */
  subscribePresence(on = true): Promise<void> {
    this.presenceWanted = on;
    return this.presenceCommand(on);
  }

  /** Monitors: the hub's statistics snapshot. */
  async stats(): Promise<HubSnapshot> {
    this.assertMonitor('stats()');
    return this.operation<HubSnapshot>('stats', '', this.requestTimeoutMs, `no STATS_REPLY from the hub within ${this.requestTimeoutMs} ms`, encodeStats);
  }

  /** Monitors: has the hub relay a message as if `source` sent it; resolves on OK, rejects with RelayError. */
  async inject(options: InjectRequest): Promise<void> {
    this.assertMonitor('inject()');
    const destination = options.destination ?? '';
    const kindName = options.kind ?? (destination === '' ? 'broadcast' : 'unicast');
    const kind = MESSAGE_KIND_NAMES.indexOf(kindName);
    if (kind < 0) throw new RangeError(`unknown message kind "${kindName}"; use unicast, broadcast, request or reply`);
    this.assertPayloadFits(options.payload);
    // The hub gives the injected message the INJECT frame's correlation ID and acknowledges with the
    // same one, so a correlation ID the caller chooses also identifies the command.
    return this.operation<void>(
      'ok',
      '',
      this.requestTimeoutMs,
      `no answer to INJECT from the hub within ${this.requestTimeoutMs} ms`,
      (correlationId) => encodeInject({ kind: kind as MessageKind, correlationId, source: options.source ?? '', destination, payload: toBuffer(options.payload) }),
      options.correlationId,
    );
  }

  /** Monitors: disconnects a module with KICKED; rejects with RelayError NO_SUCH_MODULE when it is not connected. */
  async kick(id: string, reason = ''): Promise<void> {
    this.assertMonitor('kick()');
    return this.operation<void>('ok', '', this.requestTimeoutMs, `no answer to KICK from the hub within ${this.requestTimeoutMs} ms`, (correlationId) =>
      encodeKick(correlationId, id, reason),
    );
  }

  /**
   * Says BYE, ends the connection and stops reconnecting; resolves when closed. Pending operations
   * reject with ClosedError and sends still buffered for a reconnect are dropped.
   */
  close(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return this.closed;
    this.state = 'closing';
    this.cancelPause?.();
    this.rejectPending(new ClosedError('the client was closed'));
    this.discardOutbox();
    const session = this.session;
    if (session !== null && session.registered) {
      const timer = setTimeout(() => session.socket.destroy(), CLOSE_GRACE_MS);
      session.socket.once('close', () => clearTimeout(timer));
      session.socket.end(encodeBye(0, 'client closed'));
    } else {
      if (session !== null) this.failHandshake(session, new ClosedError('the client was closed while connecting'));
      this.finish();
    }
    return this.closed;
  }

  // ---------------------------------------------------------------- connecting

  /** Connects, says HELLO and resolves with WELCOME; the session is installed by then. */
  private async openSession(takeover: boolean): Promise<Welcome> {
    // Monitors ask for TRAFFIC_RUN: the hub forwards relayed frames without re-encoding them for us.
    const flags = (this.monitor ? HelloFlag.MONITOR | HelloFlag.TRAFFIC_RUNS : 0) | (takeover && !this.monitor ? HelloFlag.TAKEOVER : 0);
    const hello = encodeHello({ flags, id: this.currentId, token: this.token });
    const startedAt = performance.now();
    let socket: net.Socket;
    try {
      socket = await connectSocket(this.address, this.connectTimeoutMs);
    } catch (err) {
      throw connectFailure(this.socketName, err, this.connectTimeoutMs);
    }
    if (this.state === 'closing' || this.state === 'closed') {
      socket.destroy();
      throw new ClosedError('the client was closed while connecting');
    }
    if (this.address.kind === 'tcp') socket.setNoDelay(true);
    const remainingMs = Math.max(0, this.connectTimeoutMs - (performance.now() - startedAt));
    return new Promise<Welcome>((resolve, reject) => {
      const timer = setTimeout(
        () => this.failHandshake(session, new TimeoutError(`no WELCOME from the hub at ${this.socketName} within ${this.connectTimeoutMs} ms`, this.connectTimeoutMs)),
        remainingMs,
      );
      const session: Session = { socket, decoder: new FrameDecoder(maxFrameLength(DEFAULT_MAX_PAYLOAD)), handshakeBytes: 0, handshake: { resolve, reject, timer }, registered: false };
      this.session = session;
      socket.on('data', (chunk: Buffer) => this.onData(session, chunk));
      socket.on('error', (err) => {
        session.socketError ??= err;
      });
      socket.on('close', () => this.onSocketClose(session));
      socket.on('drain', () => {
        if (session === this.session && this.state === 'connected' && this.drainOwed) {
          this.drainOwed = false;
          this.emit('drain');
        }
      });
      socket.write(hello);
    });
  }

  private onData(session: Session, chunk: Buffer): void {
    if (session.registered) {
      this.decode(session, chunk);
      return;
    }
    if (session.handshake === null) return;
    let first: FirstFrame | null = null;
    try {
      session.decoder.push(chunk, (type, buf, start, end) => {
        // WELCOME is the connection's first frame, so when it spans chunks its end in this chunk
        // follows from the bytes received before it.
        throw new FirstFrame(type, Buffer.from(buf.subarray(start, end)), buf === chunk ? end : LENGTH_PREFIX_BYTES + end - session.handshakeBytes);
      });
    } catch (err) {
      if (err instanceof FirstFrame) first = err;
      else if (err instanceof FrameError) this.failHandshake(session, this.protocolFailure(err));
      else throw err;
    }
    if (first === null) {
      session.handshakeBytes += chunk.length;
      return;
    }
    this.handleFirstFrame(session, first);
    if (session.registered && first.endInChunk < chunk.length) {
      // connect() resolves in this turn and its caller attaches listeners after that: frames that
      // came with WELCOME wait for the next turn, the socket paused so later reads stay behind them.
      const rest = chunk.subarray(first.endInChunk);
      session.socket.pause();
      setImmediate(() => {
        this.decode(session, rest);
        session.socket.resume();
      });
    }
  }

  private handleFirstFrame(session: Session, first: FirstFrame): void {
    const { type, body } = first;
    try {
      if (type === FrameType.WELCOME) {
        this.install(session, parseWelcome(body, 0, body.length));
      } else if (type === FrameType.ERROR) {
        const error = parseError(body, 0, body.length);
        this.failHandshake(session, new RelayError(error.code, error.message, { ref: error.ref, correlationId: error.correlationId }));
      } else if (type === FrameType.BYE) {
        const bye = parseBye(body, 0, body.length);
        this.failHandshake(session, new RelayError(bye.code, bye.reason || 'the hub said goodbye', { fatal: true }));
      } else {
        this.failHandshake(session, new ConnectError(`the hub at ${this.socketName} answered HELLO with frame type 0x${type.toString(16).padStart(2, '0')} instead of WELCOME`, this.socketName, 'EPROTO'));
      }
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      this.failHandshake(session, this.protocolFailure(err));
    }
  }

  private protocolFailure(err: FrameError): ConnectError {
    return new ConnectError(`the hub at ${this.socketName} sent an invalid frame: ${err.message}`, this.socketName, 'EPROTO', err);
  }

  /** Registers a session on WELCOME; after a reconnect also restores presence and flushes what was buffered. */
  private install(session: Session, welcome: Welcome): void {
    const handshake = session.handshake;
    if (handshake === null) return;
    session.handshake = null;
    clearTimeout(handshake.timer);
    session.registered = true;
    session.decoder = new FrameDecoder(hubFrameLimit(welcome.maxPayload));
    this.currentWelcome = welcome;
    this.currentId = welcome.id;
    this.state = 'connected';
    this.startKeepalive(welcome.idleTimeoutMs);
    // Not awaited, so connect() resolves on WELCOME; a failure here is followed by a disconnect, which reports it.
    if (this.presenceWanted) this.presenceCommand(true).catch(() => {});
    const attempts = this.reconnectAttempt;
    if (attempts > 0) {
      this.reconnectAttempt = 0;
      this.flushOutbox();
    }
    handshake.resolve(welcome);
    if (attempts > 0) this.emit('reconnect', { attempts });
  }

  private failHandshake(session: Session, error: Error): void {
    const handshake = session.handshake;
    if (handshake === null) return;
    session.handshake = null;
    clearTimeout(handshake.timer);
    session.socket.destroy();
    if (this.session === session) this.session = null;
    handshake.reject(error);
  }

  private onSocketClose(session: Session): void {
    if (session.handshake !== null) {
      const cause = session.socketError as NodeJS.ErrnoException | undefined;
      this.failHandshake(
        session,
        session.hubError ??
          new ConnectError(`the hub at ${this.socketName} closed the connection before WELCOME${cause ? `: ${cause.message}` : ''}`, this.socketName, cause?.code ?? 'ECONNRESET', cause),
      );
    }
    if (session !== this.session) return;
    this.session = null;
    this.stopKeepalive();
    if (this.state === 'closing') this.finish();
    else if (session.registered) this.connectionLost(session.hubError ?? session.socketError);
  }

  private connectionLost(error: Error | undefined): void {
    this.rejectPending(new ClosedError(`the connection to the hub was lost${error ? `: ${error.message}` : ''}`));
    // A kick is the operator's decision, so coming back would defeat it.
    const kicked = error instanceof RelayError && error.code === ErrorCode.KICKED;
    const policy = kicked ? null : this.reconnectPolicy;
    this.state = policy === null ? 'closing' : 'reconnecting';
    this.emit('disconnect', error === undefined ? {} : { error });
    if (policy === null) this.finish();
    else if (this.state === 'reconnecting') void this.reconnect(policy);
  }

  private async reconnect(policy: ReconnectPolicy): Promise<void> {
    for (let attempt = 1; this.state === 'reconnecting'; attempt++) {
      if (attempt > policy.maxAttempts) {
        this.finish();
        return;
      }
      const delayMs = backoffDelay(policy, attempt);
      this.emit('reconnecting', { attempt, delayMs });
      if (this.state !== 'reconnecting') return;
      await this.pause(delayMs);
      if (this.state !== 'reconnecting') return;
      this.reconnectAttempt = attempt;
      try {
        await this.openSession(true);
        return;
      } catch (err) {
        if (err instanceof RelayError && PERMANENT_REFUSALS.has(err.code) && this.state === 'reconnecting') {
          this.state = 'closing';
          this.emit('disconnect', { error: err });
          this.finish();
          return;
        }
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.cancelPause = null;
        resolve();
      }, ms);
      this.cancelPause = () => {
        clearTimeout(timer);
        this.cancelPause = null;
        resolve();
      };
    });
  }

  private finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.stopKeepalive();
    this.cancelPause?.();
    this.rejectPending(new ClosedError('the client was closed'));
    this.discardOutbox();
    this.emit('close');
    this.resolveClosed();
  }

  /** PINGs the hub whenever a third of its idle timeout passes without anything sent, so an idle client is never timed out. */
  private startKeepalive(idleTimeoutMs: number): void {
    this.stopKeepalive();
    if (idleTimeoutMs <= 0) return;
    const quietMs = idleTimeoutMs / 3;
    this.keepaliveTimer = setInterval(() => {
      if (this.state === 'connected' && performance.now() - this.lastSentAt >= quietMs) this.write(encodePing(FrameType.PING));
    }, Math.max(10, Math.floor(idleTimeoutMs / 6)));
    this.keepaliveTimer.unref();
  }

  private stopKeepalive(): void {
    if (this.keepaliveTimer !== null) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = null;
  }

  // ---------------------------------------------------------------- receiving

  private decode(session: Session, chunk: Buffer): void {
    if (session !== this.session) return;
    try {
      session.decoder.push(chunk, this.visitFrame);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      session.socket.destroy(new Error(`the hub sent an invalid frame: ${err.message}`));
    }
  }

  private readonly visitFrame = (type: number, buf: Buffer, start: number, end: number): void => {
    // After close() (possibly called by a listener for an earlier frame of this chunk) nothing more is delivered.
    if (this.state !== 'connected') return;
    switch (type) {
      case FrameType.MESSAGE:
        this.handleMessage(buf, start, end);
        return;
      case FrameType.PING:
        this.write(encodePing(FrameType.PONG, buf.subarray(start, Math.min(end, start + 8))));
        return;
      case FrameType.ERROR:
        this.handleError(buf, start, end);
        return;
      case FrameType.BYE: {
        const bye = parseBye(buf, start, end);
        if (this.session !== null) this.session.hubError = new RelayError(bye.code, bye.reason || 'the hub said goodbye', { fatal: true });
        return;
      }
      case FrameType.OK:
        this.takePending(parseCorrelationOnly(buf, start, end, 'OK'), 'ok', '')?.resolve(undefined);
        return;
      case FrameType.LIST_REPLY: {
        const reply = parseListReply(buf, start, end);
        this.takePending(reply.correlationId, 'list', '')?.resolve(reply.ids);
        return;
      }
      case FrameType.STATS_REPLY: {
        const reply = parseStatsReply(buf, start, end);
        const operation = this.takePending(reply.correlationId, 'stats', '');
        if (operation === undefined) return;
        try {
          operation.resolve(JSON.parse(reply.json) as HubSnapshot);
        } catch (err) {
          operation.reject(new Error(`the hub's STATS_REPLY is not valid JSON: ${(err as Error).message}`));
        }
        return;
      }
      case FrameType.PRESENCE: {
        const presence = parsePresence(buf, start, end);
        this.emit('presence', { event: presence.event === PresenceEvent.JOIN ? 'join' : 'leave', id: presence.id });
        return;
      }
      case FrameType.TRAFFIC: {
        const traffic = parseTraffic(buf, start, end);
        traffic.payload = keepable(traffic.payload);
        this.emit('traffic', traffic);
        return;
      }
      case FrameType.TRAFFIC_RUN:
        for (const traffic of parseTrafficRun(buf, start, end)) {
          traffic.payload = keepable(traffic.payload);
          this.emit('traffic', traffic);
        }
        return;
      case FrameType.EVENT:
        this.emit('hubEvent', parseEvent(buf, start, end));
        return;
      default:
      // PONG needs no action, and frame types this client does not know (a newer hub) are ignored.
    }
  };

  private handleMessage(buf: Buffer, start: number, end: number): void {
    const frame = parseMessage(buf, start, end);
    const kind = MESSAGE_KIND_NAMES[frame.kind];
    if (kind === undefined) return;
    const payload = keepable(frame.payload);
    const message: ReceivedMessage = { kind, source: frame.peer, correlationId: frame.correlationId, payload, text: () => payload.toString('utf8') };
    if (frame.kind === MessageKind.REPLY) {
      // A reply nobody waits for any more (its request timed out) is dropped.
      this.takePending(frame.correlationId, 'reply', frame.peer)?.resolve(message);
      return;
    }
    this.emit('message', message);
    if (frame.kind === MessageKind.REQUEST) this.emit('request', message);
  }

  private handleError(buf: Buffer, start: number, end: number): void {
    const frame = parseError(buf, start, end);
    const error = new RelayError(frame.code, frame.message, { ref: frame.ref, correlationId: frame.correlationId });
    if (error.fatal) {
      if (this.session !== null) this.session.hubError = error;
      return;
    }
    // The correlation ID alone could be a requester's, echoed back for a failed reply(); the ref
    // (the peer a request went to, '' for hub commands) tells the two apart.
    const operation = this.pending.get(frame.correlationId);
    if (operation !== undefined && operation.peer === frame.ref) {
      this.settle(frame.correlationId, operation);
      operation.reject(error);
      return;
    }
    this.emit('remoteError', error);
  }

  // ---------------------------------------------------------------- sending

  private messageFrame(kind: MessageKind, to: string, payload: Uint8Array | string, correlationId: number): Buffer {
    if (this.state === 'closing' || this.state === 'closed') throw new ClosedError('the client is closed');
    if (this.monitor) throw new Error('a monitor cannot send messages; use inject()');
    if (kind !== MessageKind.BROADCAST) {
      const problem = moduleIdProblem(to, { allowReserved: true });
      if (problem !== null) throw new RangeError(`cannot send to "${to}": ${problem}`);
    }
    this.assertPayloadFits(payload);
    return encodeMessage(kind, to, payload, correlationId);
  }

  private assertPayloadFits(payload: Uint8Array | string): void {
    const size = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength;
    const limit = this.currentWelcome.maxPayload;
    if (size > limit) throw new RangeError(`payload of ${size} bytes exceeds the hub's limit of ${limit}`);
  }

  private assertMonitor(what: string): void {
    if (!this.monitor) throw new Error(`${what} is only available to monitors; connect with { monitor: true }`);
  }

  /**
   * Writes a frame, or buffers it while the client is not registered, including the moment between
   * the hub ending the connection and the socket closing. Returns false under backpressure.
   */
  private transmit(frame: Buffer, operation: number): boolean {
    if (this.state === 'connected' && this.session?.socket.writable) return this.write(frame);
    if (this.state === 'closing' || this.state === 'closed') throw new ClosedError('the client is closed');
    if (this.outboxBytes + frame.length > this.maxBufferedBytes) {
      throw new BackpressureError(
        `cannot buffer ${frame.length} more bytes while the hub is unreachable: ${this.outboxBytes} of ${this.maxBufferedBytes} bytes are already waiting`,
        this.outboxBytes,
        this.maxBufferedBytes,
      );
    }
    this.outbox.push({ frame, operation });
    this.outboxBytes += frame.length;
    this.drainOwed = true;
    return false;
  }

  private write(frame: Buffer): boolean {
    const session = this.session;
    if (session === null) return false;
    this.lastSentAt = performance.now();
    const accepted = session.socket.write(frame);
    if (!accepted) this.drainOwed = true;
    return accepted;
  }

  /** Sends what was buffered while disconnected, in order, skipping operations that already timed out. */
  private flushOutbox(): void {
    const buffered = this.outbox;
    this.discardOutbox();
    let accepted = true;
    for (const { frame, operation } of buffered) {
      if (operation !== 0 && !this.pending.has(operation)) continue;
      accepted = this.write(frame);
    }
    if (accepted && this.drainOwed) {
      this.drainOwed = false;
      this.emit('drain');
    }
  }

  private discardOutbox(): void {
    this.outbox = [];
    this.outboxBytes = 0;
  }

  private presenceCommand(on: boolean): Promise<void> {
    return this.operation<void>('ok', '', this.requestTimeoutMs, `no answer to SUBSCRIBE_PRESENCE from the hub within ${this.requestTimeoutMs} ms`, (correlationId) =>
      encodeSubscribePresence(correlationId, on),
    );
  }

  // ---------------------------------------------------------------- pending operations

  /**
   * Sends the frame `frameFor` builds with a fresh correlation ID (or `fixedCorrelationId`) and
   * resolves with the hub's answer to it.
   */
  private operation<T>(answer: Answer, peer: string, timeoutMs: number, timeoutMessage: string, frameFor: (correlationId: number) => Buffer, fixedCorrelationId?: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.state === 'closing' || this.state === 'closed') {
        reject(new ClosedError('the client is closed'));
        return;
      }
      let correlationId: number;
      let frame: Buffer;
      try {
        correlationId = fixedCorrelationId === undefined ? this.allocateCorrelationId() : this.claimCorrelationId(fixedCorrelationId);
        frame = frameFor(correlationId);
      } catch (err) {
        reject(err);
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new TimeoutError(timeoutMessage, timeoutMs));
      }, timeoutMs);
      const operation: PendingOperation = { answer, peer, resolve: resolve as (value: unknown) => void, reject, timer };
      this.pending.set(correlationId, operation);
      try {
        this.transmit(frame, correlationId);
      } catch (err) {
        this.settle(correlationId, operation);
        reject(err);
      }
    });
  }

  private allocateCorrelationId(): number {
    let id: number;
    do {
      id = this.nextCorrelationId;
      this.nextCorrelationId = id === MAX_CORRELATION_ID ? 1 : id + 1;
    } while (this.pending.has(id));
    return id;
  }

  private claimCorrelationId(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id > MAX_CORRELATION_ID) throw new RangeError(`correlation ID ${id} is not a u32`);
    if (this.pending.has(id)) throw new Error(`correlation ID ${id} is already used by an operation still waiting for its answer`);
    return id;
  }

  /** Removes and returns the operation waiting for this answer, if any. */
  private takePending(correlationId: number, answer: Answer, peer: string): PendingOperation | undefined {
    const operation = this.pending.get(correlationId);
    if (operation === undefined || operation.answer !== answer || operation.peer !== peer) return undefined;
    this.settle(correlationId, operation);
    return operation;
  }

  private settle(correlationId: number, operation: PendingOperation): void {
    clearTimeout(operation.timer);
    this.pending.delete(correlationId);
  }

  private rejectPending(error: ClosedError): void {
    const operations = [...this.pending.values()];
    this.pending.clear();
    for (const operation of operations) {
      clearTimeout(operation.timer);
      operation.reject(error);
    }
  }
}

function reconnectPolicy(option: RelayClientOptions['reconnect']): ReconnectPolicy | null {
  if (option === false) return null;
  if (option === undefined || option === true) return DEFAULT_RECONNECT;
  return {
    initialDelayMs: option.initialDelayMs ?? DEFAULT_RECONNECT.initialDelayMs,
    maxDelayMs: option.maxDelayMs ?? DEFAULT_RECONNECT.maxDelayMs,
    factor: option.factor ?? DEFAULT_RECONNECT.factor,
    maxAttempts: option.maxAttempts ?? DEFAULT_RECONNECT.maxAttempts,
  };
}

/** Exponential backoff with jitter between half and all of the step, so many clients do not retry in lockstep. */
function backoffDelay(policy: ReconnectPolicy, attempt: number): number {
  const step = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (attempt - 1));
  return Math.round(step * (0.5 + Math.random() * 0.5));
}

/**
 * The longest frame the hub may send once WELCOME announced `maxPayload` (PROTOCOL.md 3.2). Most are at
 * most maxFrameLength(maxPayload), but LIST_REPLY and STATS_REPLY have no bound and a TRAFFIC_RUN may
 * hold 1 MiB of frames, or one frame of maxFrameLength(maxPayload), so with a small maxPayload both are
 * longer. The decoder checks a length before it has the type byte, so one bound covers every type.
 */
function hubFrameLimit(maxPayload: number): number {
  const longestRun = TRAFFIC_RUN_OVERHEAD + Math.max(MAX_RUN_BYTES, LENGTH_PREFIX_BYTES + maxFrameLength(maxPayload));
  return Math.max(MAX_LISTING_FRAME_LENGTH, longestRun);
}

function connectFailure(socketName: string, err: unknown, timeoutMs: number): Error {
  const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
  if (code === 'ETIMEDOUT') return new TimeoutError(`connecting to ${socketName} timed out after ${timeoutMs} ms`, timeoutMs);
  if (code === 'ECONNREFUSED' || code === 'ENOENT') return new ConnectError(`no hub is listening on ${socketName} (${code})`, socketName, code, err);
  if (code === 'EACCES' || code === 'EPERM') return new ConnectError(`permission denied connecting to ${socketName} (${code})`, socketName, code, err);
  return new ConnectError(`cannot connect to ${socketName}: ${(err as Error).message}`, socketName, code, err);
}

/** A payload the caller may keep: a view when it is most of its buffer, else a copy so a small message does not pin a whole read buffer. */
function keepable(bytes: Buffer): Buffer {
  return bytes.length * 2 >= bytes.buffer.byteLength ? bytes : Buffer.from(bytes);
}

function toBuffer(payload: Uint8Array | string): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}
