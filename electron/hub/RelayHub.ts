import type { Duplex } from 'node:stream';
import { encodeBye, encodeError, encodePing, encodePresence } from '../protocol/frameCodec';
import { DEFAULT_MAX_PAYLOAD, ErrorCode, errorName, FATAL_ERRORS, FrameType, HubEventCode, MAX_HELLO_FRAME_LENGTH, maxFrameLength, PresenceEvent } from '../protocol/protocol';
import { type AccessPolicy, admissionProblem } from './accessPolicy';
import { ControlFrames } from './ControlFrames';
import { Handshake } from './Handshake';
import { HubClock } from './HubClock';
import { HubConnection, type ConnectionOrigin } from './HubConnection';
import { HubCommandError, type HubCore } from './HubCore';
import { HubEndpoint, type InjectOptions, type InProcessReply } from './HubEndpoint';
import { HubEventStream } from './HubEventStream';
import type { HubEvent, HubLimits, HubSnapshot } from './hubEvents';
import { HubOutput } from './HubOutput';
import { HubStatistics } from './HubStatistics';
import { defaultMemoryBudget, MemoryBudget } from './MemoryBudget';
import { peerIdentity } from './peerIdentity';
import { InputFlow } from './InputFlow';
import { MonitorTap } from './MonitorTap';
import { Router } from './Router';
import { Recording, type HubRecordingOptions } from '../capture/Recording';
import { openTap, type TapHandle, type TapOptions } from './tap/tapListener';
import { Federation } from './federation/Federation';
import type { FederationOptions } from './federation/federationOptions';

export { HUB_ENDPOINT_ID, HubCommandError, HubTimeoutError } from './HubCore';
export type { InjectOptions, InProcessReply } from './HubEndpoint';
export type { Recording, HubRecordingOptions, RecordingStatus } from '../capture/Recording';

export interface RelayHubOptions {
  maxConnections?: number;
  /**
   * Connections that may wait for their HELLO at once (default maxConnections / 8, between 8 and
   * 128). One more makes the hub close the one that has waited longest, so connections that never
   * say HELLO cannot fill maxConnections and lock registrations out.
   */
  maxPendingConnections?: number;
  maxPayload?: number;
  /** Bytes a connection may have queued towards it before the slow-consumer policy applies. */
  queueLimit?: number;
  /** Close a connection silent for this long (it is PINGed at half of it); 0 disables. */
  idleTimeoutMs?: number;
  /** What happens to a module whose queue is full: disconnected (default), or its new messages dropped. */
  slowConsumerPolicy?: 'disconnect' | 'drop';
  /** Required in HELLO on listeners that ask for it (a non-loopback TCP bind always does). */
  token?: string;
  /** How long a TAKEOVER waits for the current holder of an ID to answer a PING. */
  takeoverProbeMs?: number;
  /** How long a connection may take to send HELLO. */
  handshakeTimeoutMs?: number;
  /** Interval of the in-process event batches (HubEventStreamOptions.batchMs). */
  eventBatchMs?: number;
  /** Message events per batch before the rest are counted as lost (HubEventStreamOptions). */
  maxPendingEvents?: number;
  /** Bytes of full payloads kept for RelayHub.payload() while anyone subscribes to events. */
  payloadStoreBytes?: number;
  /** Payloads kept for RelayHub.payload(), whatever their size. */
  payloadStoreEntries?: number;
  /**
   * Bytes the hub may hold for all connections together: partial frames, queued output and request
   * records (default: 1/8 of the machine's memory, between 64 MiB and 1 GiB). Beyond it the largest
   * holders are disconnected (MemoryBudget).
   */
  memoryBudget?: number;
  /** Called with one line per connect/disconnect/refusal, for a headless hub's log. */
  log?: (line: string) => void;
  /** Who may connect and who owns which module ID (--allow-uid, --allow-gid, --owner; accessPolicy.ts). */
  access?: AccessPolicy;
  /** Join a bus of hubs through NATS (--nats; docs/FEDERATION.md). */
  federation?: FederationOptions;
}

const DEFAULT_QUEUE_LIMIT = 8 * 1024 * 1024;

/**
 * The relay hub: the registry of connections and the wiring between the parts that handle them.
 * A read chunk goes decoder → handleFrame → Handshake (before WELCOME), Router (MESSAGE) or
 * ControlFrames (the rest); what they write is flushed once per chunk (HubOutput). It takes
 * connected duplex streams (attach); listeners.ts owns sockets and paths. ARCHITECTURE.md has the map.
 */
