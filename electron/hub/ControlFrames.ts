import { encodeListReply, encodeOk, encodePing, encodeStatsReply, parseCorrelationOnly, parseInject, parseKick, parseSubscribePresence } from '../protocol/frameCodec';
import { injectSourceProblem } from '../protocol/moduleId';
import { ErrorCode, FrameType, MESSAGE_KIND_NAMES, PROTOCOL_VERSION } from '../protocol/protocol';
import type { HubConnection } from './HubConnection';
import { HubCommandError, type HubCore } from './HubCore';
import type { HubEndpoint } from './HubEndpoint';

/** A PONG echoes at most this many bytes of its PING's body (PROTOCOL.md 4.4). */
const PING_ECHO_BYTES = 8;

/**
 * Every frame but MESSAGE from a registered connection: keepalive, BYE, LIST, presence, and the
 * monitor commands STATS, INJECT and KICK, each answered with its reply, OK or a non-fatal ERROR.
 */
export class ControlFrames {
  constructor(
    private readonly core: HubCore,
    private readonly endpoint: HubEndpoint,
    /** Disconnects a module or monitor with KICKED; throws HubCommandError when no such ID is connected. */
    private readonly kick: (id: string, reason: string) => void,
  ) {}

  /**
   * LIST_REPLY is encoded once per registry version; STATS_REPLY once per read while nothing it
   * shows has changed (a snapshot of a big registry costs ~1 ms, and a read full of STATS frames
   * must not cost that per frame). Each request gets the frame with its own correlation ID.
   */
  private listReply: { version: number; frame: Buffer } | null = null;
  private statsReply: { key: string; frame: Buffer } | null = null;

  private listFrame(): Buffer {
    const version = this.core.registryVersion;
    if (this.listReply === null || this.listReply.version !== version) this.listReply = { version, frame: encodeListReply(0, [...this.core.modules.keys()]) };
    return this.listReply.frame;
  }

  private statsFrame(): Buffer {
    const { totals } = this.core.statistics;
    const key = `${this.core.clock.chunkMicros}:${this.core.registryVersion}:${totals.messages}:${totals.errors}:${totals.drops}`;
    if (this.statsReply === null || this.statsReply.key !== key) this.statsReply = { key, frame: encodeStatsReply(0, JSON.stringify(this.core.snapshot())) };
    return this.statsReply.frame;
  }

  handle(conn: HubConnection, type: number, buf: Buffer, start: number, end: number): void {
    const { output } = this.core;
    switch (type) {
      case FrameType.PING:
        output.sendControl(conn, encodePing(FrameType.PONG, buf.subarray(start, Math.min(end, start + PING_ECHO_BYTES))));
        return;
      case FrameType.PONG:
        return;
      case FrameType.BYE:
        conn.leaveReason = 'said goodbye';
        this.core.closeConnection(conn);
        return;
      case FrameType.LIST:
        output.sendAnswer(conn, this.listFrame(), parseCorrelationOnly(buf, start, end, 'LIST'));
        return;
      case FrameType.SUBSCRIBE_PRESENCE: {
        const { correlationId, on } = parseSubscribePresence(buf, start, end);
        conn.presenceSubscribed = on;
        output.sendControl(conn, encodeOk(correlationId));
        return;
      }
      case FrameType.HELLO:
        this.core.fail(conn, ErrorCode.DUPLICATE_HELLO, 'HELLO was already accepted on this connection');
        return;
      case FrameType.STATS:
      case FrameType.INJECT:
      case FrameType.KICK:
        if (conn.role !== 'monitor') {
          // INJECT carries kind and flags before its correlation ID; STATS and KICK start with it.
          this.core.sendError(
            conn,
            ErrorCode.NOT_PERMITTED,
            correlationAt(buf, type === FrameType.INJECT ? start + 2 : start, end),
            '',
            `frame 0x${type.toString(16)} is for monitors; connect with the MONITOR flag`,
          );
        } else if (type === FrameType.STATS) {
          output.sendAnswer(conn, this.statsFrame(), parseCorrelationOnly(buf, start, end, 'STATS'));
        } else if (type === FrameType.INJECT) {
          this.inject(conn, buf, start, end);
        } else {
          const kick = parseKick(buf, start, end);
          this.commandResult(conn, kick.correlationId, () => this.kick(kick.id, kick.reason || `kicked by ${conn.id}`));
        }
        return;
      case FrameType.MESSAGE:
        this.core.sendError(conn, ErrorCode.NOT_PERMITTED, correlationAt(buf, start + 2, end), '', 'monitors do not send MESSAGE frames; use INJECT');
        return;
      default:
        this.core.sendError(conn, ErrorCode.UNKNOWN_FRAME_TYPE, 0, '', `frame type 0x${type.toString(16).padStart(2, '0')} is not part of protocol version ${PROTOCOL_VERSION}`);
    }
  }

  private inject(conn: HubConnection, buf: Buffer, start: number, end: number): void {
    const inject = parseInject(buf, start, end);
    this.commandResult(conn, inject.correlationId, () => {
      const kind = MESSAGE_KIND_NAMES[inject.kind];
      // Without this an unknown kind would read as undefined and inject() would default it to unicast/broadcast.
      if (kind === undefined) throw new HubCommandError(ErrorCode.MALFORMED_FRAME, `message kind ${inject.kind} is not one of 0 (unicast), 1 (broadcast), 2 (request), 3 (reply)`);
      const source = inject.source === '' ? conn.id : inject.source;
      // A monitor speaks as itself (its own ID starts with '$') or as any ID a module could register.
      const problem = source === conn.id ? null : injectSourceProblem(source);
      if (problem !== null) throw new HubCommandError(ErrorCode.INVALID_ID, problem);
      this.endpoint.inject({ source, destination: inject.destination === '' ? null : inject.destination, kind, payload: inject.payload, correlationId: inject.correlationId });
    });
  }

  /** Runs a monitor's command and answers OK, or ERROR with the command's reason. */
  private commandResult(conn: HubConnection, correlationId: number, command: () => void): void {
    try {
      command();
      this.core.output.sendControl(conn, encodeOk(correlationId));
    } catch (err) {
      if (!(err instanceof HubCommandError)) throw err;
      this.core.sendError(conn, err.code, correlationId, '', err.message);
    }
  }
}

/** The correlation ID at the start of a control body, or 0 when the body is too short to have one. */
function correlationAt(buf: Buffer, start: number, end: number): number {
  return end - start >= 4 ? buf.readUInt32BE(start) : 0;
}
