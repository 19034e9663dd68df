import type * as net from 'node:net';
import { encodePing, FrameDecoder, FrameError, parseBye, parseError, parseWelcome, type FrameVisitor, type Welcome } from '../protocol/frameCodec';
import { DEFAULT_MAX_PAYLOAD, FrameType, LENGTH_PREFIX_BYTES, MAX_RUN_BYTES, maxFrameLength, PROTOCOL_VERSION } from '../protocol/protocol';
import { connectSocket, type SocketAddress } from '../sockets/socketAddress';
import { ConnectError, RelayError, TimeoutError } from './errors';
import { checkHubOwner } from './hubOwner';

export interface ConnectionOptions {
  address: SocketAddress;
  /** The address as messages name it (formatSocketAddress). */
  socketName: string;
  /** The encoded HELLO. */
  hello: Buffer;
  /** Covers connecting and waiting for WELCOME. */
  timeoutMs: number;
  /** A uid besides this user's and root's whose hub may receive HELLO on a Unix socket. */
  allowHubUid?: number;
}

export interface ConnectionHandlers {
  /** Each frame after WELCOME, in order. */
  frame: FrameVisitor;
  /** Writes are accepted again after write() returned false. */
  drain(): void;
  /** A registered connection closed: `error` is the hub's fatal ERROR or BYE, else the socket's error. */
  closed(error: Error | undefined): void;
}

/** How long end() waits for the hub to close the connection after BYE before destroying it. */
const CLOSE_GRACE_MS = 2000;
/**
 * LIST_REPLY and STATS_REPLY grow with the number of modules and have no bound of their own; this one
 * (the Python client's too) only keeps a corrupt stream from making the client allocate without limit.
 */
const MAX_LISTING_FRAME_LENGTH = 256 * 1024 * 1024;
/** A TRAFFIC_RUN's length beyond its frames: type, u64 timestamp, the source as u8 length and up to 255 bytes, u32 count. */
const TRAFFIC_RUN_OVERHEAD = 1 + 8 + 1 + 255 + 4;

/**
 * One connection to the hub, from opening its socket through HELLO and WELCOME until it closes. It
 * reads the hub's frames with the limit WELCOME implies and PINGs the hub when it has sent nothing
 * for a while; reconnecting, buffering and pending operations are RelayClient's.
 */
export class Connection {
  private socket: net.Socket | null = null;
  /** Until WELCOME announces the hub's maxPayload, the default one bounds the answer to HELLO. */
  private readonly decoder = new FrameDecoder(maxFrameLength(DEFAULT_MAX_PAYLOAD));
  /** Settles open(); null once WELCOME or a failure arrived. */
  private handshake: { resolve: (welcome: Welcome) => void; reject: (error: Error) => void; timer: NodeJS.Timeout } | null = null;
  /** Set by abandon() before the socket exists, for open() to find once it does. */
  private abandoned: Error | null = null;
  private welcomed = false;
  private socketClosed = false;
  /** The fatal ERROR or BYE the hub sent before closing, reported with the close. */
  private hubError: RelayError | undefined;
  private socketError: Error | undefined;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private lastSentAt = performance.now();

  constructor(
    private readonly options: ConnectionOptions,
    private readonly handlers: ConnectionHandlers,
  ) {}

  /** True from WELCOME on. */
  get registered(): boolean {
    return this.welcomed;
  }

  get writable(): boolean {
    return this.socket?.writable ?? false;
  }

  /** Bytes written earlier still wait in the socket's buffer for the hub to read them. */
  get writesWaiting(): boolean {
    return (this.socket?.writableLength ?? 0) > 0;
  }

  /**
   * Connects, says HELLO and resolves with WELCOME. Frames that came in the same read as WELCOME
   * reach handlers.frame on the next turn, so the caller can act on WELCOME first. Rejects with
   * ConnectError, TimeoutError, RelayError (the hub refused) or the error abandon() was given.
   */
  async open(): Promise<Welcome> {
    const { address, socketName, timeoutMs } = this.options;
    const startedAt = performance.now();
    let socket: net.Socket;
    try {
      socket = await connectSocket(address, timeoutMs);
    } catch (err) {
      throw connectFailure(socketName, err, timeoutMs);
    }
    if (this.abandoned !== null) {
      socket.destroy();
      throw this.abandoned;
    }
    try {
      checkHubOwner(socket, address, socketName, this.options.allowHubUid);
    } catch (err) {
      socket.destroy();
      throw err;
    }
    if (address.kind === 'tcp') socket.setNoDelay(true);
    this.socket = socket;
    const remainingMs = Math.max(0, timeoutMs - (performance.now() - startedAt));
    return new Promise<Welcome>((resolve, reject) => {
      const timer = setTimeout(() => this.failHandshake(new TimeoutError(`no WELCOME from the hub at ${socketName} within ${timeoutMs} ms`, timeoutMs)), remainingMs);
      this.handshake = { resolve, reject, timer };
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('error', (err) => {
        this.socketError ??= err;
      });
      socket.on('close', () => this.onClose());
      socket.on('drain', () => {
        if (this.welcomed) this.handlers.drain();
      });
      this.write(this.options.hello);
    });
  }

  /** Gives up on a connection still opening: open() rejects with `error`. */
  abandon(error: Error): void {
    if (this.socket === null) this.abandoned = error;
    else this.failHandshake(error);
  }

