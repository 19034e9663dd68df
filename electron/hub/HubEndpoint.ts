import { moduleIdProblem } from '../protocol/moduleId';
import { PendingOperations } from '../protocol/PendingOperations';
import { ErrorCode, MESSAGE_KIND_NAMES, MessageKind } from '../protocol/protocol';
import type { HubConnection } from './HubConnection';
import { HUB_ENDPOINT_ID, HubCommandError, HubTimeoutError, type HubCore } from './HubCore';
import type { MonitorTap } from './MonitorTap';
import type { Router } from './Router';

export interface InjectOptions {
  /** Source ID the receiver sees; defaults to "$hub". "$hub" or any valid module ID, including one a module holds. */
  source?: string;
  /** Destination module; omitted or null for a broadcast. */
  destination?: string | null;
  kind?: 'unicast' | 'broadcast' | 'request' | 'reply';
  payload: Uint8Array | string;
  correlationId?: number;
}

export interface InProcessReply {
  source: string;
  payload: Buffer;
  correlationId: number;
}

/**
 * The hub's own endpoint, "$hub": the in-process API sends messages in any source's name (inject)
 * and sends requests and takes their replies (request). A REPLY counts only from the module the
 * request went to, and a request fails with PEER_GONE the moment that module leaves.
 */
export class HubEndpoint {
  private readonly requests = new PendingOperations<{ destination: string }, InProcessReply>();

  constructor(
    private readonly core: HubCore,
    private readonly router: Router,
    private readonly tap: MonitorTap,
  ) {}

  /**
   * Sends a message as `source` (default "$hub"). Throws HubCommandError for an unknown destination,
   * an invalid ID or a full destination queue. A REPLY addressed to "$hub" resolves the matching request().
   */
  inject(options: InjectOptions): void {
    const source = options.source ?? HUB_ENDPOINT_ID;
    const kindName = options.kind ?? (options.destination == null ? 'broadcast' : 'unicast');
    const kind = MESSAGE_KIND_NAMES.indexOf(kindName);
    if (kind < 0) throw new HubCommandError(ErrorCode.MALFORMED_FRAME, `unknown message kind "${kindName}"`);
    const sourceProblem = source === HUB_ENDPOINT_ID ? null : moduleIdProblem(source, { allowReserved: true });
    if (sourceProblem !== null) throw new HubCommandError(ErrorCode.INVALID_ID, `source: ${sourceProblem}`);
    const payload = typeof options.payload === 'string' ? Buffer.from(options.payload, 'utf8') : Buffer.from(options.payload);
    if (payload.length > this.core.limits.maxPayload) throw new HubCommandError(ErrorCode.FRAME_TOO_LARGE, `payload of ${payload.length} bytes exceeds the limit of ${this.core.limits.maxPayload}`);
    const correlationId = (options.correlationId ?? 0) >>> 0;
    const sourceId = Buffer.from(source, 'utf8');
    if (kind === MessageKind.BROADCAST) {
      this.deliverInjected(sourceId, null, kind, correlationId, payload, source);
      return;
    }
    const destination = options.destination ?? '';
    if (destination === HUB_ENDPOINT_ID && kind === MessageKind.REPLY) {
      this.resolveReply(source, correlationId, payload);
      return;
    }
    const target = this.core.modules.get(destination) ?? this.core.monitorsById.get(destination);
    if (target === undefined) throw new HubCommandError(ErrorCode.NO_SUCH_MODULE, destination === '' ? `a ${kindName} needs a destination` : `no module "${destination}" is connected`);
    const refused = target.refuses?.(sourceId, payload.length) ?? null;
    if (refused !== null) throw new HubCommandError(ErrorCode.NOT_PERMITTED, refused);
    if (kind === MessageKind.REPLY) {
      // A reply injected in the name of the module the request went to answers that request.
      const responder = this.core.monitorsById.get(source) ?? this.core.modules.get(source);
      if (responder !== undefined) this.router.forgetRequest(responder, target, correlationId);
    }
    this.deliverInjected(sourceId, target, kind, correlationId, payload, source);
  }

  /** Relays an injected message to `target`, or to every module but the source when target is null. */
  private deliverInjected(sourceId: Buffer, target: HubConnection | null, kind: number, correlationId: number, payload: Buffer, source: string): void {
    // deliver() and the tap read the correlation ID from just before the payload, so the two are joined.
    const frame = Buffer.allocUnsafe(4 + payload.length);
    frame.writeUInt32BE(correlationId, 0);
    payload.copy(frame, 4);
    if (target !== null) {
      if (!this.router.deliver(null, sourceId, target, kind, frame, 0, 4, frame.length)) {
        this.core.output.flushDirty();
        throw new HubCommandError(ErrorCode.DESTINATION_OVERLOADED, `"${target.id}" is not reading fast enough (or just left); the message was not delivered`);
      }
    } else {
      for (const module of this.core.modules.values()) if (module.id !== source) this.router.deliver(null, sourceId, module, kind, frame, 0, 4, frame.length);
    }
    this.core.statistics.relayed(payload.length);
    this.core.clock.stamp();
    this.tap.copy(sourceId, target === null ? null : target.idBytes, kind, frame, 0, 4, frame.length, source, true);
    this.core.output.flushDirty();
  }

  /**
   * Sends a REQUEST as "$hub" and resolves with the REPLY. Rejects with HubCommandError PEER_GONE at
   * once when the module leaves first, HubTimeoutError after timeoutMs, and SHUTDOWN when the hub closes.
   */
  request(options: { destination: string; payload: Uint8Array | string; timeoutMs?: number }): Promise<InProcessReply> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const { id, promise } = this.requests.start(
      { destination: options.destination },
      { timeoutMs, ref: false, onTimeout: () => new HubTimeoutError(`no reply from "${options.destination}" within ${timeoutMs} ms`, timeoutMs) },
    );
    try {
      this.inject({ source: HUB_ENDPOINT_ID, destination: options.destination, kind: 'request', payload: options.payload, correlationId: id });
    } catch (err) {
      this.requests.reject(id, err as Error);
    }
    return promise;
  }

  /** A REPLY to "$hub": it settles the request only when it comes from the module the request went to. */
  resolveReply(source: string, correlationId: number, payload: Buffer): void {
    this.requests.resolve(correlationId, { source, payload, correlationId }, (request) => request.destination === source);
  }

  /** A module left: requests to it fail now rather than at their timeout. */
  moduleLeft(id: string, reason: string): void {
    if (this.requests.size === 0) return;
    this.requests.rejectWhere(
      (request) => request.destination === id,
      () => new HubCommandError(ErrorCode.PEER_GONE, `"${id}" left before replying: ${reason}`),
    );
  }

  close(reason: string): void {
    this.requests.rejectAll(new HubCommandError(ErrorCode.SHUTDOWN, reason));
  }
}
