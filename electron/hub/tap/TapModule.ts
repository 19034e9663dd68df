import { Duplex } from 'node:stream';
import { encodeHello, encodePing, FrameDecoder, parseBye, parseError } from '../../protocol/frameCodec';
import { FATAL_ERRORS, FrameType, MAX_HELLO_FRAME_LENGTH } from '../../protocol/protocol';
import type { RelayHub } from '../RelayHub';

/**
 * One side of a tapped connection as the hub's registry sees it: a stream the hub attaches like any
 * connection, which says HELLO under the side's ID and answers PINGs, so the side is a module in
 * LIST, STATS, the monitor's join and leave events and the UI, with its counters (RelayHub.tapped
 * adds to them). The tapped bytes never go through it. Nothing can be sent to it (TapOrigin.refuses);
 * when the hub closes it (KICK, shutdown) `onClosedByHub` hears why.
 */
export class TapModule extends Duplex {
  /** Resolves with null once the hub welcomed the module, or with why it refused it. */
  readonly registered: Promise<string | null>;
  private settle: (refusal: string | null) => void = () => {};
  private readonly decoder = new FrameDecoder(MAX_HELLO_FRAME_LENGTH);
  private welcomed = false;
  private leaving = false;
  private lastNotice = 'the hub closed it';

  constructor(
    private readonly hub: RelayHub,
    readonly id: string,
    private readonly onClosedByHub: (reason: string) => void,
  ) {
    super({ allowHalfOpen: true });
    this.registered = new Promise((resolve) => {
      this.settle = resolve;
    });
    this.push(encodeHello({ id }));
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    try {
      this.decoder.push(chunk, (type, buf, start, end) => this.fromHub(type, buf, start, end));
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  }

  private fromHub(type: number, buf: Buffer, start: number, end: number): void {
    if (type === FrameType.WELCOME) {
      this.welcomed = true;
      this.settle(null);
    } else if (type === FrameType.PING) {
      this.push(encodePing(FrameType.PONG, buf.subarray(start, end)));
    } else if (type === FrameType.ERROR) {
      const error = parseError(buf, start, end);
      if (error.correlationId === 0 && FATAL_ERRORS.has(error.code)) this.lastNotice = error.message;
      if (!this.welcomed) this.settle(error.message);
    } else if (type === FrameType.BYE) {
      this.lastNotice = parseBye(buf, start, end).reason;
    }
  }

  /** The hub ended the connection (after a KICK's ERROR or a BYE). */
  override _final(done: (error?: Error | null) => void): void {
    if (!this.welcomed) this.settle(this.lastNotice);
    if (!this.leaving) this.onClosedByHub(this.lastNotice);
    this.push(null);
    done();
    this.destroy();
  }

  /** The tapped connection is over: the module leaves the registry with `reason`. */
  leave(reason: string): void {
    if (this.leaving || this.destroyed) return;
    this.leaving = true;
    const conn = this.hub.modules.get(this.id);
    if (conn !== undefined && conn.stream === this) conn.leaveReason = reason;
    this.destroy();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    if (!this.welcomed) this.settle(this.lastNotice);
    done(error);
  }
}
