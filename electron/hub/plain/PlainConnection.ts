import type * as net from 'node:net';
import { Duplex } from 'node:stream';
import { encodeHello, encodePing, FrameDecoder, parseBye, parseError } from '../../protocol/frameCodec';
import { MessageBody, messageHeaderLength, writeMessageHeader } from '../../protocol/frameWriters';
import { FATAL_ERRORS, FrameType, MessageKind, maxFrameLength } from '../../protocol/protocol';
import type { PlainFramingName } from '../HubConnection';

/** What a framing hands the hub, in protocol terms. */
export interface PlainSink {
  /** The HELLO: the module registers under `id`. Nothing a framing sends reaches the hub before it. */
  register(id: string): void;
  /** One MESSAGE: a unicast to the raw ID bytes `destination`, or a broadcast when it is null. */
  send(destination: Buffer | null, payload: Buffer): void;
  /** Writes to the program directly: what the framing answers itself, without the hub. */
  reply(bytes: Buffer): void;
}

/** One way of reading and writing a program that speaks no Relayscope protocol (idByteFraming.ts, lineFraming.ts). */
export interface PlainFraming {
  readonly name: PlainFramingName;
  /** The connection was taken in: id-byte registers at once, line waits a moment for `/nick`. */
  start(sink: PlainSink): void;
  /** Bytes the program wrote. */
  input(chunk: Buffer, sink: PlainSink): void;
  /** A message delivered to this module (source ID as raw bytes), as the bytes the program reads; null to write nothing. */
  deliver(source: Buffer, payload: Buffer): Buffer | null;
  /** An ERROR or BYE the hub sent; `fatal`: the hub closes the connection next. Null to write nothing. */
  notice(code: number, message: string, fatal: boolean): Buffer | null;
  /** The connection ended: timers stop. Returns what the program had sent of an incomplete message, for the log, or null. */
  stop(): string | null;
}

const NO_CORRELATION = Buffer.alloc(4);

/**
 * A plain program's socket as the hub sees it: a Duplex that speaks the protocol. The framing turns
 * the program's bytes into HELLO and MESSAGE frames on the readable side, and the frames the hub
 * writes into bytes for the program; a PING is answered here (the program cannot), so keepalive
 * still closes a connection whose program stopped reading. Everything else is the hub's own path:
 * ID rules, routing, counters, monitors, recordings, limits. Backpressure is passed through both
 * ways: the hub's writes complete when the socket has taken them, and reading pauses the socket.
 */
export class PlainConnection extends Duplex {
  private readonly decoder: FrameDecoder;
  private readonly sink: PlainSink;
  private registered = false;
  /** Frames produced while one chunk of the program's input is handled, pushed to the hub as one read. */
  private pending: Buffer[] = [];
  private handling = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly framing: PlainFraming,
    maxPayload: number,
    /** Told what an incomplete message lost when the program closed. */
    private readonly log: (line: string) => void,
  ) {
    super({ allowHalfOpen: true });
    this.decoder = new FrameDecoder(maxFrameLength(maxPayload));
    this.sink = {
      register: (id) => {
        if (this.registered) return;
        this.registered = true;
        this.toHub(encodeHello({ id }));
      },
      send: (destination, payload) => {
        if (!this.registered) return;
        const peer = destination ?? Buffer.alloc(0);
        const frame = Buffer.allocUnsafe(messageHeaderLength(peer.length) + payload.length);
        const at = writeMessageHeader(frame, 0, destination === null ? MessageKind.BROADCAST : MessageKind.UNICAST, NO_CORRELATION, 0, peer, payload.length);
        payload.copy(frame, at);
        this.toHub(frame);
      },
      reply: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
    };
    socket.on('data', (chunk: Buffer) => this.fromProgram(() => framing.input(chunk, this.sink)));
    socket.on('end', () => {
      const lost = framing.stop();
      if (lost !== null) this.log(lost);
      this.push(null);
    });
    // The hub learns of the close once it has read everything the program sent before it.
    socket.on('close', () => {
      framing.stop();
      if (this.readableLength === 0) this.destroy();
      else this.once('end', () => this.destroy());
    });
    socket.on('error', () => {
      // 'close' follows and ends this stream; the hub logs the connection as closed.
    });
    this.fromProgram(() => framing.start(this.sink));
  }

  /** Queues a frame for the hub; outside fromProgram (a framing's timer) it goes at once. */
  private toHub(frame: Buffer): void {
    this.pending.push(frame);
    if (!this.handling) this.flushToHub();
  }

  private fromProgram(handle: () => void): void {
    this.handling = true;
    try {
      handle();
    } finally {
      this.handling = false;
    }
    this.flushToHub();
  }

  private flushToHub(): void {
    if (this.pending.length === 0 || this.readableEnded) return;
    const frames = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = [];
    if (!this.push(frames)) this.socket.pause();
  }

  override _read(): void {
    if (this.socket.isPaused()) this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const out: Buffer[] = [];
    try {
      this.decoder.push(chunk, (type, buf, start, end) => this.fromHub(type, buf, start, end, out));
    } catch (error) {
      done(error as Error);
      return;
    }
    if (out.length === 0 || this.socket.destroyed) done();
    else this.socket.write(out.length === 1 ? out[0] : Buffer.concat(out), () => done());
  }

  private fromHub(type: number, buf: Buffer, start: number, end: number, out: Buffer[]): void {
    let bytes: Buffer | null = null;
    if (type === FrameType.MESSAGE) {
      const peerStart = start + MessageBody.PEER;
      const peerEnd = peerStart + buf[start + MessageBody.PEER_LENGTH];
      bytes = this.framing.deliver(buf.subarray(peerStart, peerEnd), buf.subarray(peerEnd, end));
    } else if (type === FrameType.PING) {
      this.toHub(encodePing(FrameType.PONG, buf.subarray(start, end)));
    } else if (type === FrameType.ERROR) {
      const error = parseError(buf, start, end);
      bytes = this.framing.notice(error.code, error.message, error.correlationId === 0 && FATAL_ERRORS.has(error.code));
    } else if (type === FrameType.BYE) {
      const bye = parseBye(buf, start, end);
      bytes = this.framing.notice(bye.code, bye.reason, true);
    }
    if (bytes !== null && bytes.length > 0) out.push(bytes);
  }

  override _final(done: (error?: Error | null) => void): void {
    this.socket.end();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.framing.stop();
    this.socket.destroy();
    done(error);
  }
}
