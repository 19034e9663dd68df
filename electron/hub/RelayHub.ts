import { timingSafeEqual } from 'node:crypto';
import type { Duplex } from 'node:stream';
import {
  encodeBye,
  encodeError,
  encodeEvent,
  encodeListReply,
  encodeOk,
  encodePing,
  encodePresence,
  encodeStatsReply,
  encodeWelcome,
  FrameError,
  parseCorrelationOnly,
  parseHello,
  parseInject,
  parseKick,
  parseSubscribePresence,
} from '../protocol/frameCodec';
import { HubConnection, ZERO_COPY_THRESHOLD, type ConnectionOrigin } from './HubConnection';
import { HubEventStream } from './HubEventStream';
import type { HubEvent, HubLimits, HubSnapshot, HubTotals, MessageEvent, ModuleInfo } from './hubEvents';
import { PREVIEW_BYTES } from './hubEvents';
import { decodeModuleId, moduleIdProblem } from '../protocol/moduleId';
import {
  DEFAULT_MAX_PAYLOAD,
  errorName,
  ErrorCode,
  FrameType,
  HelloFlag,
  HubEventCode,
  MESSAGE_KIND_NAMES,
  MessageKind,
  maxFrameLength,
  PresenceEvent,
  PROTOCOL_VERSION,
  MAX_HELLO_FRAME_LENGTH,
  TrafficFlag,
} from '../protocol/protocol';

export interface RelayHubOptions {
  maxConnections?: number;
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
  /** Called with one line per connect/disconnect/refusal, for a headless hub's log. */
  log?: (line: string) => void;
}

export class HubCommandError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'HubCommandError';
  }
}

export interface InjectOptions {
  /** Source ID the receiver sees; defaults to "$hub". Any valid ID, including one a module holds. */
  source?: string;
  /** Destination module; omitted or null for a broadcast. */
  destination?: string | null;
  kind?: 'unicast' | 'broadcast' | 'request' | 'reply';
  payload: Uint8Array | string;
  correlationId?: number;
}

export interface InProcessReply {
  source: string;
  payload: Buffer;
  correlationId: number;
}

/** The ID the in-process API sends and receives as. */
export const HUB_ENDPOINT_ID = '$hub';
const HUB_ENDPOINT_BYTES = Buffer.from(HUB_ENDPOINT_ID, 'utf8');

const DEFAULT_QUEUE_LIMIT = 8 * 1024 * 1024;
const MAX_PENDING_REQUESTS = 4096;
/** Frames a connection may send while its TAKEOVER probe runs before it is refused. */
const MAX_HELD_BYTES = 1024 * 1024;
const MESSAGE_HEADER_BYTES = 4 + 1 + 1 + 1 + 4 + 1;
const TRAFFIC_HEADER_BYTES = 4 + 1 + 8 + 1 + 1 + 4 + 1 + 1;
const TWO_POW_32 = 2 ** 32;
/** A TRAFFIC_RUN never exceeds this, whatever size of chunk an attached stream delivers. */
const MAX_RUN_BYTES = 1024 * 1024;

/**
 * The relay hub: registry of modules and monitors, router, statistics and the in-process API.
 * It takes connected duplex streams (attach); listeners.ts owns sockets and paths.
 */
export class RelayHub {
  readonly limits: HubLimits;
  private readonly token: Buffer | null;
  private readonly takeoverProbeMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly maxFrame: number;
  private readonly log: (line: string) => void;

  private readonly connections = new Set<HubConnection>();
  private readonly modules = new Map<string, HubConnection>();
  private readonly monitorsById = new Map<string, HubConnection>();
  private monitors: HubConnection[] = [];
  /** Monitors that take per-message TRAFFIC frames, and those that take TRAFFIC_RUN frames. */
  private frameMonitors: HubConnection[] = [];
  private runMonitors: HubConnection[] = [];
  /**
   * The run of relayed MESSAGE frames, contiguous in one read chunk from one source, not yet copied
   * to the run monitors: [runStart, runEnd) of runBuffer.
   */
  private runSource: HubConnection | null = null;
  private runBuffer: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  private runCount = 0;
  private serial = 0;
  private monitorSerial = 0;
  private closing = false;
  readonly startedAt = Date.now();

  private readonly totals: HubTotals = {
    messages: 0,
    bytes: 0,
    errors: 0,
    drops: 0,
    slowConsumerDisconnects: 0,
    connectionsAccepted: 0,
    connectionsRejected: 0,
    messagesPerSecond: 0,
    bytesPerSecond: 0,
  };
  private readonly rateState = new WeakMap<HubConnection, { in: number; out: number; inRate: number; outRate: number }>();
  private lastRateSample = { at: performance.now(), messages: 0, bytes: 0 };

  /** Connections written to while handling the current chunk; flushed once at its end. */
  private dirty: HubConnection[] = [];
  /** Microseconds since the epoch for the chunk being handled, split for u64 writes. */
  private chunkMicros = 0;
  private chunkMicrosHi = 0;
  private chunkMicrosLo = 0;

  /** In-process subscribers (the desktop app): batched events and full payloads on demand. */
  private readonly events: HubEventStream;

