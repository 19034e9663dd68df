import { errorName, FATAL_ERRORS } from '../protocol/protocol';

/** An ERROR (or a BYE) the hub sent: the hub refused the connection or one operation. */
export class RelayError extends Error {
  /** ErrorCode from protocol.ts */
  readonly code: number;
  /** The code's name, e.g. "NO_SUCH_MODULE" */
  readonly codeName: string;
  /** The hub's own words, e.g. 'no module "X" is connected'; `message` is the code name, a colon and this. */
  readonly detail: string;
  /** The module ID the error is about ('' when none) */
  readonly ref: string;
  /** The correlation ID of the operation it answers, 0 when it answers none */
  readonly correlationId: number;
  /** True when the hub closes the connection after it: a fatal code sent with correlation 0 (PROTOCOL.md, errors). */
  readonly fatal: boolean;

  constructor(code: number, detail: string, options: { ref?: string; correlationId?: number; fatal?: boolean } = {}) {
    const codeName = errorName(code);
    super(`${codeName}: ${detail}`);
    this.name = 'RelayError';
    this.code = code;
    this.codeName = codeName;
    this.detail = detail;
    this.ref = options.ref ?? '';
    this.correlationId = options.correlationId ?? 0;
    this.fatal = options.fatal ?? (FATAL_ERRORS.has(code) && this.correlationId === 0);
  }
}

/** The hub could not be reached, or it closed the connection before WELCOME. */
export class ConnectError extends Error {
  /** The address tried, as formatted by formatSocketAddress (a path, @name or tcp://host:port) */
  readonly socket: string;
  /** The system error code behind it, e.g. "ECONNREFUSED", "ENOENT", "ECONNRESET" */
  readonly code: string;

  constructor(message: string, socket: string, code: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ConnectError';
    this.socket = socket;
    this.code = code;
  }
}

/** No WELCOME, reply or acknowledgement arrived in time. */
export class TimeoutError extends Error {
  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/** The client was closed, or its connection was lost, before the operation completed. */
export class ClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClosedError';
  }
}

/** A send would exceed the bytes the client buffers while it is not connected to the hub. */
export class BackpressureError extends Error {
  constructor(
    message: string,
    readonly bufferedBytes: number,
    readonly maxBufferedBytes: number,
  ) {
    super(message);
    this.name = 'BackpressureError';
  }
}