export class RelayHub implements HubCore {
  readonly limits: HubLimits;
  readonly modules = new Map<string, HubConnection>();
  readonly monitorsById = new Map<string, HubConnection>();
  readonly output = new HubOutput();
  readonly clock = new HubClock();
  readonly statistics = new HubStatistics();
  readonly events: HubEventStream;
  readonly log: (line: string) => void;
  readonly startedAt = Date.now();
  readonly access: AccessPolicy | null;
  /** The bus when federated (the router's view of it); null otherwise. */
  readonly bus: Federation | null;
  /** Counts joins and leaves of modules: answers built from the registry are reused while it holds. */
  registryVersion = 0;

  private readonly connections = new Set<HubConnection>();
  /** Connections accepted and not yet welcomed, oldest first (entries that left this state are dropped lazily). */
  private readonly pending = new Set<HubConnection>();
  private readonly maxPending: number;
  private readonly hasHubToken: boolean;
  private readonly handshakeTimeoutMs: number;
  private readonly hubUid = process.getuid?.();
  private readonly tap: MonitorTap;
  private readonly router: Router;
  private readonly endpoint: HubEndpoint;
  private readonly handshake: Handshake;
  private readonly control: ControlFrames;
  private readonly budget: MemoryBudget;
  private readonly input: InputFlow;
  private serial = 0;
  private closing = false;
  private readonly taps = new Set<TapHandle>();
  /** The recording running (or starting): one at a time. */
  private recording: Promise<Recording> | null = null;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(options: RelayHubOptions = {}) {
    this.limits = {
      maxConnections: options.maxConnections ?? 1024,
      maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      queueLimit: options.queueLimit ?? DEFAULT_QUEUE_LIMIT,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      slowConsumerPolicy: options.slowConsumerPolicy ?? 'disconnect',
      memoryBudget: options.memoryBudget ?? defaultMemoryBudget(),
    };
    if (!(this.limits.maxPayload > 0 && this.limits.maxPayload <= 0xffffffff - maxFrameLength(0))) {
      throw new RangeError(`maxPayload must be between 1 and ${0xffffffff - maxFrameLength(0)} bytes`);
    }
    this.maxPending = options.maxPendingConnections ?? Math.max(8, Math.min(128, Math.floor(this.limits.maxConnections / 8)));
    const token = options.token ? Buffer.from(options.token, 'utf8') : null;
    this.hasHubToken = token !== null;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.events = new HubEventStream({
      batchMs: options.eventBatchMs,
      maxPendingEvents: options.maxPendingEvents,
      payloadStoreBytes: options.payloadStoreBytes,
      payloadStoreEntries: options.payloadStoreEntries,
    });
    this.log = options.log ?? (() => {});
    this.budget = new MemoryBudget(this.limits.memoryBudget);
    this.tap = new MonitorTap(this.limits.queueLimit, this.output, this.clock, this.events);
    this.input = new InputFlow(this, this.tap, this.budget, () => this.connections);
    this.router = new Router(this, this.tap, (source, correlationId, payload) => this.endpoint.resolveReply(source, correlationId, payload));
    this.endpoint = new HubEndpoint(this, this.router, this.tap);
    this.access = options.access ?? null;
    this.handshake = new Handshake(this, this.tap, { token, access: this.access, takeoverProbeMs: options.takeoverProbeMs ?? 1000, maxFrame: maxFrameLength(this.limits.maxPayload) }, (conn, bytes) =>
      this.receive(conn, bytes),
    );
    this.control = new ControlFrames(this, this.endpoint, (id, reason) => this.kick(id, reason));
    const sweepEvery = Math.max(100, Math.min(1000, this.limits.idleTimeoutMs > 0 ? this.limits.idleTimeoutMs / 4 : 1000));
    this.sweepTimer = setInterval(() => this.sweep(), sweepEvery);
    this.sweepTimer.unref();
    this.bus = options.federation === undefined ? null : new Federation(this, options.federation);
  }

  get hasToken(): boolean {
    return this.hasHubToken;
  }

  // ---------------------------------------------------------------- connections