  /** The hub sent BYE or a fatal ERROR and closes the connection next; the close reports `error`. */
  recordHubError(error: RelayError): void {
    this.hubError = error;
  }

  /** Returns false under backpressure (the frame is queued all the same). */
  write(frame: Buffer): boolean {
    if (this.socket === null) return false;
    this.lastSentAt = performance.now();
    return this.socket.write(frame);
  }

  /** Sends `bye` and lets the hub close the connection, destroying it if the hub takes longer than CLOSE_GRACE_MS. */
  end(bye: Buffer): void {
    const socket = this.socket;
    if (socket === null) return;
    this.stopKeepalive();
    const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    socket.once('close', () => clearTimeout(timer));
    socket.end(bye);
  }

  // ---------------------------------------------------------------- the handshake

  private onData(chunk: Buffer): void {
    if (this.welcomed) {
      this.decode(chunk);
      return;
    }
    if (this.handshake === null) return;
    let end: number;
    try {
      end = this.decoder.push(chunk, this.visitFirstFrame);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      this.failHandshake(this.protocolFailure(err));
      return;
    }
    if (this.welcomed && end < chunk.length) {
      // open() resolves in this turn and connect()'s caller attaches listeners after that: frames that
      // came with WELCOME wait for the next turn, the socket paused so later reads stay behind them.
      const rest = chunk.subarray(end);
      const socket = this.socket as net.Socket;
      socket.pause();
      setImmediate(() => {
        this.decode(rest);
        socket.resume();
      });
    }
  }

  /** The answer to HELLO: WELCOME, or the ERROR or BYE of a refusal. Decoding stops after it. */
  private readonly visitFirstFrame = (type: number, buf: Buffer, start: number, end: number): false => {
    if (type === FrameType.WELCOME) {
      const welcome = parseWelcome(buf, start, end);
      // WELCOME names the version the hub will speak (PROTOCOL.md 12); this client speaks only version 1.
      if (welcome.version === PROTOCOL_VERSION) this.welcome(welcome);
      else {
        const { socketName } = this.options;
        this.failHandshake(new ConnectError(`the hub at ${socketName} speaks protocol version ${welcome.version}, this client only ${PROTOCOL_VERSION}`, socketName, 'EPROTO'));
      }
    } else if (type === FrameType.ERROR) {
      const error = parseError(buf, start, end);
      this.failHandshake(new RelayError(error.code, error.message, { ref: error.ref, correlationId: error.correlationId }));
    } else if (type === FrameType.BYE) {
      const bye = parseBye(buf, start, end);
      this.failHandshake(new RelayError(bye.code, bye.reason || 'the hub said goodbye', { fatal: true }));
    } else {
      const { socketName } = this.options;
      this.failHandshake(new ConnectError(`the hub at ${socketName} answered HELLO with frame type 0x${type.toString(16).padStart(2, '0')} instead of WELCOME`, socketName, 'EPROTO'));
    }
    return false;
  };

  private welcome(welcome: Welcome): void {
    const handshake = this.handshake as NonNullable<Connection['handshake']>;
    this.handshake = null;
    clearTimeout(handshake.timer);
    this.welcomed = true;
    this.decoder.maxFrameLength = hubFrameLimit(welcome.maxPayload);
    this.startKeepalive(welcome.idleTimeoutMs);
    handshake.resolve(welcome);
  }

  private failHandshake(error: Error): void {
    const handshake = this.handshake;
    if (handshake === null) return;
    this.handshake = null;
    clearTimeout(handshake.timer);
    this.socket?.destroy();
    handshake.reject(error);
  }

  private protocolFailure(err: FrameError): ConnectError {
    const { socketName } = this.options;
    return new ConnectError(`the hub at ${socketName} sent an invalid frame: ${err.message}`, socketName, 'EPROTO', err);
  }

  // ---------------------------------------------------------------- registered

  private decode(chunk: Buffer): void {
    // Frames deferred past WELCOME may find the connection already closed.
    if (this.socketClosed) return;
    try {
      this.decoder.push(chunk, this.handlers.frame);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      this.socket?.destroy(new Error(`the hub sent an invalid frame: ${err.message}`));
    }
  }

  private onClose(): void {
    this.socketClosed = true;
    this.stopKeepalive();
    if (this.handshake !== null) {
      const { socketName } = this.options;
      const cause = this.socketError as NodeJS.ErrnoException | undefined;
      this.failHandshake(new ConnectError(`the hub at ${socketName} closed the connection before WELCOME${cause ? `: ${cause.message}` : ''}`, socketName, cause?.code ?? 'ECONNRESET', cause));
    } else if (this.welcomed) {
      this.handlers.closed(this.hubError ?? this.socketError);
    }
  }

  /** PINGs the hub whenever a third of its idle timeout passes without anything sent, so an idle client is never timed out. */
  private startKeepalive(idleTimeoutMs: number): void {
    if (idleTimeoutMs <= 0) return;
    const quietMs = idleTimeoutMs / 3;
    this.keepaliveTimer = setInterval(
      () => {
        if (this.writable && performance.now() - this.lastSentAt >= quietMs) this.write(encodePing(FrameType.PING));
      },
      Math.max(10, Math.floor(idleTimeoutMs / 6)),
    );
    this.keepaliveTimer.unref();
  }

  private stopKeepalive(): void {
    if (this.keepaliveTimer !== null) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = null;
  }
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