  private readonly inProcessRequests = new Map<number, { resolve: (r: InProcessReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private nextInProcessCorrelation = 1;

  private readonly sweepTimer: NodeJS.Timeout;

  constructor(options: RelayHubOptions = {}) {
    this.limits = {
      maxConnections: options.maxConnections ?? 1024,
      maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      queueLimit: options.queueLimit ?? DEFAULT_QUEUE_LIMIT,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      slowConsumerPolicy: options.slowConsumerPolicy ?? 'disconnect',
    };
    if (!(this.limits.maxPayload > 0 && this.limits.maxPayload <= 0xffffffff - maxFrameLength(0))) {
      throw new RangeError(`maxPayload must be between 1 and ${0xffffffff - maxFrameLength(0)} bytes`);
    }
    this.token = options.token ? Buffer.from(options.token, 'utf8') : null;
    this.takeoverProbeMs = options.takeoverProbeMs ?? 1000;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.events = new HubEventStream({
      batchMs: options.eventBatchMs,
      maxPendingEvents: options.maxPendingEvents,
      payloadStoreBytes: options.payloadStoreBytes,
      payloadStoreEntries: options.payloadStoreEntries,
    });
    this.maxFrame = maxFrameLength(this.limits.maxPayload);
    this.log = options.log ?? (() => {});
    const sweepEvery = Math.max(100, Math.min(1000, this.limits.idleTimeoutMs > 0 ? this.limits.idleTimeoutMs / 4 : 1000));
    this.sweepTimer = setInterval(() => this.sweep(), sweepEvery);
    this.sweepTimer.unref();
  }

  get hasToken(): boolean {
    return this.token !== null;
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
      this.totals.connectionsRejected++;
      this.log(`refused a connection on ${origin.listener}: ${this.limits.maxConnections} connections already`);
      this.refuse(conn, ErrorCode.TOO_MANY_CONNECTIONS, `too many connections: the hub allows ${this.limits.maxConnections}`);
      return;
    }
    this.connections.add(conn);
    this.totals.connectionsAccepted++;
    const visit = (type: number, buf: Buffer, start: number, end: number): void => this.handleFrame(conn, type, buf, start, end);
    stream.on('data', (chunk: Buffer) => this.receive(conn, chunk, visit));
  }

  private refuse(conn: HubConnection, code: number, message: string): void {
    conn.role = 'closed';
    conn.stream.end(encodeError({ code, correlationId: 0, ref: '', message }));
    this.destroyLater(conn);
  }

  private receive(conn: HubConnection, chunk: Buffer, visit: (type: number, buf: Buffer, start: number, end: number) => void): void {
    if (conn.role === 'closed') return;
    const now = performance.now();
    conn.lastReceived = now;
    conn.pingOutstanding = false;
    this.stampTime(now);
    try {
      conn.decoder.push(chunk, visit);
    } catch (err) {
      if (err instanceof FrameError) this.fail(conn, err.code, err.message);
      else this.fail(conn, ErrorCode.MALFORMED_FRAME, `the hub could not handle a frame: ${(err as Error).message}`);
    }
    this.flushRun();
    this.flushDirty();
    if (conn.isOpen && conn.queuedBytes > this.limits.queueLimit) this.pauseUntilDrained(conn);
  }

  /**
   * A connection whose own answers (LIST replies, errors) pile up unread is not read from until they
   * drain: its requests cannot make the hub buffer without bound, and nobody else waits on it.
   */
  private pauseUntilDrained(conn: HubConnection): void {
    if (conn.readPaused) return;
    conn.readPaused = true;
    conn.stream.pause();
    conn.stream.once('drain', () => {
      conn.readPaused = false;
      if (conn.role !== 'closed') conn.stream.resume();
    });
  }

  /** Sets the timestamp that monitor copies of the frames about to be handled carry. */
  private stampTime(now = performance.now()): void {
    this.chunkMicros = Math.floor((performance.timeOrigin + now) * 1000);
    this.chunkMicrosHi = Math.floor(this.chunkMicros / TWO_POW_32);
    this.chunkMicrosLo = this.chunkMicros >>> 0;
  }

  private flushDirty(): void {
    const dirty = this.dirty;
    for (let i = 0; i < dirty.length; i++) {
      dirty[i].dirty = false;
      dirty[i].flush();
    }
    dirty.length = 0;
  }

  private markDirty(conn: HubConnection): void {
    if (!conn.dirty) {
      conn.dirty = true;
      this.dirty.push(conn);
    }
  }

  private handleFrame(conn: HubConnection, type: number, buf: Buffer, start: number, end: number): void {
    if (conn.role === 'module') {
      if (type === FrameType.MESSAGE) this.relay(conn, buf, start, end);
      else this.handleControl(conn, type, buf, start, end);
    } else if (conn.role === 'monitor') {
      this.handleControl(conn, type, buf, start, end);
    } else if (conn.role === 'pending') {
      if (conn.heldFrames !== null) this.hold(conn, type, buf, start, end);
      else if (type === FrameType.HELLO) this.handleHello(conn, buf, start, end);
      else this.fail(conn, ErrorCode.HELLO_REQUIRED, `the first frame must be HELLO (0x01), not 0x${type.toString(16).padStart(2, '0')}`);
    }
  }

  // ---------------------------------------------------------------- handshake

  private handleHello(conn: HubConnection, buf: Buffer, start: number, end: number): void {
    // The version byte is read before the rest: a later version's HELLO may be laid out differently.
    const version = end > start ? buf[start] : -1;
    if (version !== PROTOCOL_VERSION) {
      this.fail(conn, ErrorCode.BAD_VERSION, version < 0 ? 'HELLO is empty: it must start with the protocol version' : `protocol version ${version} is not supported; this hub speaks version ${PROTOCOL_VERSION}`);
      return;
    }
    const hello = parseHello(buf, start, end);
    if (conn.origin.requireToken || this.token !== null) {
      if (conn.origin.requireToken && this.token === null) {
        this.fail(conn, ErrorCode.BAD_TOKEN, 'this listener requires a token but the hub has none configured');
        return;
      }
      if (this.token !== null && !tokenMatches(this.token, hello.token)) {
        this.fail(conn, ErrorCode.BAD_TOKEN, hello.token === '' ? 'this hub requires a token in HELLO' : 'the token in HELLO is wrong');
        return;
      }
    }
    const idBytesStart = start + 3;
    const id = decodeModuleId(buf, idBytesStart, idBytesStart + buf[start + 2]);
    if (hello.flags & HelloFlag.MONITOR) {
      conn.wantsRuns = (hello.flags & HelloFlag.TRAFFIC_RUNS) !== 0;
      this.welcomeMonitor(conn, id);
      return;
    }
    const problem = id === null ? 'module ID is not valid UTF-8' : moduleIdProblem(id);
    if (problem !== null || id === null) {
      this.fail(conn, ErrorCode.INVALID_ID, problem ?? 'invalid module ID');
      return;
    }
    if (this.monitorsById.has(id)) {
      this.fail(conn, ErrorCode.ID_IN_USE, `"${id}" is the name of a connected monitor`, id);
      return;
    }
    const holder = this.modules.get(id);
    if (holder === undefined) {
      this.welcomeModule(conn, id);
    } else if (hello.flags & HelloFlag.TAKEOVER) {
      this.probeHolder(conn, holder, id);
    } else {
      this.fail(conn, ErrorCode.ID_IN_USE, `module ID "${id}" is already connected`, id);
    }
  }

  private welcomeModule(conn: HubConnection, id: string): void {
    conn.role = 'module';
    conn.decoder.maxFrameLength = this.maxFrame;
    conn.id = id;
    conn.idBytes = Buffer.from(id, 'utf8');
    this.modules.set(id, conn);
    this.rateState.set(conn, { in: 0, out: 0, inRate: 0, outRate: 0 });
    this.sendControl(conn, encodeWelcome({ version: PROTOCOL_VERSION, maxPayload: this.limits.maxPayload, queueLimit: this.limits.queueLimit, idleTimeoutMs: this.limits.idleTimeoutMs, id }));
    this.log(`+ ${id} joined via ${conn.origin.listener}${conn.origin.peer ? ` (${conn.origin.peer})` : ''}`);
    this.announce(conn, PresenceEvent.JOIN, HubEventCode.JOIN, 0, '');
    this.events.emit({ type: 'join', time: this.nowMicros(), id, role: 'module', transport: conn.origin.transport, listener: conn.origin.listener, peer: conn.origin.peer });
  }

  private welcomeMonitor(conn: HubConnection, requested: string | null): void {
    let id = requested ?? '';
    // "$hub" is the in-process endpoint: a monitor under that name would receive the replies meant for request().
    if (id === '' || id === HUB_ENDPOINT_ID || this.monitorsById.has(id) || moduleIdProblem(id, { allowReserved: true }) !== null) id = `$monitor-${++this.monitorSerial}`;
    while (this.monitorsById.has(id) || this.modules.has(id)) id = `$monitor-${++this.monitorSerial}`;
    conn.role = 'monitor';
    conn.decoder.maxFrameLength = this.maxFrame;
    conn.id = id;
    conn.idBytes = Buffer.from(id, 'utf8');
    this.monitorsById.set(id, conn);
    this.setMonitors([...this.monitors, conn]);
    this.rateState.set(conn, { in: 0, out: 0, inRate: 0, outRate: 0 });
    this.sendControl(conn, encodeWelcome({ version: PROTOCOL_VERSION, maxPayload: this.limits.maxPayload, queueLimit: this.limits.queueLimit, idleTimeoutMs: this.limits.idleTimeoutMs, id }));
    this.log(`+ monitor ${id} attached via ${conn.origin.listener}`);
    this.events.emit({ type: 'join', time: this.nowMicros(), id, role: 'monitor', transport: conn.origin.transport, listener: conn.origin.listener, peer: conn.origin.peer });
  }

  /**
   * TAKEOVER: the holder is PINGed; if it sends anything within takeoverProbeMs it is alive and the
   * newcomer is refused, otherwise the holder is closed as REPLACED and the newcomer registered.
   */
  private probeHolder(newcomer: HubConnection, holder: HubConnection, id: string): void {
    if (holder.probedBy !== null) {
      this.fail(newcomer, ErrorCode.ID_IN_USE, `module ID "${id}" is already being taken over`, id);
      return;
    }
    newcomer.heldFrames = [];
    holder.probedBy = newcomer;
    const probeStartedAt = holder.lastReceived;
    this.sendControl(holder, encodePing(FrameType.PING));
    const timer = setTimeout(() => {
      holder.probedBy = null;
      if (newcomer.role !== 'pending') return;
      if (holder.role === 'module' && holder.lastReceived === probeStartedAt) {
        // Silent for the whole probe: presumed dead.
        this.fail(holder, ErrorCode.REPLACED, `module ID "${id}" was taken over by a new connection after no answer for ${this.takeoverProbeMs} ms`, id);
      }
      if (this.modules.has(id) || this.monitorsById.has(id)) {
        this.fail(newcomer, ErrorCode.ID_IN_USE, `module ID "${id}" is held by a connection that answered`, id);
        return;
      }
      const held = newcomer.heldFrames ?? [];
      newcomer.heldFrames = null;
      this.welcomeModule(newcomer, id);
      this.stampTime();
      for (const f of held) this.handleFrame(newcomer, f.type, f.body, 0, f.body.length);
      this.flushRun();
      this.flushDirty();
    }, this.takeoverProbeMs);
    timer.unref();
  }

  private hold(conn: HubConnection, type: number, buf: Buffer, start: number, end: number): void {
    conn.heldBytes += end - start;
    if (conn.heldBytes > MAX_HELD_BYTES) {
      this.fail(conn, ErrorCode.HELLO_REQUIRED, 'too much data sent before WELCOME while the takeover was pending');
      return;
    }
    conn.heldFrames?.push({ type, body: Buffer.from(buf.subarray(start, end)) });
  }

  // ---------------------------------------------------------------- relaying

  /** MESSAGE from a module: body = kind u8, flags u8, correlationId u32, peerLen u8, peer, payload. */
  private relay(conn: HubConnection, buf: Buffer, start: number, end: number): void {
    if (end - start < 7) {
      this.fail(conn, ErrorCode.MALFORMED_FRAME, 'MESSAGE frame is truncated: its header needs 7 bytes');
      return;
    }
    const kind = buf[start];
    const peerLen = buf[start + 6];
    const peerStart = start + 7;
    const payloadStart = peerStart + peerLen;
    if (payloadStart > end) {
      this.fail(conn, ErrorCode.MALFORMED_FRAME, 'MESSAGE frame is truncated: the destination ID runs past its end');
      return;
    }
    const payloadLength = end - payloadStart;
    if (payloadLength > this.limits.maxPayload) {
      this.fail(conn, ErrorCode.FRAME_TOO_LARGE, `payload of ${payloadLength} bytes exceeds the limit of ${this.limits.maxPayload}`);
      return;
    }
    if (buf[start + 1] !== 0 || (kind === MessageKind.BROADCAST && peerLen !== 0) || kind > MessageKind.REPLY) {
      this.fail(conn, ErrorCode.MALFORMED_FRAME, kind > MessageKind.REPLY ? `message kind ${kind} is not one of 0 (unicast), 1 (broadcast), 2 (request), 3 (reply)` : buf[start + 1] !== 0 ? 'MESSAGE flags must be 0 in protocol version 1' : 'a BROADCAST must have an empty destination');
      return;
    }
    const stats = conn.stats;
    stats.messagesIn++;
    stats.bytesIn += payloadLength;
    if (kind === MessageKind.BROADCAST) {
      this.totals.messages++;
      this.totals.bytes += payloadLength;
      for (const target of this.modules.values()) {
        if (target !== conn) this.deliver(conn, conn.idBytes, target, kind, buf, start + 2, payloadStart, end);
      }
      this.tap(conn.idBytes, null, kind, buf, start + 2, payloadStart, end, conn.id, false);
      if (this.runMonitors.length > 0) this.extendRun(conn, buf, start, end);
      return;
    }
    const target = this.resolve(conn, buf, peerStart, peerLen);
    if (target === null) {
      const destination = buf.toString('utf8', peerStart, payloadStart);
      if (kind === MessageKind.REPLY && destination === HUB_ENDPOINT_ID) {
        this.totals.messages++;
        this.totals.bytes += payloadLength;
        this.tap(conn.idBytes, HUB_ENDPOINT_BYTES, kind, buf, start + 2, payloadStart, end, conn.id, false);
        if (this.runMonitors.length > 0) this.extendRun(conn, buf, start, end);
        this.resolveInProcess(conn.id, buf.readUInt32BE(start + 2), Buffer.from(buf.subarray(payloadStart, end)));
        return;
      }
      this.sendError(conn, ErrorCode.NO_SUCH_MODULE, buf.readUInt32BE(start + 2), destination, destination === '' ? `a ${MESSAGE_KIND_NAMES[kind]} needs a destination ID` : `no module "${destination}" is connected`);
      return;
    }
    if (kind === MessageKind.REPLY && conn.pendingRequests.size > 0) conn.pendingRequests.delete(`${target.serial}:${buf.readUInt32BE(start + 2)}`);
    // A message the destination had no room for was answered with an ERROR: it is not relayed, counted or copied.
    if (!this.deliver(conn, conn.idBytes, target, kind, buf, start + 2, payloadStart, end)) return;
    this.totals.messages++;
    this.totals.bytes += payloadLength;
    if (kind === MessageKind.REQUEST) this.trackRequest(conn, target, buf.readUInt32BE(start + 2));
    this.tap(conn.idBytes, target.idBytes, kind, buf, start + 2, payloadStart, end, conn.id, false);
    if (this.runMonitors.length > 0) this.extendRun(conn, buf, start, end);
  }

  /**
   * Adds a relayed MESSAGE (body buf[start, end)) to the pending run for TRAFFIC_RUN monitors. A frame
   * that directly follows the run in the same chunk just extends it; anything else starts a new run.
   */
  private extendRun(source: HubConnection, buf: Buffer, start: number, end: number): void {
    const frameStart = start - 5;
    if (frameStart >= 0 && this.runBuffer === buf && this.runSource === source && this.runEnd === frameStart && end - this.runStart <= MAX_RUN_BYTES) {
      this.runEnd = end;
      this.runCount++;
      return;
    }
    this.flushRun();
    if (frameStart < 0) {
      // The frame was reassembled across chunks, so its length prefix is not in `buf`: rebuild it.
      const frame = Buffer.allocUnsafe(end - start + 5);
      writeU32(frame, 0, end - start + 1);
      frame[4] = FrameType.MESSAGE;
      buf.copy(frame, 5, start, end);
      buf = frame;
      start = 5;
      end = frame.length;
    }
    this.runSource = source;
    this.runBuffer = buf;
    this.runStart = start - 5;
    this.runEnd = end;
    this.runCount = 1;
  }

  /** Copies the pending run to every TRAFFIC_RUN monitor; called before anything else reaches monitors, keeping order. */
  private flushRun(): void {
    const count = this.runCount;
    if (count === 0) return;
    const source = (this.runSource as HubConnection).idBytes;
    const buf = this.runBuffer as Buffer;
    const runStart = this.runStart;
    const runEnd = this.runEnd;
    this.runCount = 0;
    this.runSource = null;
    this.runBuffer = null;
    const runBytes = runEnd - runStart;
    const headerLength = 4 + 1 + 8 + 1 + source.length + 4;
    const zeroCopy = runBytes >= ZERO_COPY_THRESHOLD;
    for (const monitor of this.runMonitors) {
      if (monitor.role === 'closed') continue;
      if (monitor.queuedBytes > this.limits.queueLimit) {
        monitor.monitorDropped += count;
        monitor.stats.drops += count;
        continue;
      }
      const [slab, o] = monitor.reserve(zeroCopy ? headerLength : headerLength + runBytes);
      writeU32(slab, o, headerLength - 4 + runBytes);
      slab[o + 4] = FrameType.TRAFFIC_RUN;
      writeU32(slab, o + 5, this.chunkMicrosHi);
      writeU32(slab, o + 9, this.chunkMicrosLo);
      slab[o + 13] = source.length;
      for (let i = 0; i < source.length; i++) slab[o + 14 + i] = source[i];
      writeU32(slab, o + 14 + source.length, count);
      if (zeroCopy) monitor.writeBuffer(buf.subarray(runStart, runEnd));
      else copyBytes(buf, runStart, runEnd, slab, o + headerLength);
      monitor.stats.messagesOut += count;
      monitor.stats.bytesOut += runBytes;
      this.markDirty(monitor);
    }
  }

  /** Finds the connection a module addressed: the previous destination when the bytes match, else a lookup. */
  private resolve(conn: HubConnection, buf: Buffer, peerStart: number, peerLen: number): HubConnection | null {
    const last = conn.lastDestination;
    if (last !== null && last.role !== 'closed') {
      const known = conn.lastDestinationBytes;
      if (known.length === peerLen) {
        let same = true;
        for (let i = 0; i < peerLen; i++) {
          if (known[i] !== buf[peerStart + i]) {
            same = false;
            break;
          }
        }
        if (same) return last;
      }
    }
    if (peerLen === 0) return null;
    const id = buf.toString('utf8', peerStart, peerStart + peerLen);
    const target = this.modules.get(id) ?? this.monitorsById.get(id) ?? null;
    if (target !== null) {
      conn.lastDestination = target;
      conn.lastDestinationBytes = target.idBytes;
    }
    return target;
  }

  /**
   * Appends one MESSAGE to `target`: kind, the 4 correlation bytes at buf[corrAt], the source ID,
   * and the payload buf[payloadStart, payloadEnd).
   */
  private deliver(source: HubConnection | null, sourceId: Buffer, target: HubConnection, kind: number, buf: Buffer, corrAt: number, payloadStart: number, payloadEnd: number): boolean {
    const payloadLength = payloadEnd - payloadStart;
    if (target.role === 'closed') return false;
    if (target.queuedBytes > this.limits.queueLimit) {
      this.overloaded(source, target, buf.readUInt32BE(corrAt));
      return false;
    }
    const srcLen = sourceId.length;
    const headerLength = MESSAGE_HEADER_BYTES + srcLen;
    const zeroCopy = payloadLength >= ZERO_COPY_THRESHOLD;
    const [slab, o] = target.reserve(zeroCopy ? headerLength : headerLength + payloadLength);
    const frameLength = headerLength - 4 + payloadLength;
    writeU32(slab, o, frameLength);
    slab[o + 4] = FrameType.MESSAGE;
    slab[o + 5] = kind;
    slab[o + 6] = 0;
    slab[o + 7] = buf[corrAt];
    slab[o + 8] = buf[corrAt + 1];
    slab[o + 9] = buf[corrAt + 2];
    slab[o + 10] = buf[corrAt + 3];
    slab[o + 11] = srcLen;
    for (let i = 0; i < srcLen; i++) slab[o + 12 + i] = sourceId[i];
    if (zeroCopy) {
      target.writeBuffer(buf.subarray(payloadStart, payloadEnd));
    } else {
      copyBytes(buf, payloadStart, payloadEnd, slab, o + headerLength);
    }
    const stats = target.stats;
    stats.messagesOut++;
    stats.bytesOut += payloadLength;
    this.markDirty(target);
    return true;
  }

  /** Applies the slow-consumer policy to a message that did not fit in `target`'s queue. */
  private overloaded(source: HubConnection | null, target: HubConnection, correlationId: number): void {
    target.stats.drops++;
    this.totals.drops++;
    if (source !== null) {
      this.sendError(source, ErrorCode.DESTINATION_OVERLOADED, correlationId, target.id, `"${target.id}" is not reading fast enough: its queue holds more than ${this.limits.queueLimit} bytes; the message was not delivered`);
    }
    if (this.limits.slowConsumerPolicy === 'disconnect') {
      this.totals.slowConsumerDisconnects++;
      this.fail(target, ErrorCode.SLOW_CONSUMER, `disconnected as a slow consumer: more than ${this.limits.queueLimit} bytes were waiting for it`);
    }
  }

  /** Copies one relayed message to every monitor and, when subscribed, to the in-process event stream. */
  private tap(sourceId: Buffer, destinationId: Buffer | null, kind: number, buf: Buffer, corrAt: number, payloadStart: number, payloadEnd: number, sourceName: string, injected: boolean): void {
    // Relayed traffic reaches run monitors through extendRun(); injected messages reach every monitor here.
    if (injected) this.flushRun();
    const monitors = injected ? this.monitors : this.frameMonitors;
    if (monitors.length > 0) {
      const dstLen = destinationId === null ? 0 : destinationId.length;
      const payloadLength = payloadEnd - payloadStart;
      const headerLength = TRAFFIC_HEADER_BYTES + sourceId.length + dstLen;
      const frameLength = headerLength - 4 + payloadLength;
      const monitorQueueLimit = this.limits.queueLimit;
      for (let m = 0; m < monitors.length; m++) {
        const monitor = monitors[m];
        if (monitor.role === 'closed') continue;
        if (monitor.queuedBytes > monitorQueueLimit) {
          monitor.monitorDropped++;
          monitor.stats.drops++;
          continue;
        }
        const zeroCopy = payloadLength >= ZERO_COPY_THRESHOLD;
        const [slab, o] = monitor.reserve(zeroCopy ? headerLength : headerLength + payloadLength);
        writeU32(slab, o, frameLength);
        slab[o + 4] = FrameType.TRAFFIC;
        writeU32(slab, o + 5, this.chunkMicrosHi);
        writeU32(slab, o + 9, this.chunkMicrosLo);
        slab[o + 13] = kind;
        slab[o + 14] = injected ? TrafficFlag.INJECTED : 0;
        slab[o + 15] = buf[corrAt];
        slab[o + 16] = buf[corrAt + 1];
        slab[o + 17] = buf[corrAt + 2];
        slab[o + 18] = buf[corrAt + 3];
        let p = o + 19;
        slab[p++] = sourceId.length;
        for (let i = 0; i < sourceId.length; i++) slab[p++] = sourceId[i];
        slab[p++] = dstLen;
        for (let i = 0; i < dstLen; i++) slab[p++] = (destinationId as Buffer)[i];
        if (zeroCopy) monitor.writeBuffer(buf.subarray(payloadStart, payloadEnd));
        else copyBytes(buf, payloadStart, payloadEnd, slab, p);
        monitor.stats.messagesOut++;
        monitor.stats.bytesOut += payloadLength;
        this.markDirty(monitor);
      }
    }
    if (this.events.active) this.recordMessage(sourceName, destinationId, kind, buf, corrAt, payloadStart, payloadEnd, injected);
  }

  private recordMessage(source: string, destinationId: Buffer | null, kind: number, buf: Buffer, corrAt: number, payloadStart: number, payloadEnd: number, injected: boolean): void {
    const seq = this.events.nextMessageSeq();
    if (seq === null) return;
    const size = payloadEnd - payloadStart;
    const event: MessageEvent = {
      type: 'message',
      seq,
      time: this.chunkMicros,
      kind: MESSAGE_KIND_NAMES[kind],
      source,
      destination: destinationId === null ? null : destinationId.toString('utf8'),
      correlationId: buf.readUInt32BE(corrAt),
      size,
      preview: Uint8Array.prototype.slice.call(buf, payloadStart, Math.min(payloadEnd, payloadStart + PREVIEW_BYTES)),
      injected,
    };
    // A copy, not a subarray: a subarray would pin the whole 64 KiB read chunk it came from.
    this.events.storePayload(seq, Buffer.from(buf.subarray(payloadStart, payloadEnd)));
    this.events.emit(event);
  }

  private trackRequest(requester: HubConnection, responder: HubConnection, correlationId: number): void {
    if (responder.pendingRequests.size >= MAX_PENDING_REQUESTS) {
      // Forget the oldest: the requester's own timeout covers it.
      const oldest = responder.pendingRequests.keys().next().value as string;
      responder.pendingRequests.delete(oldest);
    }
    responder.pendingRequests.set(`${requester.serial}:${correlationId}`, { requester, correlationId });
  }

  // ---------------------------------------------------------------- control frames

  private handleControl(conn: HubConnection, type: number, buf: Buffer, start: number, end: number): void {
    const isMonitor = conn.role === 'monitor';
    switch (type) {
      case FrameType.PING:
        this.sendControl(conn, encodePing(FrameType.PONG, buf.subarray(start, Math.min(end, start + 8))));
        return;
      case FrameType.PONG:
        return;
      case FrameType.BYE:
        conn.leaveReason = 'said goodbye';
        this.closeConnection(conn);
        return;
      case FrameType.LIST: {
        const correlationId = parseCorrelationOnly(buf, start, end, 'LIST');
        this.sendControl(conn, encodeListReply(correlationId, [...this.modules.keys()]));
        return;
      }
      case FrameType.SUBSCRIBE_PRESENCE: {
        const { correlationId, on } = parseSubscribePresence(buf, start, end);
        conn.presenceSubscribed = on;
        this.sendControl(conn, encodeOk(correlationId));
        return;
      }
      case FrameType.HELLO:
        this.fail(conn, ErrorCode.DUPLICATE_HELLO, 'HELLO was already accepted on this connection');
        return;
      case FrameType.STATS:
      case FrameType.INJECT:
      case FrameType.KICK:
        if (!isMonitor) {
          // INJECT carries kind and flags before its correlation ID; STATS and KICK start with it.
          this.sendError(conn, ErrorCode.NOT_PERMITTED, correlationAt(buf, type === FrameType.INJECT ? start + 2 : start, end), '', `frame 0x${type.toString(16)} is for monitors; connect with the MONITOR flag`);
          return;
        }
        if (type === FrameType.STATS) {
          const correlationId = parseCorrelationOnly(buf, start, end, 'STATS');
          this.sendControl(conn, encodeStatsReply(correlationId, JSON.stringify(this.snapshot())));
        } else if (type === FrameType.INJECT) {
          this.handleInject(conn, buf, start, end);
        } else {
          const kick = parseKick(buf, start, end);
          this.commandResult(conn, kick.correlationId, () => this.kick(kick.id, kick.reason || `kicked by ${conn.id}`));
        }
        return;
      case FrameType.MESSAGE:
        this.sendError(conn, ErrorCode.NOT_PERMITTED, correlationAt(buf, start + 2, end), '', 'monitors do not send MESSAGE frames; use INJECT');
        return;
      default:
        this.sendError(conn, ErrorCode.UNKNOWN_FRAME_TYPE, 0, '', `frame type 0x${type.toString(16).padStart(2, '0')} is not part of protocol version ${PROTOCOL_VERSION}`);
    }
  }

  private handleInject(conn: HubConnection, buf: Buffer, start: number, end: number): void {
    const inject = parseInject(buf, start, end);
    this.commandResult(conn, inject.correlationId, () => {
      const kind = MESSAGE_KIND_NAMES[inject.kind];
      // Without this an unknown kind would read as undefined and inject() would default it to unicast/broadcast.
      if (kind === undefined) throw new HubCommandError(ErrorCode.MALFORMED_FRAME, `message kind ${inject.kind} is not one of 0 (unicast), 1 (broadcast), 2 (request), 3 (reply)`);
      this.inject({
        source: inject.source === '' ? conn.id : inject.source,
        destination: inject.destination === '' ? null : inject.destination,
        kind,
        payload: inject.payload,
        correlationId: inject.correlationId,
      });
    });
  }

  /** Runs a monitor's command and answers OK, or ERROR with the command's reason. */
  private commandResult(conn: HubConnection, correlationId: number, command: () => void): void {
    try {
      command();
      this.sendControl(conn, encodeOk(correlationId));
    } catch (err) {
      if (!(err instanceof HubCommandError)) throw err;
      this.sendError(conn, err.code, correlationId, '', err.message);
    }
  }

  private sendControl(conn: HubConnection, frame: Buffer): void {
    if (conn.role === 'closed') return;
    const [slab, offset] = conn.reserve(frame.length);
    frame.copy(slab, offset);
    this.markDirty(conn);
  }

  /** Answers a connection with ERROR; closes it when the code is fatal. */
  private sendError(conn: HubConnection, code: number, correlationId: number, ref: string, message: string): void {
    if (conn.role === 'closed') return;
    conn.stats.errors++;
    this.totals.errors++;
    this.sendControl(conn, encodeError({ code, correlationId, ref, message }));
    this.events.emit({ type: 'error', time: this.nowMicros(), id: conn.id, code, codeName: errorName(code), message });
    this.eventToMonitors(HubEventCode.ERROR, code, conn.id, message);
  }

  /** Sends a fatal ERROR and closes. */
  private fail(conn: HubConnection, code: number, message: string, ref = ''): void {
    if (conn.role === 'closed') return;
    if (conn.role === 'pending') {
      this.totals.connectionsRejected++;
      this.log(`refused a connection on ${conn.origin.listener}: ${errorName(code)}: ${message}`);
    }
    this.sendError(conn, code, 0, ref, message);
    conn.leaveReason = `${errorName(code)}: ${message}`;
    conn.leaveCode = code;
    this.closeConnection(conn);
  }

  /** Stops routing to a connection at once, flushes what it has pending and ends the stream. */
  private closeConnection(conn: HubConnection): void {
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
    conn.discardPending();
    for (const { requester, correlationId } of conn.pendingRequests.values()) {
      this.sendError(requester, ErrorCode.PEER_GONE, correlationId, conn.id, `"${conn.id}" left before replying: ${conn.leaveReason}`);
    }
    conn.pendingRequests.clear();
    if (role === 'module') {
      if (this.modules.get(conn.id) === conn) this.modules.delete(conn.id);
      this.log(`- ${conn.id} left: ${conn.leaveReason}`);
      this.announce(conn, PresenceEvent.LEAVE, HubEventCode.LEAVE, conn.leaveCode, conn.leaveReason);
      this.events.emit({ type: 'leave', time: this.nowMicros(), id: conn.id, role: 'module', reason: conn.leaveReason, code: conn.leaveCode });
    } else if (role === 'monitor') {
      this.monitorsById.delete(conn.id);
      this.setMonitors(this.monitors.filter((m) => m !== conn));
      this.log(`- monitor ${conn.id} detached: ${conn.leaveReason}`);
      this.events.emit({ type: 'leave', time: this.nowMicros(), id: conn.id, role: 'monitor', reason: conn.leaveReason, code: conn.leaveCode });
    }
    this.flushDirty();
  }

  private setMonitors(monitors: HubConnection[]): void {
    this.monitors = monitors;
    this.frameMonitors = monitors.filter((m) => !m.wantsRuns);
    this.runMonitors = monitors.filter((m) => m.wantsRuns);
  }

  /** Tells presence subscribers and monitors that a module joined or left. */
  private announce(conn: HubConnection, presence: number, hubEvent: number, code: number, detail: string): void {
    const frame = encodePresence(presence, conn.id);
    for (const other of this.modules.values()) {
      if (other !== conn && other.presenceSubscribed) this.sendControl(other, frame);
    }
    this.eventToMonitors(hubEvent, code, conn.id, detail);
  }

  private eventToMonitors(event: number, code: number, id: string, detail: string): void {
    if (this.monitors.length === 0) return;
    this.flushRun();
    const frame = encodeEvent({ timestampMicros: this.nowMicros(), event, code, id, detail });
    for (const monitor of this.monitors) {
      // A monitor that does not keep up misses events the same way it misses traffic: counted, never buffered without bound.
      if (monitor.queuedBytes > this.limits.queueLimit) monitor.monitorDropped++;
      else this.sendControl(monitor, frame);
    }
  }

  // ---------------------------------------------------------------- timers

  private sweep(): void {
    const now = performance.now();
    this.sampleRates(now);
    const idle = this.limits.idleTimeoutMs;
    for (const conn of this.connections) {
      const dispatched = conn.bytesDispatched;
      if (dispatched > conn.dispatchedAtLastSweep) {
        conn.dispatchedAtLastSweep = dispatched;
        conn.lastWriteProgress = now;
      }
      const silentFor = now - Math.max(conn.lastReceived, conn.lastWriteProgress);
      if (conn.role === 'pending' && conn.heldFrames === null && now - conn.acceptedAt > this.handshakeTimeoutMs) {
        this.fail(conn, ErrorCode.HELLO_REQUIRED, `no HELLO within ${this.handshakeTimeoutMs} ms`);
      } else if (idle > 0 && silentFor > idle) {
        this.fail(conn, ErrorCode.IDLE_TIMEOUT, `nothing received for ${idle} ms (not even a PONG) and nothing read of what was sent to it`);
      } else if (idle > 0 && silentFor > idle / 2 && !conn.pingOutstanding && conn.role !== 'pending') {
        conn.pingOutstanding = true;
        this.sendControl(conn, encodePing(FrameType.PING));
      }
      if (conn.role === 'monitor' && conn.monitorDropped > 0 && conn.queuedBytes < this.limits.queueLimit / 2) {
        const dropped = conn.monitorDropped;
        conn.monitorDropped = 0;
        this.sendControl(conn, encodeEvent({ timestampMicros: this.nowMicros(), event: HubEventCode.MONITOR_DROPPED, code: 0, id: conn.id, detail: `${dropped} messages were not copied to this monitor because it read too slowly` }));
      }
    }
    this.flushDirty();
  }

  private sampleRates(now: number): void {
    const seconds = (now - this.lastRateSample.at) / 1000;
    if (seconds < 0.5) return;
    this.totals.messagesPerSecond = (this.totals.messages - this.lastRateSample.messages) / seconds;
    this.totals.bytesPerSecond = (this.totals.bytes - this.lastRateSample.bytes) / seconds;
    this.lastRateSample = { at: now, messages: this.totals.messages, bytes: this.totals.bytes };
    for (const conn of this.connections) {
      const rate = this.rateState.get(conn);
      if (rate === undefined) continue;
      rate.inRate = (conn.stats.messagesIn - rate.in) / seconds;
      rate.outRate = (conn.stats.messagesOut - rate.out) / seconds;
      rate.in = conn.stats.messagesIn;
      rate.out = conn.stats.messagesOut;
    }
  }

  private nowMicros(): number {
    return Math.floor((performance.timeOrigin + performance.now()) * 1000);
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
    const info = (conn: HubConnection): ModuleInfo => {
      const rate = this.rateState.get(conn);
      return {
        id: conn.id,
        role: conn.role === 'monitor' ? 'monitor' : 'module',
        transport: conn.origin.transport,
        listener: conn.origin.listener,
        peer: conn.origin.peer,
        connectedAt: conn.connectedAt,
        stats: { ...conn.stats, queuedBytes: conn.queuedBytes, messagesInPerSecond: rate?.inRate ?? 0, messagesOutPerSecond: rate?.outRate ?? 0 },
      };
    };
    return {
      startedAt: this.startedAt,
      now: Date.now(),
      modules: [...this.modules.values()].map(info),
      monitors: this.monitors.map(info),
      totals: { ...this.totals },
      limits: { ...this.limits },
    };
  }

  moduleIds(): string[] {
    return [...this.modules.keys()];
  }

  /**
   * Sends a message as `source` (default "$hub"). Throws HubCommandError for an unknown destination
   * or an invalid ID. A REPLY addressed to "$hub" resolves the matching request().
   */
  inject(options: InjectOptions): void {
    const source = options.source ?? HUB_ENDPOINT_ID;
    const kindName = options.kind ?? (options.destination == null ? 'broadcast' : 'unicast');
    const kind = MESSAGE_KIND_NAMES.indexOf(kindName);
    if (kind < 0) throw new HubCommandError(ErrorCode.MALFORMED_FRAME, `unknown message kind "${kindName}"`);
    const sourceProblem = moduleIdProblem(source, { allowReserved: true });
    if (sourceProblem !== null) throw new HubCommandError(ErrorCode.INVALID_ID, `source: ${sourceProblem}`);
    const payload = typeof options.payload === 'string' ? Buffer.from(options.payload, 'utf8') : Buffer.from(options.payload);
    if (payload.length > this.limits.maxPayload) throw new HubCommandError(ErrorCode.FRAME_TOO_LARGE, `payload of ${payload.length} bytes exceeds the limit of ${this.limits.maxPayload}`);
    const corr = Buffer.alloc(4);
    corr.writeUInt32BE((options.correlationId ?? 0) >>> 0);
    const sourceId = Buffer.from(source, 'utf8');
    if (kind === MessageKind.BROADCAST) {
      this.deliverInjected(sourceId, null, kind, corr, payload, source);
      return;
    }
    const destination = options.destination ?? '';
    if (destination === HUB_ENDPOINT_ID && kind === MessageKind.REPLY) {
      this.resolveInProcess(source, options.correlationId ?? 0, payload);
      return;
    }
    const target = this.modules.get(destination) ?? this.monitorsById.get(destination);
    if (target === undefined) throw new HubCommandError(ErrorCode.NO_SUCH_MODULE, destination === '' ? `a ${kindName} needs a destination` : `no module "${destination}" is connected`);
    if (kind === MessageKind.REPLY) {
      // A monitor answering a request it received, in the name of the ID the request went to.
      (this.monitorsById.get(source) ?? this.modules.get(source))?.pendingRequests.delete(`${target.serial}:${(options.correlationId ?? 0) >>> 0}`);
    }
    this.deliverInjected(sourceId, target, kind, corr, payload, source);
  }

  /**
   * Relays an injected message to `target`, or to every module but the source when target is null.
   * deliver() reads the correlation ID just before the payload, so the two are joined first.
   */
  private deliverInjected(sourceId: Buffer, target: HubConnection | null, kind: number, corr: Buffer, payload: Buffer, source: string): void {
    const frame = Buffer.concat([corr, payload]);
    if (target !== null) {
      if (!this.deliver(null, sourceId, target, kind, frame, 0, 4, frame.length)) {
        this.flushDirty();
        throw new HubCommandError(ErrorCode.DESTINATION_OVERLOADED, `"${target.id}" is not reading fast enough (or just left); the message was not delivered`);
      }
    } else {
      for (const module of this.modules.values()) if (module.id !== source) this.deliver(null, sourceId, module, kind, frame, 0, 4, frame.length);
    }
    this.totals.messages++;
    this.totals.bytes += payload.length;
    this.stampTime();
    this.tap(sourceId, target === null ? null : target.idBytes, kind, frame, 0, 4, frame.length, source, true);
    this.flushDirty();
  }

  /** Sends a REQUEST as "$hub" and resolves with the REPLY, or rejects on timeout or when the target leaves. */
  request(options: { destination: string; payload: Uint8Array | string; timeoutMs?: number }): Promise<InProcessReply> {
    const correlationId = this.nextInProcessCorrelation++;
    if (this.nextInProcessCorrelation > 0xffffffff) this.nextInProcessCorrelation = 1;
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? 5000;
      const timer = setTimeout(() => {
        this.inProcessRequests.delete(correlationId);
        reject(new HubCommandError(ErrorCode.PEER_GONE, `no reply from "${options.destination}" within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.inProcessRequests.set(correlationId, { resolve, reject, timer });
      try {
        this.inject({ source: HUB_ENDPOINT_ID, destination: options.destination, kind: 'request', payload: options.payload, correlationId });
      } catch (err) {
        clearTimeout(timer);
        this.inProcessRequests.delete(correlationId);
        reject(err);
      }
    });
  }

  private resolveInProcess(source: string, correlationId: number, payload: Buffer): void {
    const pending = this.inProcessRequests.get(correlationId);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.inProcessRequests.delete(correlationId);
    pending.resolve({ source, payload, correlationId });
  }

  /** Disconnects a module (or monitor) with KICKED. Throws HubCommandError when no such ID is connected. */
  kick(id: string, reason = 'kicked'): void {
    const conn = this.modules.get(id) ?? this.monitorsById.get(id);
    if (conn === undefined) throw new HubCommandError(ErrorCode.NO_SUCH_MODULE, `no module "${id}" is connected`);
    this.fail(conn, ErrorCode.KICKED, reason, id);
    this.flushDirty();
  }

  /** Tells every connection BYE (SHUTDOWN), lets queued data drain, then closes them; resolves when all are closed. */
  async close(reason = 'the hub is shutting down', graceMs = 2000): Promise<void> {
    this.closing = true;
    clearInterval(this.sweepTimer);
    this.events.flush();
    for (const pending of this.inProcessRequests.values()) {
      clearTimeout(pending.timer);
      pending.reject(new HubCommandError(ErrorCode.SHUTDOWN, reason));
    }
    this.inProcessRequests.clear();
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
          conn.flush();
          if (conn.stream.writable) conn.stream.write(encodeBye(ErrorCode.SHUTDOWN, reason));
          this.unregister(conn);
          conn.stream.end();
        }),
    );
    await Promise.all(closed);
  }
}

/**
 * Buffer.copy costs about 65 ns a call whatever the size up to a few KiB on Node 20; a JS byte loop
 * is slower already at 64 bytes (measured), so every payload goes through copy.
 */
function copyBytes(source: Buffer, start: number, end: number, target: Buffer, at: number): void {
  if (end > start) source.copy(target, at, start, end);
}

function writeU32(target: Buffer, at: number, value: number): void {
  target[at] = value >>> 24;
  target[at + 1] = (value >>> 16) & 0xff;
  target[at + 2] = (value >>> 8) & 0xff;
  target[at + 3] = value & 0xff;
}

function tokenMatches(expected: Buffer, given: string): boolean {
  const actual = Buffer.from(given, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The correlation ID at the start of a control body, or 0 when the body is too short to have one. */
function correlationAt(buf: Buffer, start: number, end: number): number {
  return end - start >= 4 ? buf.readUInt32BE(start) : 0;
}
