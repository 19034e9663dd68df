import type { HubClock } from './HubClock';
import type { HubConnection } from './HubConnection';
import type { HubEventStream } from './HubEventStream';
import type { HubLimits, HubSnapshot } from './hubEvents';
import type { HubOutput } from './HubOutput';
import type { HubStatistics } from './HubStatistics';

/**
 * What the hub's parts (handshake, router, monitor tap, control frames, $hub endpoint) share: the
 * registry, the output and clock of the chunk being handled, the counters, and the ways a
 * connection is answered with an error or closed. RelayHub implements it and wires the parts.
 */
export interface HubCore {
  readonly limits: HubLimits;
  /** Registered modules by ID. */
  readonly modules: Map<string, HubConnection>;
  /** Registered monitors by their assigned ID. */
  readonly monitorsById: Map<string, HubConnection>;
  readonly output: HubOutput;
  readonly clock: HubClock;
  readonly statistics: HubStatistics;
  /** In-process subscribers (the desktop app): batched events and full payloads on demand. */
  readonly events: HubEventStream;
  readonly log: (line: string) => void;
  /** The bus this hub is federated on (electron/hub/federation/), or null. */
  readonly bus: BusRoute | null;
  /** Changes whenever a module joins or leaves. */
  registryVersion: number;
  /** Answers with ERROR; closes the connection when the code is fatal. */
  sendError(conn: HubConnection, code: number, correlationId: number, ref: string, message: string): void;
  /** Refuses a connection the access policy does not allow (NOT_PERMITTED, then closed), counted in connectionsNotPermitted. */
  notPermitted(conn: HubConnection, message: string, ref?: string): void;
  /** Sends a fatal ERROR and closes. */
  fail(conn: HubConnection, code: number, message: string, ref?: string): void;
  /** Stops routing to a connection, flushes what it has pending and ends the stream. */
  closeConnection(conn: HubConnection): void;
  /** Tells presence subscribers and monitors that a module joined or left. */
  announce(conn: HubConnection, presence: number, hubEvent: number, code: number, detail: string): void;
  /** Handles one frame as if it had just been read from `conn` (replaying frames held during a TAKEOVER). */
  handleFrame(conn: HubConnection, type: number, buf: Buffer, start: number, end: number): void;
  snapshot(): HubSnapshot;
}

/**
 * What the router asks of the federation: messages for modules of other hubs (connections whose
 * origin is `remote`) go to their hub instead of a socket.
 */
export interface BusRoute {
  /**
   * Sends the MESSAGE body a module of this hub wrote, buf[start, end), to `target`'s hub. Returns
   * false when it was not sent and `source` was answered with an ERROR instead.
   */
  forward(source: HubConnection, target: HubConnection, buf: Buffer, start: number, end: number): boolean;
  /** Sends a broadcast body a module of this hub wrote, buf[start, end), once to every other hub. */
  broadcast(source: HubConnection, buf: Buffer, start: number, end: number): void;
  /** Said after "no module X is connected" while the bus cannot be reached ('' while it can). */
  readonly absentNote: string;
}

/** The ID the in-process API sends and receives as. */
export const HUB_ENDPOINT_ID = '$hub';

export class HubCommandError extends Error {
  constructor(
    /** ErrorCode from protocol.ts */
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'HubCommandError';
  }
}

/** The in-process request() got no reply in time (the module is still connected). */
export class HubTimeoutError extends Error {
  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message);
    this.name = 'HubTimeoutError';
  }
}
