import type { Duplex } from 'node:stream';
import { FrameDecoder, type FrameVisitor } from '../protocol/frameCodec';
import type { PeerProcess } from '../sockets/peerProcess';
import type { TcpPeerOwner } from '../sockets/tcpPeerOwner';
import { RelayRun } from './RelayRun';

export type Transport = 'unix' | 'abstract' | 'tcp' | 'stream';

export type ConnectionRole = 'pending' | 'module' | 'monitor' | 'closed';

/** Where a connection came from; set by the listener, the only part of the hub that knows addresses. */
export interface ConnectionOrigin {
  transport: Transport;
  /** The listening address as the user wrote it (a path, @name or host:port). */
  listener: string;
  /** Whether HELLO must carry the hub's token on this listener. */
  requireToken: boolean;
  /** Peer address of a TCP connection, e.g. "127.0.0.1:50000". */
  peer?: string;
  /** The peer process of a Unix socket connection, read with SO_PEERCRED at accept when the native helper is built. */
  credentials?: { pid: number; uid: number; gid: number };
  /** The executable and arguments of that process from /proc, read at accept as far as the hub may (peerProcess.ts). */
  process?: PeerProcess;
  /**
   * A loopback TCP peer's owner from /proc (tcpPeerOwner.ts). The object is there from accept and
   * filled in when the lookup finds it, so STATS shows it from then on; empty when it found nothing.
   */
  tcpOwner?: TcpPeerOwner;
  /** Set for a connection of a plain listener: a program that speaks no Relayscope protocol (electron/hub/plain/). */
  plain?: PlainOrigin;
  /** Set for a module standing for one side of a tapped connection (electron/hub/tap/). */
  tap?: TapOrigin;
  /**
   * The listener is open to other users and the peer is not known to run as the hub's user, so a
   * MONITOR HELLO (reading all traffic, INJECT, KICK) needs the token.
   */
  monitorRequiresToken?: boolean;
  /** Set for a module connected to another hub of the bus (electron/hub/federation/): it stands for that module here. */
  remote?: RemoteOrigin;
}

export interface RemoteOrigin {
  /** The name of the hub the module is connected to. */
  hub: string;
  /** When that hub registered it, milliseconds since the Unix epoch: the earlier of two claims on an ID wins. */
  claimedAt: number;
}

export type PlainFramingName = 'id-byte' | 'line';

export interface PlainOrigin {
  framing: PlainFramingName;
  /** Why a message from `sourceId` with `payloadLength` bytes cannot be written in this framing, or null (Router.deliver). */
  refuses: ((sourceId: Buffer, payloadLength: number) => string | null) | null;
}

export interface TapOrigin {
  /** 'client': a program that connected to the tap; 'upstream': the server the tap forwards to. */
  side: 'client' | 'upstream';
  /** For a client: the module ID of the upstream its connection is passed on to. */
  upstream?: string;
  /** Why nothing can be sent to it: the tap passes on only what the two programs write. */
  refuses: (sourceId: Buffer, payloadLength: number) => string | null;
}

export interface ModuleStats {
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
  errors: number;
  drops: number;
}

/**
 * Smallest output slab. Frames are appended into one slab and handed to the stream in a single
 * write per input chunk processed, so relaying N small messages costs one syscall, not N.
 */
const SLAB_BYTES = 64 * 1024;

/** Payloads at least this large are written as their own buffer instead of being copied. */
export const ZERO_COPY_THRESHOLD = 16 * 1024;

/**
 * One peer of the hub: its decoder, its role, its output slab and its counters. It knows nothing
 * of other connections; RelayHub routes between them.
 */
