import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { type Duplex, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { BridgeService } from '../bridge/BridgeService';
import { BRIDGE_LIMITS, BridgePages, serveBridgeConnection } from './bridgeConnection';

export interface BrowserModeServerOptions {
  bridge: BridgeService;
  /** The built renderer (dist/renderer). */
  rootDir: string;
  /** 0 lets the system pick one. */
  port?: number;
  /** The page token (hex); a new random one when not given. serve --page-token-file passes a kept one. */
  token?: string;
  log?: (line: string) => void;
}

export const BRIDGE_PATH = '/bridge';
/** GET /captures/ID: a recording or export this session made; needs the token in CAPTURE_TOKEN_HEADER. */
export const CAPTURES_PATH = '/captures/';
export const CAPTURE_TOKEN_HEADER = 'x-relayscope-token';
/**
 * GET with the token in CAPTURE_TOKEN_HEADER: 204 when it is this server's, 403 when not. A page whose
 * WebSocket upgrade failed asks it, as the browser does not tell a refused token from a stopped
 * server (renderer/src/transport/pageToken.ts names the same path).
 */
export const TOKEN_CHECK_PATH = '/token-check';
/** POST a capture file here (token and X-Relayscope-Filename headers) to show it in an offline serve. */
export const UPLOAD_PATH = '/captures/upload';
export const UPLOAD_NAME_HEADER = 'x-relayscope-filename';
/** The largest recording the page can upload: written to disk, never held, but a bound on what a page can make serve write. */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
const CAPTURE_ID = /^[0-9a-f]{32}$/;
/**
 * The page offers the bridge two WebSocket subprotocols: this one, the contract's JSON framing, which
 * the server answers with (and only it: the token is never echoed), and `token.HEX`.
 * renderer/src/transport/pageToken.ts makes them; test/serve opens the bridge with that code.
 */
const BRIDGE_PROTOCOL = 'relayscope.v1';
const TOKEN_PROTOCOL_PREFIX = 'token.';

const HOST = '127.0.0.1';

/**
 * What the HTTP port may hold, so that idle connections cannot take the descriptors the hub in
 * this process needs for its own listeners (4,296 idle ones did, each held ~87 s by Node's
 * defaults). docs/SECURITY.md states them.
 */
export const HTTP_LIMITS = {
  /** Connections held at once, pages' WebSockets included; Node closes further ones as it accepts them. */
  maxConnections: 64,
  /** A request's headers must have arrived within this (against connections that trickle them). */
  headersTimeoutMs: 3000,
  requestTimeoutMs: 10_000,
  /**
   * A connection with no traffic either way is closed after this: one that sends nothing at all
   * (Node's header timeout does not cover it) or stops reading. WebSockets are exempt: ws clears it on upgrade.
   */
  idleTimeoutMs: 3000,
  /** How often Node checks the header and request timeouts; its default, 30 s, is added to each. */
  timeoutCheckMs: 500,
} as const;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The browser mode: the renderer over HTTP and the UI contract over a WebSocket, on 127.0.0.1 only.
 * A web page the user happens to visit, or another local user, must not be able to read or drive
 * the bus. Every request needs a Host naming this server (against DNS rebinding). The static files
 * hold no secret and are served to any such request; the bridge's WebSocket also needs an Origin of
 * this server and the random token, which the page takes from the printed URL's fragment and offers
 * as a subprotocol. There is no cookie: a browser sends a 127.0.0.1 cookie to every port on that
 * host, so a server another local user runs on another port would receive it.
 */
export class BrowserModeServer {
  readonly token: string;
  private readonly bridge: BridgeService;
  private readonly rootDir: string;
  private readonly requestedPort: number;
  private readonly log: (line: string) => void;
  private readonly server: http.Server;
  private readonly sockets: WebSocketServer;
  /** The connected pages and what they hold together, bounded across pages. */
  private readonly pages = new BridgePages();
  private boundPort = 0;
  private uploading = false;

  constructor(options: BrowserModeServerOptions) {
    this.bridge = options.bridge;
    this.rootDir = path.resolve(options.rootDir);
    this.requestedPort = options.port ?? 0;
    this.token = options.token ?? randomBytes(32).toString('hex');
    this.log = options.log ?? (() => {});
    this.server = http.createServer(
      { headersTimeout: HTTP_LIMITS.headersTimeoutMs, requestTimeout: HTTP_LIMITS.requestTimeoutMs, connectionsCheckingInterval: HTTP_LIMITS.timeoutCheckMs },
      (request, response) => this.onRequest(request, response),
    );
    this.server.maxConnections = HTTP_LIMITS.maxConnections;
    this.server.setTimeout(HTTP_LIMITS.idleTimeoutMs);
    this.server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(request, socket, head));
    // onUpgrade has checked that BRIDGE_PROTOCOL is offered; it is the one answered.
    this.sockets = new WebSocketServer({ noServer: true, maxPayload: BRIDGE_LIMITS.maxMessageBytes, handleProtocols: () => BRIDGE_PROTOCOL });
    this.sockets.on('connection', (socket: WebSocket) => serveBridgeConnection(socket, this.bridge, this.pages, this.log));
  }

  get port(): number {
    return this.boundPort;
  }

  /** The address to open in a browser; the token is in the fragment, which the browser sends to no server. */
  get url(): string {
    return `http://${HOST}:${this.boundPort}/#token=${this.token}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(new Error(`cannot listen on ${HOST}:${this.requestedPort}: ${err.code === 'EADDRINUSE' ? 'the port is already in use' : err.message}`));
      };
      this.server.once('error', onError);
      this.server.listen({ host: HOST, port: this.requestedPort }, () => {
        this.server.removeListener('error', onError);
        resolve();
      });
    });
    const bound = this.server.address();
    this.boundPort = typeof bound === 'object' && bound !== null ? bound.port : this.requestedPort;
  }

  /** Closes every page's WebSocket (1001 going away) and the HTTP server. */
  async close(): Promise<void> {
    for (const socket of this.sockets.clients) socket.close(1001, 'relayscope serve is stopping');
    await new Promise<void>((resolve) => this.sockets.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---------------------------------------------------------------- HTTP

  private onRequest(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? '/', `http://${HOST}`);
    if (!this.hostAllowed(request)) return this.refuse(response, 403, 'This server answers only to http://127.0.0.1 or http://localhost on its own port.');
    if (url.pathname === UPLOAD_PATH && request.method === 'POST') return void this.receiveUpload(request, response);
    if (url.pathname === TOKEN_CHECK_PATH && (request.method === 'GET' || request.method === 'HEAD')) return this.answerTokenCheck(request, response);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...securityHeaders(this.boundPort), Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('Only GET and HEAD are served.\n');
      return;
    }
    if (url.pathname.startsWith(CAPTURES_PATH)) return this.serveCapture(request, response, url.pathname.slice(CAPTURES_PATH.length));
    this.serveFile(request, response, url.pathname);
  }

  private answerTokenCheck(request: http.IncomingMessage, response: http.ServerResponse): void {
    const given = request.headers[CAPTURE_TOKEN_HEADER];
    const status = typeof given === 'string' && this.tokenMatches(given) ? 204 : 403;
    response.writeHead(status, { ...securityHeaders(this.boundPort), 'Cache-Control': 'no-store' });
    response.end();
  }

  /**
   * A recording the page's file picker sends, for an offline serve (--open) to show instead of its
   * file. Needs the token in its header like a download; one at a time; the declared length must
   * be at most MAX_UPLOAD_BYTES and the body is streamed to a new file in the private capture folder.
   */
  private async receiveUpload(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const answer = (status: number, message: string): void => {
      request.resume();
      response.writeHead(status, { ...securityHeaders(this.boundPort), 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      response.end(`${message}\n`);
    };
    const given = request.headers[CAPTURE_TOKEN_HEADER];
    if (typeof given !== 'string' || !this.tokenMatches(given)) return answer(403, 'An upload needs the page token in the X-Relayscope-Token header.');
    if (!this.bridge.opensUploads) return answer(409, 'This serve shows a live hub; to look at a recording run relayscope serve --open FILE.');
    const length = Number(request.headers['content-length']);
    if (!Number.isSafeInteger(length) || length <= 0) return answer(411, 'An upload needs a Content-Length.');
    if (length > MAX_UPLOAD_BYTES)
      return answer(413, `The file is ${length} bytes; the browser mode takes recordings up to ${MAX_UPLOAD_BYTES} bytes (512 MiB). Open a larger one with relayscope serve --open FILE.`);
    if (this.uploading) return answer(503, 'Another upload is under way.');
    let file: string;
    try {
      file = this.bridge.captures.uploadPath(String(request.headers[UPLOAD_NAME_HEADER] ?? ''));
    } catch (err) {
      return answer(400, (err as Error).message);
    }
    this.uploading = true;
    try {
      await pipeline(request, limitTo(length), fs.createWriteStream(file, { mode: 0o600, flags: 'wx' }));
      await this.bridge.openUploaded(file);
      answer(200, `showing ${path.basename(file)}`);
    } catch (err) {
      fs.rmSync(file, { force: true });
      if (!response.headersSent) answer(400, `cannot open the upload: ${(err as Error).message}`);
    } finally {
      this.uploading = false;
    }
  }

  /**
   * A capture file for download. It holds traffic, so unlike the static files it needs the token, in
   * a header (a link or an <img> from another page cannot set one, and a fetch that does is a CORS
   * preflight this server refuses), and only IDs of files this session wrote are served. The file is
   * streamed from disk with its length, so the response is bounded by the file and holds no copy.
   */
  private serveCapture(request: http.IncomingMessage, response: http.ServerResponse, captureId: string): void {
    const given = request.headers[CAPTURE_TOKEN_HEADER];
    if (typeof given !== 'string' || !this.tokenMatches(given)) return this.refuse(response, 403, 'A capture download needs the page token in the X-Relayscope-Token header.');
    const offered = CAPTURE_ID.test(captureId) ? this.bridge.captures.offeredFile(captureId) : undefined;
    if (offered === undefined) return this.refuse(response, 404, 'No such capture in this session.');
    let stat: fs.Stats;
    try {
      stat = fs.statSync(offered.path);
    } catch {
      return this.refuse(response, 404, 'The capture file is gone.');
    }
    response.writeHead(200, {
      ...securityHeaders(this.boundPort),
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(stat.size),
      'Content-Disposition': `attachment; filename="${offered.name.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
      'Cache-Control': 'no-store',
    });
    if (request.method === 'HEAD' || stat.size === 0) {
      response.end();
      return;
    }
    fs.createReadStream(offered.path, { end: stat.size - 1 })
      .on('error', () => response.destroy())
      .pipe(response);
  }

  private serveFile(request: http.IncomingMessage, response: http.ServerResponse, pathname: string): void {
    if (!fs.existsSync(path.join(this.rootDir, 'index.html'))) {
      return this.refuse(response, 503, `The user interface is not built: ${this.rootDir} has no index.html. Run "npx vite build" (or "npm run build") and reload.`);
    }
    let relative: string;
    try {
      relative = decodeURIComponent(pathname);
    } catch {
      return this.refuse(response, 400, 'Malformed path.');
    }
    if (relative.includes('\0')) return this.refuse(response, 400, 'Malformed path.');
    if (relative.endsWith('/')) relative += 'index.html';
    const file = path.resolve(this.rootDir, `.${path.posix.normalize(relative)}`);
    if (!file.startsWith(this.rootDir + path.sep)) return this.refuse(response, 404, 'Not found.');
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      return this.refuse(response, 404, 'Not found.');
    }
    if (!stat.isFile()) return this.refuse(response, 404, 'Not found.');
    response.writeHead(200, {
      ...securityHeaders(this.boundPort),
      'Content-Type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(stat.size),
      'Cache-Control': 'no-cache',
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    fs.createReadStream(file)
      .on('error', () => response.destroy())
      .pipe(response);
  }

  private refuse(response: http.ServerResponse, status: number, message: string): void {
    const body = `<!doctype html><meta charset="utf-8"><title>Relayscope</title><p>${escapeHtml(message)}</p>\n`;
    response.writeHead(status, { ...securityHeaders(this.boundPort), 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
    response.end(body);
  }

  // ---------------------------------------------------------------- checks

  private hostAllowed(request: http.IncomingMessage): boolean {
    const host = request.headers.host;
    return host === `${HOST}:${this.boundPort}` || host === `localhost:${this.boundPort}`;
  }

  private originAllowed(request: http.IncomingMessage): boolean {
    const origin = request.headers.origin;
    return origin === `http://${HOST}:${this.boundPort}` || origin === `http://localhost:${this.boundPort}`;
  }

  /** The subprotocols offered must include BRIDGE_PROTOCOL and `token.` followed by this server's token. */
  private offersToken(request: http.IncomingMessage): boolean {
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((protocol) => protocol.trim());
    const given = offered.find((protocol) => protocol.startsWith(TOKEN_PROTOCOL_PREFIX));
    return offered.includes(BRIDGE_PROTOCOL) && given !== undefined && this.tokenMatches(given.slice(TOKEN_PROTOCOL_PREFIX.length));
  }

  private tokenMatches(given: string): boolean {
    const expected = Buffer.from(this.token, 'utf8');
    const actual = Buffer.from(given, 'utf8');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  // ---------------------------------------------------------------- WebSocket

  private onUpgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(request.url ?? '/', `http://${HOST}`);
    if (url.pathname !== BRIDGE_PATH) return rejectUpgrade(socket, 404, 'no WebSocket here');
    if (!this.hostAllowed(request)) return rejectUpgrade(socket, 403, 'wrong Host');
    if (!this.originAllowed(request)) return rejectUpgrade(socket, 403, 'wrong Origin');
    if (!this.offersToken(request)) return rejectUpgrade(socket, 403, 'missing or wrong token');
    if (this.sockets.clients.size >= BRIDGE_LIMITS.maxPages) return rejectUpgrade(socket, 503, `${BRIDGE_LIMITS.maxPages} pages are connected already`);
    this.sockets.handleUpgrade(request, socket, head, (webSocket) => this.sockets.emit('connection', webSocket, request));
  }
}

const STATUS_TEXT = { 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' };

function rejectUpgrade(socket: Duplex, status: keyof typeof STATUS_TEXT, reason: string): void {
  const statusText = STATUS_TEXT[status];
  socket.end(`HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
}

function securityHeaders(port: number): Record<string, string> {
  return {
    'Content-Security-Policy': `default-src 'self'; connect-src 'self' ws://${HOST}:${port} ws://localhost:${port}; style-src 'self' 'unsafe-inline'; img-src 'self' data:`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  };
}

/** Passes at most `limit` bytes and fails the stream past them: a body longer than its Content-Length. */
function limitTo(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      callback(seen > limit ? new Error('the body is longer than its Content-Length') : null, chunk);
    },
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
