import { EventEmitter } from 'node:events';
import { encodeBye, encodeHello, encodeInject, encodeKick, encodeList, encodeMessage, encodeStats, encodeSubscribePresence, type Welcome } from '../protocol/frameCodec';
import type { HubSnapshot } from '../hub/hubEvents';
import { moduleIdProblem } from '../protocol/moduleId';
import { PendingOperations } from '../protocol/PendingOperations';
import { ErrorCode, HelloFlag, MESSAGE_KIND_NAMES, MessageKind } from '../protocol/protocol';
import { defaultSocket, formatSocketAddress, parseSocketAddress, type SocketAddress } from '../sockets/socketAddress';
import type { InjectRequest, ModuleIdentity, ReceivedMessage, RelayClientEvents, RelayClientOptions } from './clientTypes';
import { Connection } from './Connection';
import { ClosedError, RelayError, TimeoutError } from './errors';
import { allowedHubUid } from './hubOwner';
import { IncomingFrames, type Answer, type Awaiting } from './IncomingFrames';
import { Outbox } from './Outbox';
import { Reconnector } from './Reconnector';

type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'closing' | 'closed';

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** Where correlation IDs start unless the options say (clientTypes.ts, firstCorrelationId, says why). */
function randomCorrelationStart(): number {
  return 1 + Math.floor(Math.random() * 0xffff_ffff);
}

/**
 * A module's (or monitor's) connection to a Relayscope hub. Create it with RelayClient.connect().
 * After an unexpected disconnect it reconnects by itself, buffering sends meanwhile.
 *
 * This class owns the client's life (connecting, registered, reconnecting, closed) and its API; it
 * wires the parts: a Connection per socket (handshake, framing, keepalive), IncomingFrames (the hub's
 * frames to events and answers), PendingOperations (operations waiting for an answer), the Outbox
 * (sends while not registered) and the Reconnector (backoff and attempts).
 */
export class RelayClient extends EventEmitter<RelayClientEvents> {
  private readonly address: SocketAddress;
  private readonly socketName: string;
  private readonly monitor: boolean;
  private readonly token: string;
  private readonly allowHubUid: number | undefined;
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly reconnector: Reconnector | null;

  private state: ClientState = 'connecting';
  /** The connection registered or being opened; null while none is. */
  private connection: Connection | null = null;
  private currentId: string;
  private currentWelcome!: Welcome;
  private presenceWanted: boolean;

  private readonly pending: PendingOperations<Awaiting, unknown>;
  private readonly incoming: IncomingFrames;
  private readonly outbox: Outbox;
  /** A send returned false, so a 'drain' is owed once writes are accepted again. */
  private drainOwed = false;

  private readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  private constructor(options: RelayClientOptions) {
    super();
    this.address = parseSocketAddress(options.socket ?? defaultSocket());
    this.socketName = formatSocketAddress(this.address);
    this.monitor = options.monitor ?? false;
    this.currentId = options.id;
    this.token = options.token ?? '';
    this.allowHubUid = options.allowHubUid ?? allowedHubUid();
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.reconnector = Reconnector.fromOption(options.reconnect);
    this.outbox = new Outbox(options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES);
    this.presenceWanted = options.presence ?? false;
    this.pending = new PendingOperations<Awaiting, unknown>({ start: options.firstCorrelationId ?? randomCorrelationStart() });
    this.incoming = new IncomingFrames(this, this.pending, {
      delivering: () => this.state === 'connected',
      // Not while earlier writes wait for the hub to read them: those bytes answer its PING when it reads
      // (PROTOCOL.md 4.4, 5.5), and a hub that floods PINGs and reads nothing must not grow our buffer.
      write: (frame) => {
        if (this.connection?.writesWaiting === false) this.write(frame);
      },
      hubClosing: (error) => this.connection?.recordHubError(error),
    });
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
      await client.register(0);
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
    return this.transmit(this.messageFrame(MessageKind.UNICAST, to, payload, 0));
  }

