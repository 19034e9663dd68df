import * as net from 'node:net';
import * as path from 'node:path';
import {
  DEFAULT_MAX_PAYLOAD,
  encodeBye,
  encodeListReply,
  encodeMessage,
  encodeStatsReply,
  encodeWelcome,
  ErrorCode,
  FrameDecoder,
  FrameType,
  MessageKind,
  parseHello,
  type Hello,
} from '../../electron/hub';
import type { Cleanup } from '../support/cleanup';
import { makeTempDir, removeTempDir } from '../support/tempDir';

/**
 * A hub that speaks the protocol badly, for the clients' hostile-hub tests (issue 8, items 9 and 12):
 * it floods, trickles, never answers, stops reading, sends a WELCOME of another version, a BYE with
 * no reason or a frame of length 0. The C, Python and TypeScript client tests all run against it.
 *
 * It listens on a socket file and takes each connection's first frame as its HELLO. What it does
 * next depends on the ID in that HELLO: HOSTILE_BEHAVIOURS maps each ID to one misbehaviour, so one
 * hub serves every scenario (and a client program can run them all in one process, under valgrind).
 * It keeps the frames a client sends after HELLO, so a test can check what the client answered.
 */
export type Behaviour = (peer: HostilePeer) => void;

/** `npm run test:hostile` sets HOSTILE_FULL=1 for the longer runs; `npm test` runs the quick ones. */
export const HOSTILE_FULL = process.env.HOSTILE_FULL === '1';

/** The ID every flooded MESSAGE comes from. */
export const FLOODER_ID = 'flooder';

/**
 * A flood or trickle stops after this long even if the client is still there: a client that ignores
 * its deadline then returns late instead of never. (The C and Python test programs cap their own
 * address space, so one that queues without bound fails with an allocation error instead of
 * filling the machine's memory: see HOSTILE_ADDRESS_SPACE_ENV.)
 */
const STREAM_LIMIT_MS = HOSTILE_FULL ? 30_000 : 6_000;

/** The environment variable with which the tests cap the address space of a client program, in MiB. */
export const HOSTILE_ADDRESS_SPACE_ENV = 'RS_HOSTILE_ADDRESS_SPACE_MB';
/** Far above what a bounded client needs (tens of MB), far below what an unbounded one takes in seconds. */
export const HOSTILE_ADDRESS_SPACE_MB = 1024;

/** A length prefix for a frame that never ends: larger than any frame sent, within every client's limit. */
const NEVER_ENDING_LENGTH = 8 * 1024 * 1024;

export interface ClientFrame {
  type: number;
  body: Buffer;
}

export class HostilePeer {
  /** Bytes flood() or trickle() wrote, for the figures a test prints. */
  streamedBytes = 0;
  /** Called with each frame the client sends after its HELLO. */
  onFrame: (frame: ClientFrame) => void = () => {};
  private readonly frames: ClientFrame[] = [];
  private readonly decoder = new FrameDecoder(Number.MAX_SAFE_INTEGER);
  private gone = false;

  constructor(
    readonly socket: net.Socket,
    readonly hello: Hello,
  ) {
    socket.on('close', () => (this.gone = true));
  }

  /** The frames the client sent after its HELLO, in order. */
  received(): readonly ClientFrame[] {
    return this.frames;
  }

  /** The client's bytes after its HELLO. */
  take(chunk: Buffer): void {
    this.decoder.push(chunk, (type, buf, start, end) => {
      const frame = { type, body: Buffer.from(buf.subarray(start, end)) };
      this.frames.push(frame);
      this.onFrame(frame);
    });
  }

  write(...frames: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(frames));
  }

  /** The WELCOME a real hub would send for this HELLO, claiming protocol `version`. */
  welcome(version = 1): Buffer {
    return encodeWelcome({ version, maxPayload: DEFAULT_MAX_PAYLOAD, queueLimit: 8 * 1024 * 1024, idleTimeoutMs: 30_000, id: this.hello.id });
  }

  /** Stops reading what the client sends, so its writes fill the socket and then block. */
  stopReading(): void {
    this.socket.pause();
  }

  /** Writes `chunk` over and over, as fast as the client reads it, until the client goes or a stream limit is reached. */
  flood(chunk: Buffer): void {
    const until = performance.now() + STREAM_LIMIT_MS;
    const more = (): void => {
      while (!this.gone && performance.now() < until) {
        this.streamedBytes += chunk.length;
        if (!this.socket.write(chunk)) {
          this.socket.once('drain', more);
          return;
        }
      }
    };
    more();
  }

  /** Writes `bytes` one byte per write, round and round, until the client goes or the time limit is reached. */
  trickle(bytes: Buffer): void {
    const until = performance.now() + STREAM_LIMIT_MS;
    let offset = 0;
    const next = (): void => {
      if (this.gone || performance.now() >= until) return;
      this.streamedBytes++;
      this.socket.write(bytes.subarray(offset, offset + 1), () => setImmediate(next));
      offset = (offset + 1) % bytes.length;
    };
    next();
  }
}

