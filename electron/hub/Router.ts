import { messagePayloadStart } from '../protocol/frameCodec';
import { MessageBody, messageHeaderLength, writeMessageHeader } from '../protocol/frameWriters';
import { ErrorCode, LENGTH_PREFIX_BYTES, MESSAGE_KIND_NAMES, MessageKind } from '../protocol/protocol';
import { ZERO_COPY_THRESHOLD, type HubConnection } from './HubConnection';
import { type BusRoute, HUB_ENDPOINT_ID, type HubCore } from './HubCore';
import type { MonitorTap } from './MonitorTap';

/** Unanswered requests remembered per responder; beyond it the oldest is forgotten (the requester's own timeout covers it). */
const MAX_PENDING_REQUESTS = 4096;
const HUB_ENDPOINT_BYTES = Buffer.from(HUB_ENDPOINT_ID, 'utf8');
/** The length prefix and type byte before a frame's body. */
const FRAME_HEADER_BYTES = LENGTH_PREFIX_BYTES + 1;

/** A REPLY a module addressed to "$hub": handed to the in-process endpoint. */
export type HubReplyHandler = (source: string, correlationId: number, payload: Buffer) => void;

/**
 * The relay: resolves a MESSAGE's destination, delivers it (applying the slow-consumer policy when
 * the destination's queue is full), tracks requests so a requester hears PEER_GONE when its
 * responder leaves, and hands each relayed message to the monitor tap.
 */
export class Router {
  private readonly maxPayload: number;
  private readonly queueLimit: number;

  constructor(
    private readonly core: HubCore,
    private readonly tap: MonitorTap,
    private readonly hubReply: HubReplyHandler,
  ) {
    this.maxPayload = core.limits.maxPayload;
    this.queueLimit = core.limits.queueLimit;
  }

  /** MESSAGE from a module, body buf[start, end). */
  relay(conn: HubConnection, buf: Buffer, start: number, end: number): void {
    const payloadStart = messagePayloadStart(buf, start, end);
    const payloadLength = end - payloadStart;
    if (payloadLength > this.maxPayload) {
      this.core.fail(conn, ErrorCode.FRAME_TOO_LARGE, `payload of ${payloadLength} bytes exceeds the limit of ${this.maxPayload}`);
      return;
    }
    const kind = buf[start + MessageBody.KIND];
    const corrAt = start + MessageBody.CORRELATION;
    const stats = conn.stats;
    stats.messagesIn++;
    stats.bytesIn += payloadLength;
    const fromBus = conn.origin.remote !== undefined;
    if (kind === MessageKind.BROADCAST) {
      this.core.statistics.relayed(payloadLength);
      // Modules of other hubs get it from their own hub, which the bus sends it to once.
      for (const target of this.core.modules.values()) {
        if (target !== conn && target.origin.remote === undefined) this.deliver(conn, conn.idBytes, target, kind, buf, corrAt, payloadStart, end);
      }
      if (this.core.bus !== null && !fromBus) this.core.bus.broadcast(conn, buf, start, end);
      this.copyToMonitors(conn, null, kind, buf, start, payloadStart, end);
      return;
    }
    const peerStart = start + MessageBody.PEER;
    let target = this.resolve(conn, buf, peerStart, payloadStart - peerStart);
    // A message from another hub is for a module of this one; one this hub sees elsewhere is not passed on again.
    if (target !== null && fromBus && target.origin.remote !== undefined) target = null;
    if (target === null) {
      const destination = buf.toString('utf8', peerStart, payloadStart);
      if (kind === MessageKind.REPLY && destination === HUB_ENDPOINT_ID) {
        this.core.statistics.relayed(payloadLength);
        this.copyToMonitors(conn, HUB_ENDPOINT_BYTES, kind, buf, start, payloadStart, end);
        this.hubReply(conn.id, buf.readUInt32BE(corrAt), Buffer.from(buf.subarray(payloadStart, end)));
        return;
      }
      // A plain program cannot be told (its framing has no errors): the message is dropped and counted, and monitors see the ERROR.
      if (conn.origin.plain !== undefined) {
        conn.stats.drops++;
        this.core.statistics.totals.drops++;
      }
      this.core.sendError(
        conn,
        ErrorCode.NO_SUCH_MODULE,
        buf.readUInt32BE(corrAt),
        destination,
        destination === '' ? `a ${MESSAGE_KIND_NAMES[kind]} needs a destination ID` : `no module "${destination}" is connected${this.core.bus?.absentNote ?? ''}`,
      );
      return;
    }
    if (kind === MessageKind.REPLY && conn.pendingRequests.size > 0) conn.pendingRequests.delete(requestKey(target, buf.readUInt32BE(corrAt)));
    // A message the destination had no room for was answered with an ERROR: it is not relayed, counted or copied.
    if (target.origin.remote !== undefined) {
      if (!(this.core.bus as BusRoute).forward(conn, target, buf, start, end)) return;
      target.stats.messagesOut++;
      target.stats.bytesOut += payloadLength;
    } else if (!this.deliver(conn, conn.idBytes, target, kind, buf, corrAt, payloadStart, end, start - FRAME_HEADER_BYTES)) return;
    this.core.statistics.relayed(payloadLength);
    // Only the requester's hub keeps the record: it is the one that hears when the responder or its hub goes.
    if (kind === MessageKind.REQUEST && !fromBus) this.trackRequest(conn, target, buf.readUInt32BE(corrAt));
    this.copyToMonitors(conn, target.idBytes, kind, buf, start, payloadStart, end);
  }

