import type * as net from 'node:net';
import {
  connectSocket,
  DEFAULT_MAX_PAYLOAD,
  encodeHello,
  encodePing,
  FrameDecoder,
  FrameType,
  maxFrameLength,
  parseError,
  parseMessage,
  parseWelcome,
  type ErrorFrame,
  type Frame,
  type MessageFrame,
  type SocketAddress,
  type Welcome,
} from '../../electron/hub';

export interface RawClientOptions {
  /** Answer every PING from the hub with a PONG, as a live module would. */
  autoPong?: boolean;
}

export interface HelloOptions {
  flags?: number;
  token?: string;
  version?: number;
}

/** Either side of a handshake: the hub's WELCOME or its ERROR. */
export type HandshakeResult = { welcome: Welcome; error?: undefined } | { welcome?: undefined; error: ErrorFrame };

/** Parses a frame's whole body with one of the codec's parseX functions. */
export function parseBody<T>(frame: Frame, parse: (buf: Buffer, start: number, end: number) => T): T {
  return parse(frame.body, 0, frame.body.length);
}

/**
 * A protocol client with no logic of its own: it writes the bytes it is given and records every
 * frame the hub sends, decoded with the codec under test. Waits are event-driven with a deadline.
 */
export class RawClient {
  readonly frames: Frame[] = [];
  /** Set when the hub's byte stream could not be decoded (which would be a hub bug). */
  decodeError: Error | null = null;
  closed = false;
  private readonly decoder = new FrameDecoder(maxFrameLength(DEFAULT_MAX_PAYLOAD));
  private readonly listeners = new Set<() => void>();
  private readonly closedPromise: Promise<void>;

  private constructor(
    readonly socket: net.Socket,
    options: RawClientOptions,
  ) {
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk, (type, buf, start, end) => {
          const frame = { type, body: Buffer.from(buf.subarray(start, end)) };
          this.frames.push(frame);
          if (options.autoPong && type === FrameType.PING && !socket.destroyed) socket.write(encodePing(FrameType.PONG, frame.body));
        });
      } catch (err) {
        this.decodeError = err as Error;
        socket.destroy();
      }
      this.notify();
    });
    // Resets and EPIPEs are expected when the hub closes a connection under test; the close event says enough.
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) => {
      socket.once('close', () => {
        this.closed = true;
        this.notify();
        resolve();
      });
    });
  }

  static async connect(address: SocketAddress, options: RawClientOptions = {}): Promise<RawClient> {
    return new RawClient(await connectSocket(address), options);
  }

  /** Wraps an already connected socket. */
  static wrap(socket: net.Socket, options: RawClientOptions = {}): RawClient {
    return new RawClient(socket, options);
  }

  send(...frames: Buffer[]): void {
    this.socket.write(frames.length === 1 ? frames[0] : Buffer.concat(frames));
  }

  /** Sends HELLO and resolves with the WELCOME or the ERROR the hub answers with. */
  async hello(id: string, options: HelloOptions = {}, timeoutMs = 5000): Promise<HandshakeResult> {
    this.send(encodeHello({ id, ...options }));
    const frame = await this.waitForFrame((f) => f.type === FrameType.WELCOME || f.type === FrameType.ERROR, `WELCOME or ERROR for HELLO "${id}"`, timeoutMs);
    return frame.type === FrameType.WELCOME ? { welcome: parseBody(frame, parseWelcome) } : { error: parseBody(frame, parseError) };
  }

  /** Resolves when `condition` holds, re-checking whenever frames arrive or the socket closes. */
  waitFor<T>(condition: () => T | false | undefined | null, what: string, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const value = condition();
        if (value === false || value === undefined || value === null) return false;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(value);
        return true;
      };
      const listener = (): void => {
        check();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.frames.length} frames received, closed: ${this.closed})`));
      }, timeoutMs);
      if (!check()) this.listeners.add(listener);
    });
  }

  /** The first received frame that matches, waiting for it if needed. */
  waitForFrame(match: (frame: Frame) => boolean, what: string, timeoutMs = 5000): Promise<Frame> {
    return this.waitFor(() => this.frames.find(match), what, timeoutMs);
  }

  /** The first ERROR frame carrying `code`. */
  async waitForError(code: number, timeoutMs = 5000): Promise<ErrorFrame> {
    const frame = await this.waitForFrame((f) => f.type === FrameType.ERROR && f.body.readUInt16BE(0) === code, `ERROR with code ${code}`, timeoutMs);
    return parseBody(frame, parseError);
  }

  async waitForClose(timeoutMs = 5000): Promise<void> {
    await this.waitFor(() => this.closed, 'the connection to close', timeoutMs);
  }

  ofType(type: number): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  messages(): MessageFrame[] {
    return this.ofType(FrameType.MESSAGE).map((f) => parseBody(f, parseMessage));
  }

  errors(): ErrorFrame[] {
    return this.ofType(FrameType.ERROR).map((f) => parseBody(f, parseError));
  }

  count(type: number): number {
    let n = 0;
    for (const f of this.frames) if (f.type === type) n++;
    return n;
  }

  /** Stops reading: the hub's writes pile up in the kernel and then in the hub's queue. */
  pause(): void {
    this.socket.pause();
  }

  async close(): Promise<void> {
    this.socket.destroy();
    await this.closedPromise;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
