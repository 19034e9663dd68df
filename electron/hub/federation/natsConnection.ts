import type { ConnectionOptions, credsAuthenticator, NatsConnection } from '@nats-io/nats-core';

/** The first retry after a failed connect or a lost connection, doubled up to maxRetryMs. */
const FIRST_BACKOFF_MS = 500;
/** How long closing waits for what was published to reach a server that is there; a hub's shutdown must not wait longer. */
const CLOSE_FLUSH_MS = 1000;

export interface NatsConnectionOptions {
  url: string;
  /** The client name the NATS server's monitoring shows. */
  name: string;
  creds?: Uint8Array;
  token?: string;
  maxRetryMs: number;
}

export interface NatsConnectionEvents {
  /** Connected, first or again after a loss: subscriptions are in place (the client renews them). */
  up(nc: NatsConnection): void;
  /** Not connected: the first connect failed, or the connection was lost; retrying with backoff. */
  down(reason: string): void;
}

/** The client's entry point re-exports nats-core's authenticators, which its typings do not show. */
type NatsModule = typeof import('@nats-io/transport-node') & { credsAuthenticator: typeof credsAuthenticator };

/**
 * One NATS connection kept up for as long as the hub runs: the first connect is retried with
 * backoff (a hub starts and serves its own modules whether or not NATS is there), and a lost
 * connection is renewed by the client with the same backoff. Status changes go to `events`.
 */
export class KeptNatsConnection {
  private nc: NatsConnection | null = null;
  /** Connected now (not between a loss and the reconnection). */
  private up = false;
  private closed = false;
  private backoffMs = FIRST_BACKOFF_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly options: NatsConnectionOptions,
    private readonly events: NatsConnectionEvents,
  ) {}

  start(): void {
    void this.run();
  }

  get connection(): NatsConnection | null {
    return this.nc;
  }

  private nextBackoff(): number {
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.options.maxRetryMs, this.backoffMs * 2);
    // A little jitter, so hubs that lost one server do not all come back in the same millisecond.
    return wait + Math.floor(Math.random() * (wait / 5));
  }

  private connectOptions(nats: NatsModule): ConnectionOptions {
    const options: ConnectionOptions = {
      servers: this.options.url.split(',').map((url) => url.trim()),
      name: this.options.name,
      // A hub's own presence and batches are not for itself.
      noEcho: true,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectDelayHandler: () => this.nextBackoff(),
      // A dead server is noticed in seconds rather than the default minutes.
      pingInterval: 2000,
      maxPingOut: 2,
      timeout: 3000,
      // Every batch is a request: with async traces the client builds two Errors (stack traces) per
      // request in case it fails, about 45 µs of each hub's CPU on a cross-hub round trip's path
      // (bench --only federation). A failure is still a TimeoutError or a RequestError with its cause.
      noAsyncTraces: true,
    };
    if (this.options.creds !== undefined) options.authenticator = nats.credsAuthenticator(this.options.creds);
    if (this.options.token !== undefined) options.token = this.options.token;
    return options;
  }

  private async run(): Promise<void> {
    const nats = require('@nats-io/transport-node') as NatsModule;
    while (!this.closed) {
      let nc: NatsConnection;
      try {
        nc = await nats.connect(this.connectOptions(nats));
      } catch (err) {
        if (this.closed) return;
        this.events.down(`cannot connect to NATS at ${this.options.url}: ${(err as Error).message}`);
        await this.sleep(this.nextBackoff());
        continue;
      }
      if (this.closed) {
        await nc.close().catch(() => {});
        return;
      }
      this.nc = nc;
      this.backoffMs = FIRST_BACKOFF_MS;
      this.up = true;
      this.events.up(nc);
      const watching = this.watch(nc);
      const error = await nc.closed();
      await watching;
      this.nc = null;
      this.up = false;
      if (this.closed) return;
      // The client gave up (e.g. refused credentials): start over with a new one.
      this.events.down(`the NATS connection closed${error ? `: ${error.message}` : ''}`);
      await this.sleep(this.nextBackoff());
    }
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (this.closed) return;
      if (status.type === 'disconnect' || status.type === 'staleConnection') this.up = false;
      if (status.type === 'disconnect') this.events.down(`lost the NATS connection to ${status.server}; reconnecting`);
      else if (status.type === 'staleConnection') this.events.down(`the NATS server at ${this.options.url} stopped answering; reconnecting`);
      else if (status.type === 'reconnect') {
        this.backoffMs = FIRST_BACKOFF_MS;
        this.up = true;
        this.events.up(nc);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.retryTimer = setTimeout(resolve, ms);
      this.retryTimer.unref();
    });
  }

  /**
   * Flushes what was published (so a last message, the hub's bye, reaches the server) and closes.
   * Without a server there is nothing to flush to: the client would wait for a reconnection, and
   * the hub's shutdown with it.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.wake?.();
    const nc = this.nc;
    this.nc = null;
    if (nc !== null && !nc.isClosed()) {
      if (this.up) await withinMs(nc.flush(), CLOSE_FLUSH_MS);
      await withinMs(nc.close(), CLOSE_FLUSH_MS);
    }
  }
}

/** Waits for `promise` (its failure ignored) but no longer than `ms`. */
async function withinMs(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