  /** Takes over a connected stream; the hub reads, writes and eventually destroys it. */
  attach(stream: Duplex, origin: ConnectionOrigin): void {
    const conn = new HubConnection(++this.serial, stream, origin, MAX_HELLO_FRAME_LENGTH);
    stream.on('error', (err) => {
      conn.leaveReason = `socket error: ${err.message}`;
    });
    stream.on('close', () => this.unregister(conn));
    if (this.closing) {
      this.refuse(conn, ErrorCode.SHUTDOWN, 'the hub is shutting down');
      return;
    }
    if (this.connections.size >= this.limits.maxConnections) {
      this.statistics.totals.connectionsRejected++;
      this.log(`refused a connection on ${origin.listener}: ${this.limits.maxConnections} connections already`);
      this.refuse(conn, ErrorCode.TOO_MANY_CONNECTIONS, `too many connections: the hub allows ${this.limits.maxConnections}`);
      return;
    }
    const notAdmitted = admissionProblem(this.access, origin, this.hubUid);
    if (notAdmitted !== null) {
      this.notPermitted(conn, notAdmitted);
      return;
    }
    this.makeRoomForPending();
    this.connections.add(conn);
    this.pending.add(conn);
    this.statistics.totals.connectionsAccepted++;
    const queueLimit = this.limits.queueLimit;
    conn.visitor = (type, buf, start, end) => {
      this.handleFrame(conn, type, buf, start, end);
      // Its own answers (LIST replies, errors, PONGs) went over the limit: the rest of the read waits
      // until they drain, so no read can make the hub build more than one answer past the bound.
      if (conn.dirty && conn.queuedBytes > queueLimit) return false;
    };
    stream.on('data', (chunk: Buffer) => this.receive(conn, chunk));
    stream.on('drain', () => this.input.resumeIfDrained(conn));
  }

  /** At most maxPending connections wait for HELLO: the one waiting longest gives way to a new one. */
  private makeRoomForPending(): void {
    if (this.pending.size < this.maxPending) return;
    for (const conn of this.pending) if (conn.role !== 'pending') this.pending.delete(conn);
    if (this.pending.size < this.maxPending) return;
    const oldest = this.pending.values().next().value as HubConnection;
    this.pending.delete(oldest);
    this.fail(oldest, ErrorCode.HELLO_REQUIRED, `${this.maxPending} connections are already waiting to say HELLO; this one had waited longest`);
  }

  private refuse(conn: HubConnection, code: number, message: string): void {
    conn.role = 'closed';
    conn.stream.end(encodeError({ code, correlationId: 0, ref: '', message }));
    this.destroyLater(conn);
  }

  private receive(conn: HubConnection, chunk: Buffer): void {
    if (conn.role === 'closed') return;
    const now = performance.now();
    conn.lastReceived = now;
    conn.pingOutstanding = false;
    this.input.handle(conn, chunk, now);
  }

  handleFrame(conn: HubConnection, type: number, buf: Buffer, start: number, end: number): void {
    if (conn.role === 'module') {
      if (type === FrameType.MESSAGE) this.router.relay(conn, buf, start, end);
      else this.control.handle(conn, type, buf, start, end);
    } else if (conn.role === 'monitor') {
      this.control.handle(conn, type, buf, start, end);
    } else if (conn.role === 'pending') {
      this.handshake.handle(conn, type, buf, start, end);
    }
  }

  sendError(conn: HubConnection, code: number, correlationId: number, ref: string, message: string): void {
    if (conn.role === 'closed') return;
    conn.stats.errors++;
    this.statistics.totals.errors++;
    this.output.sendControl(conn, encodeError({ code, correlationId, ref, message }));
    this.events.emit({ type: 'error', time: this.clock.nowMicros(), id: conn.id, code, codeName: errorName(code), message });
    // A fatal ERROR is the last frame its connection gets, even when that connection is a monitor.
    const fatal = correlationId === 0 && FATAL_ERRORS.has(code);
    this.tap.event(HubEventCode.ERROR, code, conn.id, message, fatal ? conn : null);
  }

  /** A refusal by the access policy: counted apart, and its ERROR (seen by monitors as an EVENT) names who was refused. */
  notPermitted(conn: HubConnection, message: string, ref = ''): void {
    this.statistics.totals.connectionsNotPermitted++;
    this.fail(conn, ErrorCode.NOT_PERMITTED, message, ref);
  }

  fail(conn: HubConnection, code: number, message: string, ref = ''): void {
    if (conn.role === 'closed') return;
    if (conn.role === 'pending') {
      this.statistics.totals.connectionsRejected++;
      this.log(`refused a connection on ${conn.origin.listener}: ${errorName(code)}: ${message}`);
    }
    this.sendError(conn, code, 0, ref, message);
    conn.leaveReason = `${errorName(code)}: ${message}`;
    conn.leaveCode = code;
    this.closeConnection(conn);
  }