  private copyToMonitors(conn: HubConnection, destinationId: Buffer | null, kind: number, buf: Buffer, start: number, payloadStart: number, end: number): void {
    this.tap.copy(conn.idBytes, destinationId, kind, buf, start + MessageBody.CORRELATION, payloadStart, end, conn.id, false);
    if (this.tap.wantsRuns) this.tap.extendRun(conn, buf, start, end);
  }

  /** Finds the connection a module addressed: the previous destination when the bytes match, else a lookup. */
  private resolve(conn: HubConnection, buf: Buffer, peerStart: number, peerLen: number): HubConnection | null {
    const last = conn.lastDestination;
    if (last !== null && last.role !== 'closed') {
      const known = conn.lastDestinationBytes;
      if (known.length === peerLen) {
        let same = true;
        for (let i = 0; i < peerLen; i++) {
          if (known[i] !== buf[peerStart + i]) {
            same = false;
            break;
          }
        }
        if (same) return last;
      }
    }
    if (peerLen === 0) return null;
    const id = buf.toString('utf8', peerStart, peerStart + peerLen);
    const target = this.core.modules.get(id) ?? this.core.monitorsById.get(id) ?? null;
    if (target !== null) {
      conn.lastDestination = target;
      conn.lastDestinationBytes = target.idBytes;
    }
    return target;
  }

  /**
   * Appends one MESSAGE to `target`: kind, the 4 correlation bytes at buf[corrAt], the source ID,
   * and the payload buf[payloadStart, payloadEnd). `frameStart`, where the message is a whole MESSAGE
   * frame received (-1 otherwise), lets it be copied as it came with only the peer ID replaced.
   * Returns false when it was not delivered.
   */
  deliver(source: HubConnection | null, sourceId: Buffer, target: HubConnection, kind: number, buf: Buffer, corrAt: number, payloadStart: number, payloadEnd: number, frameStart = -1): boolean {
    if (target.role === 'closed') return false;
    if (target.refuses !== null && this.refusedByFraming(source, target, kind, buf.readUInt32BE(corrAt), target.refuses(sourceId, payloadEnd - payloadStart))) return false;
    if (target.queuedBytes > this.queueLimit) {
      this.overloaded(source, target, buf.readUInt32BE(corrAt));
      return false;
    }
    const payloadLength = payloadEnd - payloadStart;
    const headerLength = messageHeaderLength(sourceId.length);
    const zeroCopy = payloadLength >= ZERO_COPY_THRESHOLD;
    if (!zeroCopy && frameStart >= 0 && payloadStart - frameStart === headerLength) {
      // Source and destination IDs of one length: the frame goes out as it came, its peer ID replaced.
      target.appendRelayed(buf, frameStart, payloadEnd, sourceId);
    } else {
      const [slab, o] = target.reserve(zeroCopy ? headerLength : headerLength + payloadLength);
      const p = writeMessageHeader(slab, o, kind, buf, corrAt, sourceId, payloadLength);
      // Buffer.copy costs about 65 ns a call whatever the size up to a few KiB on Node 20; a JS byte
      // loop is slower already at 64 bytes (measured), so every payload goes through copy.
      if (zeroCopy) target.writeBuffer(buf.subarray(payloadStart, payloadEnd));
      else if (payloadLength > 0) buf.copy(slab, p, payloadStart, payloadEnd);
    }
    const stats = target.stats;
    stats.messagesOut++;
    stats.bytesOut += payloadLength;
    this.core.output.markDirty(target);
    return true;
  }