/** `count` unicast MESSAGE frames from FLOODER_ID with `payloadBytes` each, back to back: one chunk to flood with. */
export function messageFrames(payloadBytes: number, count: number): Buffer {
  const frame = encodeMessage(MessageKind.UNICAST, FLOODER_ID, Buffer.alloc(payloadBytes, 0x61));
  return Buffer.concat(Array.from({ length: count }, () => frame));
}

/** The start of a MESSAGE frame that claims NEVER_ENDING_LENGTH bytes: whatever follows is taken as its payload. */
function neverEndingFrameHeader(): Buffer {
  const header = encodeMessage(MessageKind.UNICAST, FLOODER_ID, '');
  header.writeUInt32BE(NEVER_ENDING_LENGTH, 0);
  return header;
}

const PING = Buffer.from([0, 0, 0, 1, FrameType.PING]);

/**
 * The misbehaviours, by the module ID a client says HELLO with. None of them ever answers a request.
 * - flood: 16 KiB messages as fast as the client reads them.
 * - flood-small: 8-byte messages as fast as the client reads them: more frames than a client handles, so its socket is never empty.
 * - trickle: a frame that never ends, one byte per write.
 * - ping-flood: stops reading, then PINGs as fast as the client reads them (each owes a PONG it cannot write).
 * - stalled: stops reading and sends nothing, so a large write by the client blocks.
 * - version-2: a WELCOME for protocol version 2.
 * - bye-empty: WELCOME, then BYE SHUTDOWN with an empty reason, then closes.
 * - zero-length: WELCOME, then a length prefix of 0, then silence.
 * - bad-list: answers LIST with a LIST_REPLY that announces 3 IDs and carries none.
 * - bad-stats: answers STATS with a STATS_REPLY whose JSON is cut short.
 */
export const HOSTILE_BEHAVIOURS: Readonly<Record<string, Behaviour>> = {
  flood: (peer) => {
    peer.write(peer.welcome());
    peer.flood(messageFrames(16 * 1024, 16));
  },
  'flood-small': (peer) => {
    peer.write(peer.welcome());
    peer.flood(messageFrames(8, 4096));
  },
  trickle: (peer) => {
    peer.write(peer.welcome(), neverEndingFrameHeader());
    peer.trickle(Buffer.from('x'));
  },
  'ping-flood': (peer) => {
    peer.stopReading();
    peer.write(peer.welcome());
    peer.flood(Buffer.concat(Array.from({ length: 4096 }, () => PING)));
  },
  stalled: (peer) => {
    peer.stopReading();
    peer.write(peer.welcome());
  },
  'version-2': (peer) => {
    peer.write(peer.welcome(2));
  },
  'bye-empty': (peer) => {
    peer.write(peer.welcome(), encodeBye(ErrorCode.SHUTDOWN, ''));
    peer.socket.end();
  },
  'zero-length': (peer) => {
    peer.write(peer.welcome(), Buffer.alloc(4));
  },
  'bad-list': (peer) => {
    peer.write(peer.welcome());
    peer.onFrame = ({ type, body }) => {
      if (type !== FrameType.LIST) return;
      const reply = encodeListReply(body.readUInt32BE(0), []);
      reply.writeUInt32BE(3, 9);
      peer.write(reply);
    };
  },
  'bad-stats': (peer) => {
    peer.write(peer.welcome());
    peer.onFrame = ({ type, body }) => {
      if (type === FrameType.STATS) peer.write(encodeStatsReply(body.readUInt32BE(0), '{"modules": ['));
    };
  },
};

export class HostileHub {
  readonly peers: HostilePeer[] = [];

  private constructor(readonly socketPath: string) {}

  /** Listens on a fresh socket file and plays HOSTILE_BEHAVIOURS; a HELLO with another ID is dropped. */
  static async start(cleanup: Cleanup): Promise<HostileHub> {
    const dir = makeTempDir('rs-hostile-');
    cleanup.add(() => removeTempDir(dir));
    const hub = new HostileHub(path.join(dir, 'hub.sock'));
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      hub.handshake(socket);
    });
    await new Promise<void>((resolve) => server.listen(hub.socketPath, resolve));
    cleanup.add(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return hub;
  }

  /** The connections that said HELLO as `id`. */
  peersNamed(id: string): HostilePeer[] {
    return this.peers.filter((peer) => peer.hello.id === id);
  }

  private handshake(socket: net.Socket): void {
    const decoder = new FrameDecoder(Number.MAX_SAFE_INTEGER);
    let peer: HostilePeer | null = null;
    socket.on('data', (chunk: Buffer) => {
      if (peer !== null) {
        peer.take(chunk);
        return;
      }
      let hello: Hello | null = null;
      const end = decoder.push(chunk, (type, buf, start, frameEnd) => {
        if (type === FrameType.HELLO) hello = parseHello(buf, start, frameEnd);
        return false;
      });
      if (hello === null) {
        // The HELLO may arrive in pieces; anything but a HELLO first is not a client of these tests.
        if (decoder.bufferedBytes === 0) socket.destroy();
        return;
      }
      const behaviour = HOSTILE_BEHAVIOURS[(hello as Hello).id];
      if (behaviour === undefined) {
        socket.destroy();
        return;
      }
      peer = new HostilePeer(socket, hello);
      this.peers.push(peer);
      if (end < chunk.length) peer.take(chunk.subarray(end));
      behaviour(peer);
    });
  }
}