  closeConnection(conn: HubConnection): void {
    if (conn.role === 'closed') return;
    conn.flush();
    this.unregister(conn);
    conn.stream.end();
    this.destroyLater(conn);
  }

  /** A peer that does not read cannot finish a graceful end: give it a second, then destroy. */
  private destroyLater(conn: HubConnection): void {
    const timer = setTimeout(() => conn.stream.destroy(), 1000);
    timer.unref();
    conn.stream.once('close', () => clearTimeout(timer));
  }

  private unregister(conn: HubConnection): void {
    const role = conn.role;
    if (role === 'closed') return;
    conn.role = 'closed';
    this.connections.delete(conn);
    this.pending.delete(conn);
    conn.discardPending();
    conn.unread = null;
    conn.decoder.discard();
    this.budget.release(conn);
    this.router.failRequestsTo(conn);
    if (role === 'module') {
      if (this.modules.get(conn.id) === conn) this.modules.delete(conn.id);
      this.registryVersion++;
      this.endpoint.moduleLeft(conn.id, conn.leaveReason);
      this.log(`- ${conn.id} left: ${conn.leaveReason}`);
      this.announce(conn, PresenceEvent.LEAVE, HubEventCode.LEAVE, conn.leaveCode, conn.leaveReason);
      this.events.emit({ type: 'leave', time: this.clock.nowMicros(), id: conn.id, role: 'module', reason: conn.leaveReason, code: conn.leaveCode });
    } else if (role === 'monitor') {
      this.monitorsById.delete(conn.id);
      this.tap.remove(conn);
      this.log(`- monitor ${conn.id} detached: ${conn.leaveReason}`);
      this.events.emit({ type: 'leave', time: this.clock.nowMicros(), id: conn.id, role: 'monitor', reason: conn.leaveReason, code: conn.leaveCode });
    }
    this.output.flushDirty();
  }

  announce(conn: HubConnection, presence: number, hubEvent: number, code: number, detail: string): void {
    if (this.bus !== null && conn.origin.remote === undefined) this.bus.localPresence(conn, presence, code, detail);
    const frame = encodePresence(presence, conn.id);
    for (const other of this.modules.values()) {
      if (other !== conn && other.presenceSubscribed) this.output.sendControl(other, frame);
    }
    this.tap.event(hubEvent, code, conn.id, detail);
  }

  // ---------------------------------------------------------------- timers

  private sweep(): void {
    const now = performance.now();
    this.statistics.sample(now, this.connections);
    const idle = this.limits.idleTimeoutMs;
    for (const conn of this.connections) {
      noteReadProgress(conn, now);
      const silentFor = now - Math.max(conn.lastReceived, conn.lastWriteProgress);
      if (conn.role === 'pending' && conn.held === null && now - conn.acceptedAt > this.handshakeTimeoutMs) {
        this.fail(conn, ErrorCode.HELLO_REQUIRED, `no HELLO within ${this.handshakeTimeoutMs} ms`);
      } else if (idle > 0 && silentFor > idle) {
        this.fail(conn, ErrorCode.IDLE_TIMEOUT, `nothing received for ${idle} ms (not even a PONG) and nothing read of what was sent to it`);
      } else if (idle > 0 && silentFor > idle / 2 && !conn.pingOutstanding && conn.role !== 'pending') {
        conn.pingOutstanding = true;
        this.output.sendControl(conn, encodePing(FrameType.PING));
      }
      if (conn.role === 'monitor') this.tap.reportDrops(conn);
      if (conn.readPaused) this.input.resumeIfDrained(conn);
    }
    this.enforceBudget();
    this.output.flushDirty();
  }

  /** Output and records are summed here, once per sweep; the largest holders go until the rest fits. */
  private enforceBudget(): void {
    for (const { conn, bytes } of this.budget.sweep(this.connections)) {
      this.statistics.totals.budgetDisconnects++;
      this.fail(conn, ErrorCode.SLOW_CONSUMER, `the hub's memory budget of ${this.budget.limit} bytes is used up, and this connection holds the most (${bytes} bytes queued or pending)`);
    }
  }

  // ---------------------------------------------------------------- in-process API

