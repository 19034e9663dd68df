import type { WireEvent } from '@contract';

/**
 * What became of a request: answered; still waiting; its responder left before replying (the hub
 * told the requester PEER_GONE); its requester left first (a CLI `request` that timed out exits);
 * or another request with the same requester, responder and correlation ID came before any reply.
 */
export type ConversationState = 'pending' | 'answered' | 'peer-gone' | 'requester-left' | 'superseded';

/** A request and its reply, paired by (requester, responder, correlation ID). */
export interface Conversation {
  readonly requester: string;
  readonly responder: string;
  readonly correlationId: number;
  readonly requestRow: number;
  readonly requestTime: number;
  replyRow: number | null;
  replyTime: number | null;
  state: ConversationState;
  /** Why it ended unanswered (the leave reason), else null. */
  detail: string | null;
}

/** Evicted entries at the front of the row list are sliced off once there are this many, and they are most of it. */
const COMPACT_THRESHOLD = 4096;

function keyOf(requester: string, responder: string, correlationId: number): string {
  return `${requester}\u0000${responder}\u0000${correlationId >>> 0}`;
}

/**
 * The request/reply pairs among the stored rows, kept up to date as rows arrive and are evicted:
 * a request waits under its key until a reply from its responder to its requester with the same
 * correlation ID arrives, or until one of the two modules leaves. It holds entries only for stored
 * request and reply rows (an entry leaves with its row), so it is bounded by the ring.
 */
export class ConversationIndex {
  private readonly byRow = new Map<number, Conversation>();
  private readonly waiting = new Map<string, Conversation>();
  /** The waiting requests by the modules they involve, so a leave finds its own in one lookup. */
  private readonly waitingByModule = new Map<string, Set<Conversation>>();
  /** Row numbers in byRow, ascending; live entries start at head. */
  private rows: number[] = [];
  private head = 0;

  /** Entries held: one per stored request or paired reply row. */
  get size(): number {
    return this.byRow.size;
  }

  /** The conversation a request or reply row belongs to; undefined for other rows and a reply with no request seen. */
  of(rowNumber: number): Conversation | undefined {
    return this.byRow.get(rowNumber);
  }

  /** Takes the event that became row `rowNumber` (the newest row). */
  observe(rowNumber: number, event: WireEvent): void {
    if (event.type === 'message' && event.destination !== null) {
      if (event.kind === 'request') this.request(rowNumber, event.source, event.destination, event.correlationId, event.time);
      else if (event.kind === 'reply') this.reply(rowNumber, event.source, event.destination, event.correlationId, event.time);
    } else if (event.type === 'leave') {
      this.left(event.id, event.reason);
    }
  }

  private request(rowNumber: number, requester: string, responder: string, correlationId: number, time: number): void {
    const key = keyOf(requester, responder, correlationId);
    const earlier = this.waiting.get(key);
    if (earlier !== undefined) this.settle(earlier, 'superseded', 'a later request had the same requester, responder and correlation ID');
    const conversation: Conversation = {
      requester,
      responder,
      correlationId: correlationId >>> 0,
      requestRow: rowNumber,
      requestTime: time,
      replyRow: null,
      replyTime: null,
      state: 'pending',
      detail: null,
    };
    this.waiting.set(key, conversation);
    for (const id of [requester, responder]) {
      const set = this.waitingByModule.get(id);
      if (set === undefined) this.waitingByModule.set(id, new Set([conversation]));
      else set.add(conversation);
    }
    this.remember(rowNumber, conversation);
  }

  private reply(rowNumber: number, responder: string, requester: string, correlationId: number, time: number): void {
    const conversation = this.waiting.get(keyOf(requester, responder, correlationId));
    if (conversation === undefined) return;
    this.settle(conversation, 'answered', null);
    conversation.replyRow = rowNumber;
    conversation.replyTime = time;
    this.remember(rowNumber, conversation);
  }

  /** The hub fails requests to a module that leaves (PEER_GONE), and a requester that leaves hears no reply. */
  private left(id: string, reason: string): void {
    const involved = this.waitingByModule.get(id);
    if (involved === undefined) return;
    for (const conversation of [...involved]) {
      if (conversation.responder === id) this.settle(conversation, 'peer-gone', `${id} left before replying: ${reason}`);
      else this.settle(conversation, 'requester-left', `${id} left before the reply came: ${reason}`);
    }
  }

  private settle(conversation: Conversation, state: ConversationState, detail: string | null): void {
    conversation.state = state;
    conversation.detail = detail;
    this.stopWaiting(conversation);
  }

  private stopWaiting(conversation: Conversation): void {
    const key = keyOf(conversation.requester, conversation.responder, conversation.correlationId);
    if (this.waiting.get(key) === conversation) this.waiting.delete(key);
    for (const id of [conversation.requester, conversation.responder]) {
      const set = this.waitingByModule.get(id);
      if (set === undefined) continue;
      set.delete(conversation);
      if (set.size === 0) this.waitingByModule.delete(id);
    }
  }

  private remember(rowNumber: number, conversation: Conversation): void {
    this.byRow.set(rowNumber, conversation);
    this.rows.push(rowNumber);
  }

  /** Forgets the rows below `rowNumber` (the ring evicted them); a request evicted while waiting stops waiting. */
  dropBefore(rowNumber: number): void {
    while (this.head < this.rows.length && this.rows[this.head] < rowNumber) {
      const row = this.rows[this.head++];
      const conversation = this.byRow.get(row);
      this.byRow.delete(row);
      if (conversation !== undefined && conversation.requestRow === row && conversation.state === 'pending') this.stopWaiting(conversation);
    }
    if (this.head > COMPACT_THRESHOLD && this.head * 2 > this.rows.length) {
      this.rows = this.rows.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.byRow.clear();
    this.waiting.clear();
    this.waitingByModule.clear();
    this.rows = [];
    this.head = 0;
  }
}

/** A round-trip time in µs as the table shows it: "850 µs", "12.3 ms", "1.52 s". */
export function formatRoundTrip(micros: number): string {
  if (micros < 1000) return `${Math.round(micros)} µs`;
  if (micros < 1_000_000) return `${(micros / 1000).toFixed(micros < 10_000 ? 2 : 1)} ms`;
  return `${(micros / 1_000_000).toFixed(micros < 10_000_000 ? 2 : 1)} s`;
}

/** What the round-trip column says of a request or reply row. */
export function roundTripLabel(conversation: Conversation): string {
  switch (conversation.state) {
    case 'answered':
      return formatRoundTrip((conversation.replyTime ?? conversation.requestTime) - conversation.requestTime);
    case 'pending':
      return 'pending';
    case 'peer-gone':
      return 'peer gone';
    case 'requester-left':
      return 'no reply';
    case 'superseded':
      return 'no reply';
  }
}