  /**
   * A plain listener's framing cannot carry this message (PlainOrigin.refuses): the sender of a
   * unicast, request or reply hears why; a broadcast passes that module by, counted as its drop.
   */
  private refusedByFraming(source: HubConnection | null, target: HubConnection, kind: number, correlationId: number, problem: string | null): boolean {
    if (problem === null) return false;
    if (kind === MessageKind.BROADCAST) {
      target.stats.drops++;
      this.core.statistics.totals.drops++;
    } else if (source !== null) {
      this.core.sendError(source, ErrorCode.NOT_PERMITTED, correlationId, target.id, problem);
    }
    return true;
  }

  /** Applies the slow-consumer policy to a message that did not fit in `target`'s queue. */
  private overloaded(source: HubConnection | null, target: HubConnection, correlationId: number): void {
    target.stats.drops++;
    this.core.statistics.totals.drops++;
    if (source !== null) {
      this.core.sendError(
        source,
        ErrorCode.DESTINATION_OVERLOADED,
        correlationId,
        target.id,
        `"${target.id}" is not reading fast enough: its queue holds more than ${this.queueLimit} bytes; the message was not delivered`,
      );
    }
    // A module of another hub is its own hub's to disconnect; here only the message is refused.
    if (this.core.limits.slowConsumerPolicy === 'disconnect' && target.origin.remote === undefined) {
      this.core.statistics.totals.slowConsumerDisconnects++;
      this.core.fail(target, ErrorCode.SLOW_CONSUMER, `disconnected as a slow consumer: more than ${this.queueLimit} bytes were waiting for it`);
    }
  }

  private trackRequest(requester: HubConnection, responder: HubConnection, correlationId: number): void {
    if (responder.pendingRequests.size >= MAX_PENDING_REQUESTS) {
      const oldest = responder.pendingRequests.keys().next().value as string;
      responder.pendingRequests.delete(oldest);
    }
    responder.pendingRequests.set(requestKey(requester, correlationId), { requester, correlationId });
  }

  /** A reply was injected in the responder's name: the request is answered (PROTOCOL.md 6.3). */
  forgetRequest(responder: HubConnection, requester: HubConnection, correlationId: number): void {
    responder.pendingRequests.delete(requestKey(requester, correlationId));
  }

  /** `conn` left: everyone still waiting for its reply hears PEER_GONE. */
  failRequestsTo(conn: HubConnection): void {
    for (const { requester, correlationId } of conn.pendingRequests.values()) {
      this.core.sendError(requester, ErrorCode.PEER_GONE, correlationId, conn.id, `"${conn.id}" left before replying: ${conn.leaveReason}`);
    }
    conn.pendingRequests.clear();
  }
}

/** The key of a request record on its responder's connection (HubConnection.pendingRequests). */
export function requestKey(requester: HubConnection, correlationId: number): string {
  return `${requester.serial}:${correlationId >>> 0}`;
}