  /** Subscribes to batched registry and traffic events; returns the unsubscribe function. */
  onEvents(callback: (batch: HubEvent[]) => void): () => void {
    return this.events.subscribe(callback);
  }

  /** The full payload of a message event still in the store, or undefined once evicted. */
  payload(seq: number): Buffer | undefined {
    return this.events.payload(seq);
  }

  snapshot(): HubSnapshot {
    const bus = this.bus;
    return {
      startedAt: this.startedAt,
      now: Date.now(),
      modules: [...this.modules.values()].map((conn) => (bus === null ? this.statistics.info(conn) : { ...this.statistics.info(conn), hub: conn.origin.remote?.hub ?? bus.hubName })),
      monitors: this.tap.monitors.map((conn) => this.statistics.info(conn)),
      totals: { ...this.statistics.totals, memoryBytes: this.budget.lastTotal },
      limits: { ...this.limits },
      ...(bus === null ? {} : { federation: bus.status() }),
    };
  }

  // ---------------------------------------------------------------- the bus (electron/hub/federation/)

  /** Registers a module of another hub under `id`, as Handshake registers a connection; returns it. */
  registerRemote(id: string, stream: Duplex, origin: ConnectionOrigin): HubConnection {
    const conn = new HubConnection(++this.serial, stream, origin, maxFrameLength(this.limits.maxPayload));
    conn.role = 'module';
    conn.id = id;
    conn.idBytes = Buffer.from(id, 'utf8');
    this.statistics.track(conn);
    this.modules.set(id, conn);
    this.registryVersion++;
    this.log(`+ ${id} joined on hub ${origin.remote?.hub}`);
    this.announce(conn, PresenceEvent.JOIN, HubEventCode.JOIN, 0, '');
    this.events.emit({ type: 'join', time: this.clock.nowMicros(), id, role: 'module', transport: origin.transport, listener: origin.listener, peer: origin.peer, ...peerIdentity(origin) });
    return conn;
  }

  /**
   * Handles one batch from another hub as one read chunk: `handle` relays its messages (relayFromBus)
   * and writes its answers; runs for monitors and every output are flushed once at the end.
   */
  busInput(handle: () => void): void {
    this.clock.stamp();
    try {
      handle();
    } finally {
      this.tap.flushRun();
      this.output.flushDirty();
    }
  }

  /** A MESSAGE frame body another hub relayed from `conn` (a module of that hub), as if read from it; the frame's prefix precedes `start` in buf. */
  relayFromBus(conn: HubConnection, buf: Buffer, start: number, end: number): void {
    this.router.relay(conn, buf, start, end);
  }

  moduleIds(): string[] {
    return [...this.modules.keys()];
  }

  /** HubEndpoint.inject: sends a message in any source's name ("$hub" by default). */
  inject(options: InjectOptions): void {
    this.endpoint.inject(options);
  }

  /** HubEndpoint.request: a REQUEST from "$hub", resolved by the REPLY of the module it went to. */
  request(options: { destination: string; payload: Uint8Array | string; timeoutMs?: number }): Promise<InProcessReply> {
    return this.endpoint.request(options);
  }

  /** Opens a tap (electron/hub/tap/): LISTEN's connections are passed on to UPSTREAM and watched here. Closed with the hub. */
  async addTap(options: TapOptions): Promise<TapHandle> {
    const handle = await openTap(this, options);
    this.taps.add(handle);
    handle.closed.then(() => this.taps.delete(handle));
    return handle;
  }

  /**
   * A chunk a tap passed on, after it was written (electron/hub/tap/): counted for both sides'
   * modules and copied to monitors, the recording and the event stream as a TAPPED message.
   */
  tapped(source: string, destination: string, flags: number, offset: number, payload: Buffer): void {
    const from = this.modules.get(source);
    const to = this.modules.get(destination);
    if (from !== undefined) {
      from.stats.messagesIn++;
      from.stats.bytesIn += payload.length;
    }
    if (to !== undefined) {
      to.stats.messagesOut++;
      to.stats.bytesOut += payload.length;
    }
    this.statistics.relayed(payload.length);
    this.clock.stamp();
    this.tap.copyTapped(from?.idBytes ?? Buffer.from(source, 'utf8'), to?.idBytes ?? Buffer.from(destination, 'utf8'), flags, offset, payload, source);
    this.output.flushDirty();
  }

