import type { EventEmitter } from 'node:events';
import {
  encodePing,
  parseBye,
  parseCorrelationOnly,
  parseError,
  parseEvent,
  parseListReply,
  parseMessage,
  parsePresence,
  parseStatsReply,
  parseTraffic,
  parseTrafficRun,
} from '../protocol/frameCodec';
import type { HubSnapshot } from '../hub/hubEvents';
import type { PendingOperations } from '../protocol/PendingOperations';
import { FrameType, MESSAGE_KIND_NAMES, MessageKind, PresenceEvent } from '../protocol/protocol';
import type { ReceivedMessage, RelayClientEvents } from './clientTypes';
import { RelayError } from './errors';

/** What the hub answers an operation with. */
export type Answer = 'reply' | 'list' | 'stats' | 'ok';

/** What a pending operation waits for: the answer, and the module it must come from ('' for the hub, which is also the ref of ERRORs about hub commands). */
export interface Awaiting {
  answer: Answer;
  peer: string;
}

/** What the frames act on besides the client's events and its pending operations. */
export interface FrameContext {
  /** False once the client is closing: a listener for an earlier frame of the same read may have closed it. */
  delivering(): boolean;
  /** Writes a frame to the hub (the PONG for a PING). */
  write(frame: Buffer): void;
  /** The hub sent BYE or a fatal ERROR: the disconnect that follows reports it. */
  hubClosing(error: RelayError): void;
}

const answeredByHub =
  (answer: Answer) =>
  (awaiting: Awaiting): boolean =>
    awaiting.answer === answer && awaiting.peer === '';
const OK_ANSWER = answeredByHub('ok');
const LIST_ANSWER = answeredByHub('list');
const STATS_ANSWER = answeredByHub('stats');

/**
 * Turns the frames the hub sends a registered client into the client's events and into answers to
 * its pending operations. `visit` is the decoder's visitor, so it runs once per frame.
 */
export class IncomingFrames {
  constructor(
    private readonly client: EventEmitter<RelayClientEvents>,
    private readonly pending: PendingOperations<Awaiting, unknown>,
    private readonly context: FrameContext,
  ) {}

  readonly visit = (type: number, buf: Buffer, start: number, end: number): void => {
    if (!this.context.delivering()) return;
    switch (type) {
      case FrameType.MESSAGE:
        this.message(buf, start, end);
        return;
      case FrameType.PING:
        this.context.write(encodePing(FrameType.PONG, buf.subarray(start, Math.min(end, start + 8))));
        return;
      case FrameType.ERROR:
        this.error(buf, start, end);
        return;
      case FrameType.BYE: {
        const bye = parseBye(buf, start, end);
        this.context.hubClosing(new RelayError(bye.code, bye.reason || 'the hub said goodbye', { fatal: true }));
        return;
      }
      case FrameType.OK:
        this.pending.resolve(parseCorrelationOnly(buf, start, end, 'OK'), undefined, OK_ANSWER);
        return;
      case FrameType.LIST_REPLY: {
        const reply = parseListReply(buf, start, end);
        this.pending.resolve(reply.correlationId, reply.ids, LIST_ANSWER);
        return;
      }
      case FrameType.STATS_REPLY:
        this.statsReply(buf, start, end);
        return;
      case FrameType.PRESENCE: {
        const presence = parsePresence(buf, start, end);
        this.client.emit('presence', { event: presence.event === PresenceEvent.JOIN ? 'join' : 'leave', id: presence.id });
        return;
      }
      case FrameType.TRAFFIC: {
        const traffic = parseTraffic(buf, start, end);
        traffic.payload = keepable(traffic.payload);
        this.client.emit('traffic', traffic);
        return;
      }
      case FrameType.TRAFFIC_RUN:
        for (const traffic of parseTrafficRun(buf, start, end)) {
          traffic.payload = keepable(traffic.payload);
          this.client.emit('traffic', traffic);
        }
        return;
      case FrameType.EVENT:
        this.client.emit('hubEvent', parseEvent(buf, start, end));
        return;
      default:
      // PONG needs no action, and frame types this client does not know (a newer hub) are ignored.
    }
  };

  private message(buf: Buffer, start: number, end: number): void {
    const frame = parseMessage(buf, start, end);
    const kind = MESSAGE_KIND_NAMES[frame.kind];
    if (kind === undefined) return;
    const payload = keepable(frame.payload);
    const message: ReceivedMessage = { kind, source: frame.peer, correlationId: frame.correlationId, payload, text: () => payload.toString('utf8') };
    if (frame.kind === MessageKind.REPLY) {
      // A reply nobody waits for any more (its request timed out) is dropped.
      this.pending.resolve(frame.correlationId, message, (awaiting) => awaiting.answer === 'reply' && awaiting.peer === frame.peer);
      return;
    }
    this.client.emit('message', message);
    if (frame.kind === MessageKind.REQUEST) this.client.emit('request', message);
  }

  private error(buf: Buffer, start: number, end: number): void {
    const frame = parseError(buf, start, end);
    const error = new RelayError(frame.code, frame.message, { ref: frame.ref, correlationId: frame.correlationId });
    if (error.fatal) {
      this.context.hubClosing(error);
      return;
    }
    // The correlation ID alone could be a requester's, echoed back for a failed reply(); the ref
    // (the peer a request went to, '' for hub commands) tells the two apart.
    if (this.pending.reject(frame.correlationId, error, (awaiting) => awaiting.peer === frame.ref)) return;
    this.client.emit('remoteError', error);
  }

  private statsReply(buf: Buffer, start: number, end: number): void {
    const reply = parseStatsReply(buf, start, end);
    let snapshot: HubSnapshot;
    try {
      snapshot = JSON.parse(reply.json) as HubSnapshot;
    } catch (err) {
      this.pending.reject(reply.correlationId, new Error(`the hub's STATS_REPLY is not valid JSON: ${(err as Error).message}`), STATS_ANSWER);
      return;
    }
    this.pending.resolve(reply.correlationId, snapshot, STATS_ANSWER);
  }
}

/** A payload the caller may keep: a view when it is most of its buffer, else a copy so a small message does not pin a whole read buffer. */
function keepable(bytes: Buffer): Buffer {
  return bytes.length * 2 >= bytes.buffer.byteLength ? bytes : Buffer.from(bytes);
}
