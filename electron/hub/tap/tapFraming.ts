import type { TapFramingName } from './tapSpec';
import { HttpCutter, type HttpExchange } from './httpFraming';

/** One message for the view: where its first byte is in the direction's stream, its bytes, and whether it is only a piece. */
export type TapEmit = (offset: number, payload: Buffer, partial: boolean) => void;

/**
 * Cuts one direction of a tapped connection into messages for the view. It sees the bytes after
 * they were passed on and changes nothing; the messages of a direction, in order, are exactly its
 * bytes. A message longer than the limit goes out as pieces of at most `limit` bytes, each flagged
 * partial, so a cutter never holds more than `limit` bytes.
 */
export interface TapCutter {
  push(chunk: Buffer): void;
  /** The direction ended: what is held goes out, flagged partial when the framing expected more. */
  end(): void;
}

/** The bytes of the message being cut, with its stream offset; full pieces go out as they fill. */
export class MessageBuffer {
  /** Stream offset of the next byte taken. */
  position = 0;
  /** Pieces sent because a message passed the limit (TapHandle.stats). */
  pieces = 0;
  private parts: Buffer[] = [];
  private length = 0;
  private start = 0;
  /** An earlier piece of this message has gone out. */
  private split = false;

  constructor(
    private readonly emit: TapEmit,
    private readonly limit: number,
  ) {}

  get held(): number {
    return this.length;
  }

  /** Adds bytes to the current message. */
  add(bytes: Buffer): void {
    let rest = bytes;
    while (rest.length > 0) {
      // A full piece waits for the next byte, so a message of exactly `limit` bytes is one whole message.
      if (this.length === this.limit) {
        this.split = true;
        this.pieces++;
        this.out(true);
      }
      if (this.length === 0) this.start = this.position;
      const take = Math.min(rest.length, this.limit - this.length);
      this.parts.push(take === rest.length ? rest : rest.subarray(0, take));
      this.length += take;
      this.position += take;
      rest = rest.subarray(take);
    }
  }

  /** The message is complete (or, with `partial`, cut off). */
  finish(partial = false): void {
    if (this.length > 0) this.out(this.split || partial);
    this.split = false;
  }

  private out(partial: boolean): void {
    const payload = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.length);
    this.parts = [];
    this.length = 0;
    this.emit(this.start, payload, partial);
  }
}

/** raw: every chunk read is one message. */
export class RawCutter implements TapCutter {
  constructor(private readonly message: MessageBuffer) {}

  push(chunk: Buffer): void {
    this.message.add(chunk);
    this.message.finish();
  }

  end(): void {}
}

const NEWLINE = 0x0a;

/** lines: one message per line, its newline included; a last line without one goes out partial at the end. */
export class LinesCutter implements TapCutter {
  constructor(private readonly message: MessageBuffer) {}

  push(chunk: Buffer): void {
    let from = 0;
    for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, from)) {
      this.message.add(chunk.subarray(from, at + 1));
      this.message.finish();
      from = at + 1;
    }
    if (from < chunk.length) this.message.add(chunk.subarray(from));
  }

  end(): void {
    this.message.finish(true);
  }
}

/** u32be: a 4-byte big-endian length, then that many bytes; the message is both (so the direction's messages are its bytes). */
export class U32beCutter implements TapCutter {
  private readonly header = Buffer.alloc(4);
  private headerHave = 0;
  /** Body bytes still to come; -1 while the header is read. */
  private remaining = -1;

  constructor(private readonly message: MessageBuffer) {}

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining < 0) {
        const take = Math.min(4 - this.headerHave, chunk.length - i);
        chunk.copy(this.header, this.headerHave, i, i + take);
        this.message.add(chunk.subarray(i, i + take));
        this.headerHave += take;
        i += take;
        if (this.headerHave === 4) {
          this.remaining = this.header.readUInt32BE(0);
          if (this.remaining === 0) this.next();
        }
      } else {
        const take = Math.min(this.remaining, chunk.length - i);
        this.message.add(chunk.subarray(i, i + take));
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.next();
      }
    }
  }

  private next(): void {
    this.message.finish();
    this.headerHave = 0;
    this.remaining = -1;
  }

  end(): void {
    this.message.finish(true);
  }
}

/** The two cutters of one tapped connection: an HTTP response's length can depend on its request (HEAD). */
export function tapCutters(framing: TapFramingName, toUpstream: MessageBuffer, toClient: MessageBuffer): { toUpstream: TapCutter; toClient: TapCutter } {
  switch (framing) {
    case 'raw':
      return { toUpstream: new RawCutter(toUpstream), toClient: new RawCutter(toClient) };
    case 'lines':
      return { toUpstream: new LinesCutter(toUpstream), toClient: new LinesCutter(toClient) };
    case 'u32be':
      return { toUpstream: new U32beCutter(toUpstream), toClient: new U32beCutter(toClient) };
    case 'http': {
      const exchange: HttpExchange = { methods: [] };
      return { toUpstream: new HttpCutter(toUpstream, 'request', exchange), toClient: new HttpCutter(toClient, 'response', exchange) };
    }
  }
}