  /** A tap could not reach its upstream, or lost it: a PEER_GONE error event about `id` for monitors, recordings and the UI. */
  tapFailed(id: string, message: string): void {
    const code = ErrorCode.PEER_GONE;
    this.statistics.totals.errors++;
    this.log(`tap: ${message}`);
    this.events.emit({ type: 'error', time: this.clock.nowMicros(), id, code, codeName: errorName(code), message });
    this.tap.event(HubEventCode.ERROR, code, id, message);
    this.output.flushDirty();
  }

  /** Disconnects a module (or monitor) with KICKED. Throws HubCommandError when no such ID is connected. */
  kick(id: string, reason = 'kicked'): void {
    const conn = this.modules.get(id) ?? this.monitorsById.get(id);
    if (conn === undefined) throw new HubCommandError(ErrorCode.NO_SUCH_MODULE, `no module "${id}" is connected`);
    this.fail(conn, ErrorCode.KICKED, reason, id);
    this.output.flushDirty();
  }

  /**
   * Records every relayed message (full payload) and event to an MCAP file (docs/CAPTURE.md) until
   * stop(): the hub thread only copies into buffers that a worker thread writes, and copies it has no
   * buffer for are counted as missed, never taken from the modules.
   */
  startRecording(file: string, options: HubRecordingOptions = {}): Promise<Recording> {
    if (this.recording !== null) return Promise.reject(new Error('the hub is already recording; stop that recording first'));
    const target = { snapshot: () => this.snapshot(), setRecorder: (recorder: Parameters<MonitorTap['setRecorder']>[0]) => this.tap.setRecorder(recorder) };
    const starting = Recording.start(target, file, options, () => {
      if (this.recording === starting) this.recording = null;
    });
    this.recording = starting;
    starting.catch(() => {
      if (this.recording === starting) this.recording = null;
    });
    return starting;
  }

  /**
   * Tells every registered connection BYE (SHUTDOWN), and every one still in its handshake a fatal
   * ERROR SHUTDOWN (it expects WELCOME or ERROR first: PROTOCOL.md 7.4), lets queued data drain,
   * then closes them; resolves when all are closed.
   */
  async close(reason = 'the hub is shutting down', graceMs = 2000): Promise<void> {
    this.closing = true;
    clearInterval(this.sweepTimer);
    // The other hubs hear of the leave first, so none of them sends here while this hub closes.
    if (this.bus !== null) await this.bus.close();
    await Promise.all([...this.taps].map((tap) => tap.close()));
    // Completed first, so its end counters are the hub's last ones and the file has its index.
    if (this.recording !== null) {
      await this.recording
        .then((recording) => recording.stop())
        .then((status) => status.error !== null && this.log(`the recording failed: ${status.error}; ${status.path} holds what was written before it`))
        .catch((error: Error) => this.log(`the recording could not be completed: ${error.message}`));
    }
    this.events.flush();
    this.endpoint.close(reason);
    const closed = [...this.connections].map(
      (conn) =>
        new Promise<void>((resolve) => {
          if (conn.stream.destroyed) return resolve();
          conn.stream.once('close', () => resolve());
          const timer = setTimeout(() => conn.stream.destroy(), graceMs);
          timer.unref();
          conn.stream.once('close', () => clearTimeout(timer));
          conn.leaveReason = 'hub shut down';
          conn.leaveCode = ErrorCode.SHUTDOWN;
          const last = conn.role === 'pending' ? encodeError({ code: ErrorCode.SHUTDOWN, correlationId: 0, ref: '', message: reason }) : encodeBye(ErrorCode.SHUTDOWN, reason);
          conn.flush();
          if (conn.stream.writable) conn.stream.write(last);
          this.unregister(conn);
          conn.stream.end();
        }),
    );
    await Promise.all(closed);
  }
}

/**
 * A peer counts as alive while it takes output the hub had queued for it (PROTOCOL.md 7.3): bytes
 * that left the hub's buffer since the last sweep while that buffer was not empty, i.e. while the
 * kernel's socket buffer was full, which only the peer reading can relieve. The hub's own PING goes
 * straight into an empty buffer and so does not count.
 */
function noteReadProgress(conn: HubConnection, now: number): void {
  const dispatched = conn.bytesDispatched;
  if (dispatched > conn.dispatchedAtLastSweep && conn.backloggedAtLastSweep) conn.lastWriteProgress = now;
  conn.dispatchedAtLastSweep = dispatched;
  conn.backloggedAtLastSweep = conn.stream.writableLength > 0;
}