export class HubConnection {
  role: ConnectionRole = 'pending';
  id = '';
  /** The ID as UTF-8, copied into every frame this connection is the source of. */
  idBytes: Buffer = Buffer.alloc(0);
  readonly decoder: FrameDecoder;
  readonly stats: ModuleStats = { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0, errors: 0, drops: 0 };
  readonly connectedAt = Date.now();
  /** performance.now() at accept: the handshake deadline counts from here, not from the last byte. */
  readonly acceptedAt = performance.now();
  /** Reading is paused because this connection's own output queue is over the limit. */
  readPaused = false;
  /** An empty write is queued to tell when the output before it has gone (RelayHub.pauseUntilDrained). */
  drainProbe = false;
  /** performance.now() of the last bytes received; drives keepalive. */
  lastReceived = performance.now();
  /**
   * performance.now() when output last left the stream's buffer: a peer busy reading a long queue is
   * alive even if its PONG waits behind that queue.
   */
  lastWriteProgress = 0;
  dispatchedAtLastSweep = 0;
  /** The stream still buffered output at the last sweep: the kernel's socket buffer was full. */
  backloggedAtLastSweep = false;
  pingOutstanding = false;
  presenceSubscribed = false;
  /** Set on the output list of the hub's current pass so a connection is flushed once. */
  dirty = false;
  /** Last destination this connection sent to: routing a run of messages to one peer skips the lookup. */
  lastDestinationBytes: Buffer = Buffer.alloc(0);
  lastDestination: HubConnection | null = null;
  /** For monitors: takes relayed traffic as TRAFFIC_RUN frames (HelloFlag.TRAFFIC_RUNS). */
  wantsRuns = false;
  /** For monitors: TRAFFIC copies dropped since the last MONITOR_DROPPED notice. */
  monitorDropped = 0;
  /** Requests this module received and has not answered: key "requesterSerial:correlationId". */
  readonly pendingRequests = new Map<string, { requester: HubConnection; correlationId: number }>();
  /**
   * While a TAKEOVER probe runs: the whole frames (length prefix included) that arrived after HELLO,
   * back to back in one buffer [0, heldLength), replayed once registered. Null when no probe runs.
   */
  held: Buffer | null = null;
  heldLength = 0;
  /** Hands each decoded frame to the hub; set when the hub takes the connection in. */
  visitor: FrameVisitor = () => {};
  /** Input not yet handled because this connection's own answers piled up (RelayHub.receive). */
  unread: Buffer | null = null;
  /** Bytes of partial input counted in the hub's memory budget. */
  inputAccounted = 0;
  /** Set while this connection is the holder being probed by a TAKEOVER. */
  probedBy: HubConnection | null = null;
  leaveReason = 'connection closed';
  leaveCode = 0;
  /** What this connection's framing cannot carry (PlainOrigin.refuses); null for every Relayscope client. */
  readonly refuses: PlainOrigin['refuses'];

  /** Bytes ever handed to the stream; minus what it still buffers, what reached the kernel. */
  private handedToStream = 0;
  private slab: Buffer | null = null;
  /** Bytes of `slab` already handed to the stream. */
  private flushed = 0;
  /** Bytes of `slab` written so far. */
  private filled = 0;
  /** Relayed frames reserved in `slab` whose bytes are still to be copied in (RelayRun). */
  private readonly run = new RelayRun();

  constructor(
    readonly serial: number,
    readonly stream: Duplex,
    readonly origin: ConnectionOrigin,
    maxFrameLength: number,
  ) {
    this.decoder = new FrameDecoder(maxFrameLength);
    this.refuses = origin.plain?.refuses ?? origin.tap?.refuses ?? null;
  }

  get isOpen(): boolean {
    return this.role !== 'closed';
  }

  /** Bytes that have left the stream's own buffer towards the peer. */
  get bytesDispatched(): number {
    return this.handedToStream - this.stream.writableLength;
  }

  /** Bytes waiting to reach the peer: in the stream's buffer plus not yet flushed. */
  get queuedBytes(): number {
    return this.stream.writableLength + (this.filled - this.flushed);
  }

  /**
   * Reserves `size` bytes in the output slab and returns the slab and offset to write them at.
   * The caller fills exactly `size` bytes.
   */
  reserve(size: number): [Buffer, number] {
    let slab = this.slab;
    if (slab === null || this.filled + size > slab.length) {
      this.flush();
      slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, size));
      this.slab = slab;
      this.flushed = 0;
      this.filled = 0;
    }
    const offset = this.filled;
    this.filled += size;
    return [slab, offset];
  }

  /**
   * Appends input[frameStart, frameEnd), a MESSAGE frame whose peer ID is as long as `peer`, with the
   * peer ID replaced by `peer`: a relayed message as the destination receives it.
   */
  appendRelayed(input: Buffer, frameStart: number, frameEnd: number, peer: Buffer): void {
    const [slab, offset] = this.reserve(frameEnd - frameStart);
    this.run.add(input, frameStart, frameEnd, slab, offset, peer);
  }

  /** Writes a whole buffer after whatever is pending, keeping frame order. */
  writeBuffer(buffer: Buffer): void {
    this.flush();
    if (!this.stream.destroyed && this.stream.writable) {
      this.handedToStream += buffer.length;
      this.stream.write(buffer);
    }
  }

  /** Hands pending slab bytes to the stream. Slab bytes already handed over are never touched again. */
  flush(): void {
    this.run.copyOut();
    if (this.filled > this.flushed && this.slab !== null) {
      if (!this.stream.destroyed && this.stream.writable) {
        this.handedToStream += this.filled - this.flushed;
        this.stream.write(this.slab.subarray(this.flushed, this.filled));
      }
      this.flushed = this.filled;
    }
  }

  /** Forgets unsent output: used when the connection is being torn down anyway. */
  discardPending(): void {
    this.run.clear();
    this.slab = null;
    this.flushed = 0;
    this.filled = 0;
  }
}
