import { isPushChannel, type CallResult, type InvokeArgs, type InvokeChannel, type InvokeResult, type PushChannel, type PushData, type SocketClientMessage } from '@contract';
import { BACKEND_DISCONNECTED, type Carrier, type ConnectionState } from './BackendTransport';
import { bridgeProtocols } from './pageToken';

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

export interface WebSocketTransportOptions {
  url: string;
  /** The access token (see pageToken.ts); null when the page has none, and then no connection is tried. */
  token: string | null;
  createSocket?: (url: string, protocols: string[]) => SocketLike;
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

/**
 * The contract over the browser mode's WebSocket: numbered requests answered by id, pushes by
 * channel, and reconnection with exponential backoff. Calls made while disconnected, and calls still
 * waiting when the connection drops, answer with a BACKEND_DISCONNECTED failure. The UI calls it
 * through backendTransport(), which adds the contract's named methods.
 */
export class WebSocketTransport implements Carrier {
  readonly description: string;
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
  private readonly setTimer: (callback: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;
  private readonly now: () => number;
  private readonly firstRetryMs: number;
  private readonly maxRetryMs: number;

  constructor(options: WebSocketTransportOptions) {
    this.description = options.url;
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
    socket.onopen = () => {
      this.retryMs = this.firstRetryMs;
      this.setState({ status: 'connected', detail: '', nextAttemptAt: null });
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.failPending('the connection to the backend closed before it answered');
      if (!this.closed) this.scheduleReconnect(token, `connection closed (code ${event.code}${event.reason ? `: ${event.reason}` : ''})`);
    };
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
