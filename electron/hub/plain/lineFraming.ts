import { escapeBytes } from '../../cli/format';
import { MAX_MODULE_ID_BYTES } from '../../protocol/moduleIdRules';
import { ErrorCode } from '../../protocol/protocol';
import type { PlainFraming, PlainSink } from './PlainConnection';

const NEWLINE = 0x0a;
const CR = 0x0d;
const AT = 0x40;
const SPACE = 0x20;
const NICK = Buffer.from('/nick ');

export interface LineFramingOptions {
  /** The ID when the first line is no `/nick NAME`: `line-<n>`, the first n not in use. */
  defaultId: () => string;
  /** How long the first line may take to name the module before it registers under defaultId. */
  nickWaitMs: number;
  /** The hub's maxPayload: a longer line is sent as it is and refused by the hub (FRAME_TOO_LARGE). */
  maxPayload: number;
  /** The hub's maxConnections, for the chat room's "too many users". */
  maxConnections: number;
}

/**
 * Newline-terminated text, as telnet, nc and socat speak it and as the chat room's users did
 * (docs/PROTOCOL.md 14.2). A line `@ID text` goes to ID with payload `text`; any other line goes to
 * every other module; a final CR is dropped and empty lines are ignored. What the module receives
 * arrives as `SOURCE: payload` and a newline, the payload escaped as `relayscope listen` prints it
 * (escapeBytes). Errors from the hub arrive as a line starting with `! `; a refusal is one such
 * line, then the hub closes.
 */
export class LineFraming implements PlainFraming {
  readonly name = 'line' as const;
  private buffered: Buffer[] = [];
  private bufferedLength = 0;
  private registered = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: LineFramingOptions) {}

  start(sink: PlainSink): void {
    this.timer = setTimeout(() => this.register(sink, this.options.defaultId()), this.options.nickWaitMs);
    this.timer.unref();
  }

  input(chunk: Buffer, sink: PlainSink): void {
    let from = 0;
    for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, from)) {
      this.line(this.take(chunk.subarray(from, at)), sink);
      from = at + 1;
    }
    if (from < chunk.length) {
      this.buffered.push(chunk.subarray(from));
      this.bufferedLength += chunk.length - from;
      // Unbounded otherwise: past the hub's payload limit the line is sent as it is, for the hub to refuse.
      if (this.bufferedLength > this.options.maxPayload) this.line(this.take(Buffer.alloc(0)), sink);
    }
  }

  /** The buffered start of a line joined with its end. */
  private take(end: Buffer): Buffer {
    if (this.bufferedLength === 0) return end;
    const whole = Buffer.concat([...this.buffered, end]);
    this.buffered = [];
    this.bufferedLength = 0;
    return whole;
  }

  private line(raw: Buffer, sink: PlainSink): void {
    const line = raw.length > 0 && raw[raw.length - 1] === CR ? raw.subarray(0, raw.length - 1) : raw;
    if (!this.registered) {
      if (line.subarray(0, NICK.length).equals(NICK)) {
        this.register(sink, line.toString('utf8', NICK.length));
        return;
      }
      this.register(sink, this.options.defaultId());
    }
    if (line.length === 0) return;
    if (line[0] !== AT) {
      sink.send(null, line);
      return;
    }
    const space = line.indexOf(SPACE);
    const destination = line.subarray(1, space < 0 ? line.length : space);
    // The protocol cannot even carry a longer ID (a u8 length), so no module can have it.
    if (destination.length > MAX_MODULE_ID_BYTES) {
      sink.reply(Buffer.from(`! no module ID is longer than ${MAX_MODULE_ID_BYTES} bytes; the line was not sent\n`));
      return;
    }
    sink.send(destination, space < 0 ? Buffer.alloc(0) : line.subarray(space + 1));
  }

  private register(sink: PlainSink, id: string): void {
    if (this.registered) return;
    this.registered = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    sink.register(id);
  }

  deliver(source: Buffer, payload: Buffer): Buffer {
    return Buffer.from(`${source.toString('utf8')}: ${escapeBytes(payload)}\n`, 'utf8');
  }

  notice(code: number, message: string): Buffer {
    // The chat room's words, and the line's length instead of the frame's that the hub measured.
    const text =
      code === ErrorCode.TOO_MANY_CONNECTIONS
        ? `too many users: the hub allows ${this.options.maxConnections} connections`
        : code === ErrorCode.FRAME_TOO_LARGE
          ? `line too long: the hub takes at most ${this.options.maxPayload} bytes up to a newline (${message})`
          : message;
    return Buffer.from(`! ${escapeBytes(Buffer.from(text, 'utf8'))}\n`, 'utf8');
  }

  stop(): string | null {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const lost = this.bufferedLength;
    this.buffered = [];
    this.bufferedLength = 0;
    return lost === 0 ? null : `a line client closed in the middle of a line: ${lost} bytes without a newline were dropped`;
  }
}
