import { isPushChannel, type CallResult, type InvokeArgs, type InvokeChannel, type InvokeResult, type PushChannel, type PushData, type SocketClientMessage } from '@contract';
import { BACKEND_DISCONNECTED, type Carrier, type ConnectionState } from './BackendTransport';
import { bridgeProtocols, TOKEN_CHECK_PATH, TOKEN_HEADER } from './pageToken';

/** The parts of the browser's WebSocket this transport uses (tests pass a fake). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  onopen: (() => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}

const OPEN = 1;

/** What the server says of this tab's token, asked when an upgrade failed; 'unreachable' when nothing answers. */
export type TokenCheck = 'accepted' | 'refused' | 'unreachable';

/** Shown, without retrying, once the server answers but no longer takes the tab's token (serve restarted with a new one). */
export const TOKEN_INVALID_DETAIL = "this tab's token is no longer valid: open the URL serve printed";

export interface WebSocketTransportOptions {
  url: string;
  /** The access token (see pageToken.ts); null when the page has none, and then no connection is tried. */
  token: string | null;
  createSocket?: (url: string, protocols: string[]) => SocketLike;
  /** Asks the server about the token after a failed upgrade; by default a fetch of TOKEN_CHECK_PATH. */
  checkToken?: (token: string) => Promise<TokenCheck>;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
  now?: () => number;
  firstRetryMs?: number;
  maxRetryMs?: number;
}

/** `ws://host/bridge` (or wss on https) for the page's own origin; the token goes along as a subprotocol. */
export function bridgeUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/bridge`;
}

/** The address the person opened (http://host:port) for the bridge's ws:// or wss:// URL. */
export function serverOrigin(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol === 'wss:' ? 'https:' : 'http:'}//${parsed.host}`;
}

const TOKEN_CHECK_TIMEOUT_MS = 3000;

export function fetchTokenCheck(origin: string): (token: string) => Promise<TokenCheck> {
  return async (token) => {
    try {
      // Bounded, so that a port that takes connections and never answers still counts as not answering.
      const response = await fetch(`${origin}${TOKEN_CHECK_PATH}`, { headers: { [TOKEN_HEADER]: token }, cache: 'no-store', signal: AbortSignal.timeout(TOKEN_CHECK_TIMEOUT_MS) });
      return response.status === 403 ? 'refused' : 'accepted';
    } catch {
      // fetch rejects only when no HTTP answer came in time: nothing (or nothing that answers) listens there.
      return 'unreachable';
    }
  };
}

/** Why an open connection ended, in words: a browser reports a server that went away as code 1006. */
function closedDetail(origin: string, event: { code: number; reason: string }): string {
  if (event.code === 1006) return `the connection to the server at ${origin} was lost`;
  if (event.code === 1000 || event.code === 1001) return `the server at ${origin} closed the connection${event.reason !== '' ? `: ${event.reason}` : ''}`;
  return `the server at ${origin} closed the connection (code ${event.code}${event.reason !== '' ? `: ${event.reason}` : ''})`;
}

/**
 * The contract over the browser mode's WebSocket: numbered requests answered by id, pushes by
 * channel, and reconnection with exponential backoff. When an attempt fails it asks the server
 * about the token, to say plainly whether the server is not answering (keep retrying: it may be
 * restarted, with --page-token-file the same token) or no longer takes this tab's token (stop:
 * only the URL serve printed helps). Calls made while disconnected, and calls still
 * waiting when the connection drops, answer with a BACKEND_DISCONNECTED failure. The UI calls it
 * through backendTransport(), which adds the contract's named methods.
 */
export class WebSocketTransport implements Carrier {
  readonly description: string;
  /** http://host:port, as the person opened it and the status bar names it. */
  readonly origin: string;
  private socket: SocketLike | null = null;
  private nextRequestId = 1;
  private readonly pending = new Map<number, (result: CallResult<unknown>) => void>();
  private readonly pushListeners = new Map<PushChannel, Set<(data: unknown) => void>>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private state: ConnectionState = { status: 'connecting', detail: '', nextAttemptAt: null };
  private retryMs: number;
  private retryTimer: unknown = null;
  private closed = false;

