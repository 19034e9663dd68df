import { timingSafeEqual } from 'node:crypto';
import { encodePing, encodeWelcome, parseHello } from '../protocol/frameCodec';
import { moduleIdProblem } from '../protocol/moduleId';
import { ErrorCode, FrameType, HelloFlag, HubEventCode, LENGTH_PREFIX_BYTES, PresenceEvent, PROTOCOL_VERSION } from '../protocol/protocol';
import { type AccessPolicy, ownerProblem } from './accessPolicy';
import type { HubConnection } from './HubConnection';
import { HUB_ENDPOINT_ID, type HubCore } from './HubCore';
import type { MonitorTap } from './MonitorTap';
import { joinDetail, peerIdentity } from './peerIdentity';

/** Bytes a connection may send while its TAKEOVER probe runs before it is refused. */
const MAX_HELD_BYTES = 1024 * 1024;
const HELD_INITIAL_BYTES = 4096;

export interface HandshakeOptions {
  token: Buffer | null;
  /** --owner: module IDs only one uid may register. */
  access: AccessPolicy | null;
  /** How long a TAKEOVER waits for the current holder of an ID to answer a PING. */
  takeoverProbeMs: number;
  /** The frame limit once HELLO is accepted (maxFrameLength(maxPayload)). */
  maxFrame: number;
}

/**
 * HELLO to WELCOME: version and token checks, module ID rules, ID_IN_USE and the TAKEOVER probe,
 * monitor naming. Frames a TAKEOVER claimant sends while its probe runs are held and replayed, in
 * order and as one buffer (so relayed ones reach TRAFFIC_RUN monitors as one run), once it is registered.
 */
export class Handshake {
  /** Assigned monitor numbers only grow: "$monitor-N" is never reused while the hub runs (PROTOCOL.md 5.3). */
  private monitorSerial = 0;

  constructor(
    private readonly core: HubCore,
    private readonly tap: MonitorTap,
    private readonly options: HandshakeOptions,
    /** Handles bytes as if read from `conn` now, under its current frame limit (RelayHub.receive). */
    private readonly replayInput: (conn: HubConnection, bytes: Buffer) => void,
  ) {}

  /** A frame from a connection that has not been welcomed. */
  handle(conn: HubConnection, type: number, buf: Buffer, start: number, end: number): void {
    if (conn.held !== null) this.hold(conn, type, buf, start, end);
    else if (type === FrameType.HELLO) this.hello(conn, buf, start, end);
    else this.core.fail(conn, ErrorCode.HELLO_REQUIRED, `the first frame must be HELLO (0x01), not 0x${type.toString(16).padStart(2, '0')}`);
  }