  /** Sends to every other module. Returns false under backpressure. */
  broadcast(payload: Uint8Array | string): boolean {
    return this.transmit(this.messageFrame(MessageKind.BROADCAST, '', payload, 0));
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
    return this.transmit(this.messageFrame(MessageKind.REPLY, request.source, payload, request.correlationId));
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

  /**
   * Monitors: the connected modules in registration order with who is behind each (pid, uid, gid,
   * exe, cmdline; framing for plain programs). Read from STATS: LIST_REPLY carries IDs only, and the
   * hub answers STATS for monitors only.
   */
  async listModules(): Promise<ModuleIdentity[]> {
    this.assertMonitor('listModules()');
    const { modules } = await this.stats();
    return modules.map(({ role: _role, stats: _stats, ...identity }) => identity);
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
    return this.operation<void>('ok', '', this.requestTimeoutMs, `no answer to KICK from the hub within ${this.requestTimeoutMs} ms`, (correlationId) => encodeKick(correlationId, id, reason));
  }

  /**
   * Says BYE, ends the connection and stops reconnecting; resolves when closed. Pending operations
   * reject with ClosedError and sends still buffered for a reconnect are dropped.
   */
  close(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return this.closed;
    this.state = 'closing';
    this.reconnector?.cancel();
    this.pending.rejectAll(new ClosedError('the client was closed'));
    this.outbox.clear();
    const connection = this.connection;
    if (connection?.registered) {
      connection.end(encodeBye(0, 'client closed'));
    } else {
      connection?.abandon(new ClosedError('the client was closed while connecting'));
      this.finish();
    }
    return this.closed;
  }

  // ---------------------------------------------------------------- connection life

  /** Opens a connection and registers on it; `attempt` counts reconnect attempts, 0 for connect(). */
  private async register(attempt: number): Promise<void> {
    // Monitors ask for TRAFFIC_RUN: the hub forwards relayed frames without re-encoding them for us.
    const flags = (this.monitor ? HelloFlag.MONITOR | HelloFlag.TRAFFIC_RUNS : 0) | (attempt > 0 && !this.monitor ? HelloFlag.TAKEOVER : 0);
    const connection: Connection = new Connection(
      { address: this.address, socketName: this.socketName, hello: encodeHello({ flags, id: this.currentId, token: this.token }), timeoutMs: this.connectTimeoutMs, allowHubUid: this.allowHubUid },
      { frame: this.incoming.visit, drain: () => this.onDrain(connection), closed: (error) => this.onConnectionClosed(connection, error) },
    );
    this.connection = connection;
    let welcome: Welcome;
    try {
      welcome = await connection.open();
    } catch (err) {
      if (this.connection === connection) this.connection = null;
      throw err;
    }
    // close() ended the connection with BYE in the moment between WELCOME and here.
    if (this.state === 'closing' || this.state === 'closed') throw new ClosedError('the client was closed while connecting');
    this.currentWelcome = welcome;
    this.currentId = welcome.id;
    this.state = 'connected';
    // Not awaited, so connect() resolves on WELCOME; a failure here is followed by a disconnect, which reports it.
    if (this.presenceWanted) this.presenceCommand(true).catch(() => {});
    if (attempt > 0) {
      this.flushOutbox();
      this.emit('reconnect', { attempts: attempt });
    }
  }

  private onConnectionClosed(connection: Connection, error: Error | undefined): void {
    if (connection !== this.connection) return;
    this.connection = null;
    if (this.state === 'closing') {
      this.finish();
      return;
    }
    this.pending.rejectAll(new ClosedError(`the connection to the hub was lost${error ? `: ${error.message}` : ''}`));
    // A kick is the operator's decision, so coming back would defeat it.
    const kicked = error instanceof RelayError && error.code === ErrorCode.KICKED;
    const reconnector = kicked ? null : this.reconnector;
    this.state = reconnector === null ? 'closing' : 'reconnecting';
    this.emit('disconnect', error === undefined ? {} : { error });
    if (reconnector === null) this.finish();
    else if (this.state === 'reconnecting') void this.reconnect(reconnector);
  }

  private async reconnect(reconnector: Reconnector): Promise<void> {
    const outcome = await reconnector.run({
      wanted: () => this.state === 'reconnecting',
      waiting: (attempt, delayMs) => this.emit('reconnecting', { attempt, delayMs }),
      attempt: (attempt) => this.register(attempt),
    });
    if (outcome.kind === 'refused') {
      this.state = 'closing';
      this.emit('disconnect', { error: outcome.error });
    }
    if (outcome.kind === 'refused' || outcome.kind === 'exhausted') this.finish();
  }

  private finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.reconnector?.cancel();
    this.pending.rejectAll(new ClosedError('the client was closed'));
    this.outbox.clear();
    this.emit('close');
    this.resolveClosed();
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
   * the hub ending the connection and the socket closing. `operation` is the correlation ID of the
   * operation the frame starts. Returns false under backpressure.
   */
  private transmit(frame: Buffer, operation?: number): boolean {
    if (this.state === 'connected' && this.connection?.writable) return this.write(frame);
    if (this.state === 'closing' || this.state === 'closed') throw new ClosedError('the client is closed');
    this.outbox.add(frame, operation);
    this.drainOwed = true;
    return false;
  }

  private write(frame: Buffer): boolean {
    if (this.connection === null) return false;
    const accepted = this.connection.write(frame);
    if (!accepted) this.drainOwed = true;
    return accepted;
  }

  /** Sends what was buffered while disconnected, in order, skipping operations that already timed out. */
  private flushOutbox(): void {
    let accepted = true;
    for (const { frame, operation } of this.outbox.takeAll()) {
      if (operation !== undefined && !this.pending.has(operation)) continue;
      accepted = this.write(frame);
    }
    if (accepted && this.drainOwed) {
      this.drainOwed = false;
      this.emit('drain');
    }
  }

  private onDrain(connection: Connection): void {
    if (connection === this.connection && this.state === 'connected' && this.drainOwed) {
      this.drainOwed = false;
      this.emit('drain');
    }
  }

  private presenceCommand(on: boolean): Promise<void> {
    return this.operation<void>('ok', '', this.requestTimeoutMs, `no answer to SUBSCRIBE_PRESENCE from the hub within ${this.requestTimeoutMs} ms`, (correlationId) =>
      encodeSubscribePresence(correlationId, on),
    );
  }

  /**
   * Sends the frame `frameFor` builds with a fresh correlation ID (or `fixedCorrelationId`) and
   * resolves with the hub's answer to it.
   */
  private operation<T>(answer: Answer, peer: string, timeoutMs: number, timeoutMessage: string, frameFor: (correlationId: number) => Buffer, fixedCorrelationId?: number): Promise<T> {
    if (this.state === 'closing' || this.state === 'closed') return Promise.reject(new ClosedError('the client is closed'));
    let started: { id: number; promise: Promise<unknown> };
    try {
      started = this.pending.start({ answer, peer }, { timeoutMs, onTimeout: () => new TimeoutError(timeoutMessage, timeoutMs), id: fixedCorrelationId });
    } catch (err) {
      return Promise.reject(err);
    }
    try {
      this.transmit(frameFor(started.id), started.id);
    } catch (err) {
      this.pending.reject(started.id, err as Error);
    }
    return started.promise as Promise<T>;
  }
}

function toBuffer(payload: Uint8Array | string): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}