  private readonly createSocket: (url: string, protocols: string[]) => SocketLike;
  private readonly checkToken: (token: string) => Promise<TokenCheck>;
  private readonly setTimer: (callback: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;
  private readonly now: () => number;
  private readonly firstRetryMs: number;
  private readonly maxRetryMs: number;

  constructor(options: WebSocketTransportOptions) {
    this.description = options.url;
    this.origin = serverOrigin(options.url);
    this.checkToken = options.checkToken ?? fetchTokenCheck(this.origin);
    this.createSocket = options.createSocket ?? ((url, protocols) => new WebSocket(url, protocols) as unknown as SocketLike);
    this.setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
    this.now = options.now ?? Date.now;
    this.firstRetryMs = options.firstRetryMs ?? 250;
    this.maxRetryMs = options.maxRetryMs ?? 5000;
    this.retryMs = this.firstRetryMs;
    if (options.token === null) {
      // The server would refuse every attempt; retrying cannot help, opening the printed URL does.
      this.setState({ status: 'disconnected', detail: 'no access token: open the URL that relayscope serve printed (it ends in #token=…)', nextAttemptAt: null });
    } else {
      this.connect(options.token);
    }
  }

  private connect(token: string): void {
    this.retryTimer = null;
    this.setState({ status: 'connecting', detail: this.state.detail, nextAttemptAt: null });
    let socket: SocketLike;
    try {
      socket = this.createSocket(this.description, bridgeProtocols(token));
    } catch (error) {
      this.scheduleReconnect(token, `cannot open ${this.description}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.retryMs = this.firstRetryMs;
      this.setState({ status: 'connected', detail: '', nextAttemptAt: null });
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.failPending('the connection to the backend closed before it answered');
      if (this.closed) return;
      if (opened) this.scheduleReconnect(token, closedDetail(this.origin, event));
      else void this.explainFailedAttempt(token);
    };
  }

  /** The upgrade failed, and the browser does not say why: the token check tells a stopped server from a refused token. */
  private async explainFailedAttempt(token: string): Promise<void> {
    const check = await this.checkToken(token);
    if (this.closed || this.socket !== null) return;
    if (check === 'refused') {
      this.setState({ status: 'disconnected', detail: TOKEN_INVALID_DETAIL, nextAttemptAt: null });
      return;
    }
    this.scheduleReconnect(
      token,
      check === 'unreachable' ? `the server at ${this.origin} is not answering` : `the server at ${this.origin} answers but did not take this tab's connection (too many tabs open?)`,
    );
  }

  private scheduleReconnect(token: string, detail: string): void {
    const delay = this.retryMs;
    this.retryMs = Math.min(this.maxRetryMs, this.retryMs * 2);
    this.setState({ status: 'disconnected', detail, nextAttemptAt: this.now() + delay });
    this.retryTimer = this.setTimer(() => this.connect(token), delay);
  }

  private receive(data: unknown): void {
    let message: unknown;
    try {
      message = JSON.parse(String(data));
    } catch {
      console.error('relayscope: the backend sent a WebSocket message that is not JSON', data);
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const record = message as Record<string, unknown>;
    if (typeof record.id === 'number') {
      const resolve = this.pending.get(record.id);
      if (resolve === undefined) return;
      this.pending.delete(record.id);
      resolve(isCallResult(record.result) ? record.result : { ok: false, error: { code: 'BAD_RESPONSE', message: 'the backend answered with something that is not a call result' } });
    } else if (isPushChannel(record.push)) {
      for (const listener of this.pushListeners.get(record.push) ?? []) listener(record.data);
    }
  }

  invoke<C extends InvokeChannel>(channel: C, args: InvokeArgs<C>): Promise<CallResult<InvokeResult<C>>> {
    const socket = this.socket;
    if (socket === null || socket.readyState !== OPEN) {
      return Promise.resolve({ ok: false, error: { code: BACKEND_DISCONNECTED, message: 'not connected to the backend (reconnecting)' } });
    }
    const id = this.nextRequestId++;
    const message: SocketClientMessage = { id, channel, args };
    return new Promise((resolve) => {
      this.pending.set(id, resolve as (result: CallResult<unknown>) => void);
      socket.send(JSON.stringify(message));
    });
  }

  private failPending(message: string): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const resolve of waiting) resolve({ ok: false, error: { code: BACKEND_DISCONNECTED, message } });
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }

  /** Pushed data goes on unchecked: contractApi checks its shape for the channel. */
  on<C extends PushChannel>(channel: C, callback: (data: PushData<C>) => void): () => void {
    const listener = callback as (data: unknown) => void;
    const listeners = this.pushListeners.get(channel) ?? new Set();
    this.pushListeners.set(channel, listeners);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }
  onConnectionState(callback: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(callback);
    return () => this.stateListeners.delete(callback);
  }
  connectionState(): ConnectionState {
    return this.state;
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer !== null) this.clearTimer(this.retryTimer);
    const socket = this.socket;
    this.socket = null;
    this.failPending('the transport was closed');
    socket?.close();
  }
}

function isCallResult(value: unknown): value is CallResult<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  if (record.ok === true) return 'value' in record;
  if (record.ok !== false || typeof record.error !== 'object' || record.error === null) return false;
  const error = record.error as Record<string, unknown>;
  return typeof error.code === 'string' && typeof error.message === 'string';
}