  private hello(conn: HubConnection, buf: Buffer, start: number, end: number): void {
    // The version byte is read before the rest: a later version's HELLO may be laid out differently.
    const version = end > start ? buf[start] : -1;
    if (version !== PROTOCOL_VERSION) {
      this.core.fail(
        conn,
        ErrorCode.BAD_VERSION,
        version < 0 ? 'HELLO is empty: it must start with the protocol version' : `protocol version ${version} is not supported; this hub speaks version ${PROTOCOL_VERSION}`,
      );
      return;
    }
    const hello = parseHello(buf, start, end);
    const token = this.options.token;
    if (conn.origin.requireToken && token === null) {
      this.core.fail(conn, ErrorCode.BAD_TOKEN, 'this listener requires a token but the hub has none configured');
      return;
    }
    // A plain listener's program cannot carry a token: the HELLO is its listener's (electron/hub/plain/), admitted by where it listens; a tap's modules are the hub's own (electron/hub/tap/).
    if (token !== null && conn.origin.plain === undefined && conn.origin.tap === undefined && !tokenMatches(token, hello.token)) {
      this.core.fail(conn, ErrorCode.BAD_TOKEN, hello.token === '' ? 'this hub requires a token in HELLO' : 'the token in HELLO is wrong');
      return;
    }
    // parseHello decodes the ID lossily: invalid UTF-8 becomes U+FFFD, which moduleIdProblem refuses.
    const id = hello.id;
    if (hello.flags & HelloFlag.MONITOR) {
      // A monitor reads all traffic and may INJECT and KICK. With a token it was checked above; without
      // one, on a listener other users reach, only the hub's own user (by SO_PEERCRED) may attach.
      if (conn.origin.monitorRequiresToken && token === null) {
        this.core.fail(conn, ErrorCode.NOT_PERMITTED, `${conn.origin.listener} is open to other users: a monitor must run as the hub's user, or the hub must have a token`);
        return;
      }
      conn.wantsRuns = (hello.flags & HelloFlag.TRAFFIC_RUNS) !== 0;
      this.welcomeMonitor(conn, id);
      return;
    }
    const problem = moduleIdProblem(id);
    if (problem !== null) {
      this.core.fail(conn, ErrorCode.INVALID_ID, problem);
      return;
    }
    const notOwner = ownerProblem(this.options.access, id, conn.origin);
    if (notOwner !== null) {
      this.core.notPermitted(conn, notOwner, id);
      return;
    }
    if (this.core.monitorsById.has(id)) {
      this.core.fail(conn, ErrorCode.ID_IN_USE, `"${id}" is the name of a connected monitor`, id);
      return;
    }
    const holder = this.core.modules.get(id);
    if (holder === undefined) this.welcomeModule(conn, id);
    else if (holder.origin.remote !== undefined)
      this.core.fail(conn, ErrorCode.ID_IN_USE, `module ID "${id}" is connected to hub ${holder.origin.remote.hub} of the bus; a TAKEOVER works only on the hub that holds the ID`, id);
    else if (hello.flags & HelloFlag.TAKEOVER) this.probeHolder(conn, holder, id);
    else this.core.fail(conn, ErrorCode.ID_IN_USE, `module ID "${id}" is already connected`, id);
  }

  private welcome(conn: HubConnection, id: string): void {
    const limits = this.core.limits;
    conn.decoder.maxFrameLength = this.options.maxFrame;
    conn.id = id;
    conn.idBytes = Buffer.from(id, 'utf8');
    this.core.statistics.track(conn);
    this.core.output.sendControl(conn, encodeWelcome({ version: PROTOCOL_VERSION, maxPayload: limits.maxPayload, queueLimit: limits.queueLimit, idleTimeoutMs: limits.idleTimeoutMs, id }));
  }

  private welcomeModule(conn: HubConnection, id: string): void {
    conn.role = 'module';
    this.core.modules.set(id, conn);
    this.core.registryVersion++;
    this.welcome(conn, id);
    this.core.log(`+ ${id} joined via ${conn.origin.listener}${conn.origin.peer ? ` (${conn.origin.peer})` : ''}`);
    this.core.announce(conn, PresenceEvent.JOIN, HubEventCode.JOIN, 0, joinDetail(conn.origin));
    this.core.events.emit({
      type: 'join',
      time: this.core.clock.nowMicros(),
      id,
      role: 'module',
      transport: conn.origin.transport,
      listener: conn.origin.listener,
      peer: conn.origin.peer,
      ...peerIdentity(conn.origin),
    });
  }

  private welcomeMonitor(conn: HubConnection, requested: string): void {
    const { modules, monitorsById } = this.core;
    let id = requested;
    // "$hub" is the in-process endpoint: a monitor under that name would receive the replies meant for request().
    if (id === '' || id === HUB_ENDPOINT_ID || monitorsById.has(id) || moduleIdProblem(id, { allowReserved: true }) !== null) id = `$monitor-${++this.monitorSerial}`;
    while (monitorsById.has(id) || modules.has(id)) id = `$monitor-${++this.monitorSerial}`;
    conn.role = 'monitor';
    monitorsById.set(id, conn);
    this.tap.add(conn);
    this.welcome(conn, id);
    this.core.log(`+ monitor ${id} attached via ${conn.origin.listener}`);
    this.core.events.emit({ type: 'join', time: this.core.clock.nowMicros(), id, role: 'monitor', transport: conn.origin.transport, listener: conn.origin.listener, peer: conn.origin.peer });
  }

