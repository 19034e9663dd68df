import * as os from 'node:os';

/** How a hub joins a bus (--nats, --bus, --hub-name, --nats-creds, --nats-token; docs/FEDERATION.md). */
export interface FederationOptions {
  /** NATS server URL(s), comma-separated, e.g. nats://127.0.0.1:4222. */
  url: string;
  /** The bus: hubs on the same bus and NATS server see each other's modules (default "default"). */
  bus?: string;
  /** This hub's name on the bus, unique there (default: host name and process ID). */
  hubName?: string;
  /** A NATS credentials file's content (JWT and NKey seed). */
  creds?: Uint8Array;
  /** A token the NATS server requires. */
  token?: string;
  /** A hub heard from for this long is gone, its modules leave (default 5000). */
  presenceTimeoutMs?: number;
  /** How often this hub says it is alive (default 1000). */
  heartbeatMs?: number;
  /** A batch another hub has not confirmed within this long is answered with ERRORs (default 5000). */
  confirmTimeoutMs?: number;
  /** The longest wait between attempts to reach NATS (default 10000; the first is 500, doubled each time). */
  maxRetryMs?: number;
}

/** Bus and hub names become NATS subject tokens: no dots, spaces or wildcards. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Why `name` cannot be a bus or hub name, or null. */
export function federationNameProblem(what: 'bus' | 'hub', name: string): string | null {
  return NAME.test(name) ? null : `the ${what} name "${name}" must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -`;
}

/** The default hub name: the host name (as a subject token) and the process ID. */
export function defaultHubName(): string {
  const host =
    os
      .hostname()
      .replace(/[^A-Za-z0-9_-]/g, '-')
      .slice(0, 50) || 'hub';
  return `${host}-${process.pid}`;
}
