import type { MessageBuffer, TapCutter } from './tapFraming';

/** A request or response head longer than this is taken for something other than HTTP. */
const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size or trailer line longer than this is too. */
const MAX_LINE_BYTES = 4096;
/** Request methods remembered for their responses (a HEAD's response has no body); past it the oldest is forgotten. */
const MAX_PENDING_METHODS = 256;

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) \S+ HTTP\/1\.\d$/;
const STATUS_LINE = /^HTTP\/1\.\d (\d{3})(?: .*)?$/;

/** What the two directions of one connection share: the methods of requests not answered yet, and whether the connection left HTTP. */
export interface HttpExchange {
  methods: string[];
  /** A 101 Switching Protocols (or a 2xx to CONNECT) was seen: both directions are raw from then on. */
  upgraded?: boolean;
}

type State = 'head' | 'fixed' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailer' | 'close' | 'raw';

/**
 * http: one message per HTTP/1.x request or response, head and body as they passed (the body by
 * Content-Length, chunked transfer coding, or for a response with neither, up to the end of the
 * stream). A response to HEAD, a 1xx, 204 or 304 has no body. After a 101 or a CONNECT's 2xx, and
 * for anything that does not parse as HTTP, the rest of the stream is cut as raw. The message's
 * first line (request line or status line) is what the UI and `relayscope monitor` show as its summary.
 */
export class HttpCutter implements TapCutter {
  private state: State = 'head';
  private head: Buffer = Buffer.alloc(0);
  private line: Buffer = Buffer.alloc(0);
  private remaining = 0;

  constructor(
    private readonly message: MessageBuffer,
    private readonly side: 'request' | 'response',
    private readonly exchange: HttpExchange,
  ) {}

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'head' && this.exchange.upgraded && this.head.length === 0) this.state = 'raw';
      switch (this.state) {
        case 'head':
          i = this.readHead(chunk, i);
          break;
        case 'fixed':
        case 'chunk-data': {
          const take = Math.min(this.remaining, chunk.length - i);
          this.message.add(chunk.subarray(i, i + take));
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) {
            if (this.state === 'fixed') this.done();
            else this.state = 'chunk-end';
          }
          break;
        }
        case 'chunk-size':
        case 'chunk-end':
        case 'trailer':
          i = this.readLine(chunk, i);
          break;
        case 'close':
          this.message.add(chunk.subarray(i));
          i = chunk.length;
          break;
        case 'raw':
          this.message.add(chunk.subarray(i));
          this.message.finish();
          i = chunk.length;
          break;
      }
    }
  }

  end(): void {
    this.message.finish(this.state !== 'close' && this.state !== 'raw');
  }

  private done(): void {
    this.message.finish();
    this.state = 'head';
  }

  /** Takes head bytes up to the empty line; parses the head once it is whole. */
  private readHead(chunk: Buffer, i: number): number {
    const rest = chunk.subarray(i);
    const joined = this.head.length === 0 ? rest : Buffer.concat([this.head, rest]);
    const from = Math.max(0, this.head.length - 3);
    const crlf = joined.indexOf('\r\n\r\n', from);
    const lf = joined.indexOf('\n\n', from);
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
    if (end < 0) {
      this.message.add(rest);
      if (joined.length > MAX_HEAD_BYTES) this.notHttp();
      else this.head = Buffer.from(joined);
      return chunk.length;
    }
    const taken = end - this.head.length;
    this.message.add(rest.subarray(0, taken));
    this.head = Buffer.alloc(0);
    this.parseHead(joined.toString('latin1', 0, end));
    return i + taken;
  }

  /** Not HTTP (or no longer): what is held goes out as it is and the rest of the stream is raw. */
  private notHttp(): void {
    this.head = Buffer.alloc(0);
    this.message.finish();
    this.state = 'raw';
  }

  private parseHead(text: string): void {
    const lines = text.replace(/^(\r?\n)+/, '').split(/\r?\n/);
    const start = lines[0];
    let chunked = false;
    let length: number | null = null;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'transfer-encoding') chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
      else if (name === 'content-length' && /^\d+$/.test(value)) length = Number(value);
    }
    if (this.side === 'request') {
      const request = REQUEST_LINE.exec(start);
      if (request === null) return this.notHttp();
      this.exchange.methods.push(request[1]);
      if (this.exchange.methods.length > MAX_PENDING_METHODS) this.exchange.methods.shift();
      this.body(chunked, length ?? 0);
      return;
    }
    const status = STATUS_LINE.exec(start);
    if (status === null) return this.notHttp();
    const code = Number(status[1]);
    if (code >= 100 && code < 200 && code !== 101) {
      // An interim response: the final one to the same request follows.
      this.done();
      return;
    }
    const method = this.exchange.methods.shift();
    if (code === 101 || (method === 'CONNECT' && code >= 200 && code < 300)) {
      this.exchange.upgraded = true;
      this.message.finish();
      this.state = 'raw';
      return;
    }
    if (method === 'HEAD' || code === 204 || code === 304) return this.done();
    if (!chunked && length === null) {
      this.state = 'close';
      return;
    }
    this.body(chunked, length ?? 0);
  }

  private body(chunked: boolean, length: number): void {
    if (chunked) this.state = 'chunk-size';
    else if (length > 0) {
      this.state = 'fixed';
      this.remaining = length;
    } else this.done();
  }

  /** Takes a line of the chunked coding (a size line, the CRLF after a chunk's data, a trailer line). */
  private readLine(chunk: Buffer, i: number): number {
    const newline = chunk.indexOf(0x0a, i);
    const end = newline < 0 ? chunk.length : newline + 1;
    this.message.add(chunk.subarray(i, end));
    this.line = this.line.length === 0 ? chunk.subarray(i, end) : Buffer.concat([this.line, chunk.subarray(i, end)]);
    if (newline < 0) {
      if (this.line.length > MAX_LINE_BYTES) this.notHttp();
      // Copied: a subarray would keep the whole read chunk alive.
      else this.line = Buffer.from(this.line);
      return end;
    }
    const text = this.line.toString('latin1').replace(/\r?\n$/, '');
    this.line = Buffer.alloc(0);
    if (this.state === 'chunk-end') {
      if (text === '') this.state = 'chunk-size';
      else this.notHttp();
    } else if (this.state === 'chunk-size') {
      const size = /^([0-9A-Fa-f]{1,15})(?:\s*;.*)?\s*$/.exec(text);
      if (size === null) {
        this.notHttp();
        return end;
      }
      this.remaining = Number.parseInt(size[1], 16);
      this.state = this.remaining === 0 ? 'trailer' : 'chunk-data';
    } else if (text === '') {
      this.done();
    }
    return end;
  }
}