  /**
   * TAKEOVER: the holder is PINGed; if it sends anything within takeoverProbeMs it is alive and the
   * newcomer is refused, otherwise the holder is closed as REPLACED and the newcomer registered.
   */
  private probeHolder(newcomer: HubConnection, holder: HubConnection, id: string): void {
    if (holder.probedBy !== null) {
      this.core.fail(newcomer, ErrorCode.ID_IN_USE, `module ID "${id}" is already being taken over`, id);
      return;
    }
    newcomer.held = Buffer.allocUnsafe(HELD_INITIAL_BYTES);
    newcomer.heldLength = 0;
    holder.probedBy = newcomer;
    const probeStartedAt = holder.lastReceived;
    this.core.output.sendControl(holder, encodePing(FrameType.PING));
    const timer = setTimeout(() => {
      holder.probedBy = null;
      if (newcomer.role !== 'pending') return;
      if (holder.role === 'module' && holder.lastReceived === probeStartedAt) {
        // Silent for the whole probe: presumed dead.
        this.core.fail(holder, ErrorCode.REPLACED, `module ID "${id}" was taken over by a new connection after no answer for ${this.options.takeoverProbeMs} ms`, id);
      }
      if (this.core.modules.has(id) || this.core.monitorsById.has(id)) {
        this.core.fail(newcomer, ErrorCode.ID_IN_USE, `module ID "${id}" is held by a connection that answered`, id);
        return;
      }
      const held = (newcomer.held as Buffer).subarray(0, newcomer.heldLength);
      newcomer.held = null;
      newcomer.heldLength = 0;
      this.welcomeModule(newcomer, id);
      this.replay(newcomer, held);
    }, this.options.takeoverProbeMs);
    timer.unref();
  }

  /**
   * Keeps the frame whole (length prefix and type included) for replay, back to back with the ones
   * before it. Every byte counts against the cap, headers too: a flood of empty frames costs what it
   * weighs and no more (no object per frame).
   */
  private hold(conn: HubConnection, type: number, buf: Buffer, start: number, end: number): void {
    const frameLength = end - start + LENGTH_PREFIX_BYTES + 1;
    const needed = conn.heldLength + frameLength;
    if (needed > MAX_HELD_BYTES) {
      this.core.fail(conn, ErrorCode.HELLO_REQUIRED, `more than ${MAX_HELD_BYTES} bytes sent before WELCOME while the takeover was pending`);
      return;
    }
    let held = conn.held as Buffer;
    if (needed > held.length) {
      const grown = Buffer.allocUnsafe(Math.min(MAX_HELD_BYTES, Math.max(needed, held.length * 2)));
      held.copy(grown, 0, 0, conn.heldLength);
      conn.held = held = grown;
    }
    held.writeUInt32BE(end - start + 1, conn.heldLength);
    held[conn.heldLength + LENGTH_PREFIX_BYTES] = type;
    buf.copy(held, conn.heldLength + LENGTH_PREFIX_BYTES + 1, start, end);
    conn.heldLength = needed;
  }

  /**
   * The held frames are handled as one read from the newly registered connection (RelayHub.receive),
   * followed by any incomplete frame its decoder has buffered since: those bytes came after them.
   */
  private replay(conn: HubConnection, held: Buffer): void {
    const incomplete = conn.decoder.takeBuffered();
    const bytes = incomplete.length === 0 ? held : Buffer.concat([held, incomplete]);
    if (bytes.length > 0) this.replayInput(conn, bytes);
  }
}

function tokenMatches(expected: Buffer, given: string): boolean {
  const actual = Buffer.from(given, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
