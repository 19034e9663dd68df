import { WebSocket, type RawData } from 'ws';
import type { BridgeService } from '../bridge/BridgeService';
import type { CallResult, PushChannel, SocketServerMessage, WireEvent } from '../bridge/contract';
import { DEFAULT_MAX_PAYLOAD } from '../protocol/protocol';
import { jsonLimitError } from './boundedJson';

const MIB = 1024 * 1024;

/**
 * What pages (authenticated WebSocket clients) can make serve hold or do: their number, and each
 * one's messages, unsent data and calls. Serve runs the hub in the same process, so these bound
 * what a page can take from the relay too. docs/SECURITY.md states them.
 */
export const BRIDGE_LIMITS = {
  /**
   * Bridge connections at once: each page's bounds below add up, so their number is bounded too.
   * Further upgrades are refused with 503 until one closes.
   */
  maxPages: 8,
  /** The largest message: a hub:inject of the hub's default largest payload (16 MiB) in base64, with room for the JSON around it. Larger ones close the connection (1009). */
  maxMessageBytes: Math.ceil(DEFAULT_MAX_PAYLOAD / 3) * 4 + 64 * 1024,
  /** Nesting and values of one message's JSON, checked before it is parsed; the contract needs a few levels and a few dozen values. */
  maxJsonDepth: 32,
  maxJsonValues: 1000,
  /** Past this much unsent data to a page, event batches are skipped (and counted as lost) until it catches up. */
  eventSkipBytes: 16 * MIB,
  /** Past this much unsent data the page is dropped (1013): it asks for answers it does not read. */
  maxBacklogBytes: 64 * MIB,
  /**
   * Past this much unsent data to all pages together, the page holding the most is dropped (1013):
   * without it the per-page bound above adds up over maxPages.
   */
  maxTotalBacklogBytes: 96 * MIB,
  /** Calls a page may make: a token bucket of callBurst refilled at callsPerSecond. */
  callsPerSecond: 200,
  callBurst: 400,
  /**
   * A page over its rate or its calls in flight is not read from for this long: the calls already
   * received are answered RATE_LIMITED, later ones wait in the kernel. Answering a flood call by
   * call at the speed it arrives would still take the event loop from the hub (130 ms stalls).
   */
  overLimitPauseMs: 50,
  /**
   * Calls of one page waiting for their answer. Calls that arrive together are answered together,
   * so this bounds the answers (up to 21 MiB each: a payload in base64) built before any is sent.
   */
  maxCallsInFlight: 4,
  /** Calls of all pages together waiting for their answer: the per-page bound above adds up over maxPages too. */
  maxTotalCallsInFlight: 8,
} as const;

const RATE_LIMITED = 'RATE_LIMITED';
const OVER_RATE: CallResult<never> = {
  ok: false,
  error: { code: RATE_LIMITED, message: `more than ${BRIDGE_LIMITS.callsPerSecond} calls a second (${BRIDGE_LIMITS.callBurst} at once): try again later` },
};
const TOO_MANY_WAITING: CallResult<never> = {
  ok: false,
  error: { code: RATE_LIMITED, message: `more than ${BRIDGE_LIMITS.maxCallsInFlight} calls waiting for an answer: try again when one is answered` },
};
const TOO_MANY_WAITING_IN_ALL: CallResult<never> = {
  ok: false,
  error: { code: RATE_LIMITED, message: `more than ${BRIDGE_LIMITS.maxTotalCallsInFlight} calls of all pages waiting for an answer: try again when one is answered` },
};
const NOT_A_CALL = 'expected JSON text messages { id, channel, args }';
/**
 * A dropped page's close frame waits behind all that is unsent to it: a page that reads, slowly,
 * gets it within this; one that reads nothing is cut then, and what it held is let go.
 */
const DROP_GRACE_MS = 250;

/**
 * The pages connected at once, and what they hold together: the unsent data to all of them and
 * their calls waiting for an answer, each bounded across pages (BRIDGE_LIMITS).
 */
export class BridgePages {
  /** Each open page and how to drop it. */
  private readonly pages = new Map<WebSocket, (reason: string) => void>();
  callsInFlight = 0;

  get size(): number {
    return this.pages.size;
  }

  add(socket: WebSocket, drop: (reason: string) => void): void {
    this.pages.set(socket, drop);
  }

  delete(socket: WebSocket): void {
    this.pages.delete(socket);
  }

  /** Drops the page holding the most unsent data while all pages together hold more than the bound. */
  enforceTotalBacklog(): void {
    let total = 0;
    let largest: WebSocket | null = null;
    for (const socket of this.pages.keys()) {
      if (socket.readyState !== WebSocket.OPEN) continue;
      total += socket.bufferedAmount;
      if (largest === null || socket.bufferedAmount > largest.bufferedAmount) largest = socket;
    }
    if (total <= BRIDGE_LIMITS.maxTotalBacklogBytes || largest === null) return;
    this.pages.get(largest)?.(`the page holding most of the ${BRIDGE_LIMITS.maxTotalBacklogBytes / MIB} MiB all pages may have unsent`);
  }
}

/**
 * One page's bridge connection: the contract's calls in, their answers and the pushes out, within
 * BRIDGE_LIMITS. Excess calls are answered with RATE_LIMITED rather than dropped, so the page
 * learns of them; a message beyond the size or JSON limits closes the connection (1009, 1008).
 */
export function serveBridgeConnection(socket: WebSocket, bridge: BridgeService, pages: BridgePages, log: (line: string) => void): void {
  log('a page connected to the bridge');
  const calls = new TokenBucket(BRIDGE_LIMITS.callsPerSecond, BRIDGE_LIMITS.callBurst);
  let callsInFlight = 0;
  let skippedEvents = 0;
  let dropTimer: NodeJS.Timeout | undefined;
  let resumeTimer: NodeJS.Timeout | undefined;

  const dropFor = (reason: string): void => {
    if (socket.readyState !== WebSocket.OPEN) return;
    log(`closed a page that read too slowly (${reason})`);
    socket.close(1013, 'reading too slowly: too much unsent');
    dropTimer = setTimeout(() => socket.terminate(), DROP_GRACE_MS);
  };
  const drop = (): void => dropFor(`more than ${BRIDGE_LIMITS.maxBacklogBytes / MIB} MiB unsent to it`);
  pages.add(socket, dropFor);
  const send = (message: SocketServerMessage): void => {
    if (socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount > BRIDGE_LIMITS.maxBacklogBytes) return drop();
    socket.send(JSON.stringify(message));
    pages.enforceTotalBacklog();
  };

  const unsubscribe = bridge.subscribe((channel: PushChannel, data: unknown) => {
    if (channel === 'hub:events') {
      const batch = data as WireEvent[];
      // A page that reads slower than the bus produces drops its events here rather than growing this process.
      if (socket.bufferedAmount > BRIDGE_LIMITS.eventSkipBytes) {
        skippedEvents += batch.reduce((count, event) => count + (event.type === 'lost' ? event.count : 1), 0);
        return;
      }
      if (skippedEvents > 0) {
        send({ push: channel, data: [...batch, { type: 'lost', time: Date.now() * 1000, count: skippedEvents }] });
        skippedEvents = 0;
        return;
      }
    }
    send({ push: channel, data });
  });

  socket.on('message', (data: RawData, isBinary: boolean) => {
    // Closing (dropped or refused): what it still sends is not read. Over the backlog: its answers would only be built to be thrown away.
    if (socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount > BRIDGE_LIMITS.maxBacklogBytes) return drop();
    const message = isBinary ? NOT_A_CALL : parseClientMessage(rawBytes(data));
    if (typeof message === 'string') {
      socket.close(1008, message);
      return;
    }
    // In this order, a call refused for the calls in flight takes nothing from the rate.
    const refusal =
      callsInFlight >= BRIDGE_LIMITS.maxCallsInFlight ? TOO_MANY_WAITING : pages.callsInFlight >= BRIDGE_LIMITS.maxTotalCallsInFlight ? TOO_MANY_WAITING_IN_ALL : calls.take() ? null : OVER_RATE;
    if (refusal !== null) {
      if (!socket.isPaused) {
        socket.pause();
        resumeTimer = setTimeout(() => socket.resume(), BRIDGE_LIMITS.overLimitPauseMs);
      }
      return send({ id: message.id, result: refusal });
    }
    callsInFlight++;
    pages.callsInFlight++;
    void bridge.call(message.channel, message.args).then((result) => {
      callsInFlight--;
      pages.callsInFlight--;
      send({ id: message.id, result });
    });
  });
  socket.on('error', () => socket.terminate());
  socket.on('close', () => {
    clearTimeout(dropTimer);
    clearTimeout(resumeTimer);
    pages.delete(socket);
    unsubscribe();
    log('a page disconnected from the bridge');
  });
}

/** { id, channel, args } with a numeric id and a string channel, or why not (the close reason). The channel itself is checked by the bridge. */
function parseClientMessage(bytes: Buffer): { id: number; channel: string; args: unknown } | string {
  const beyondLimits = jsonLimitError(bytes, BRIDGE_LIMITS.maxJsonDepth, BRIDGE_LIMITS.maxJsonValues);
  if (beyondLimits !== null) return beyondLimits;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    value = null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return NOT_A_CALL;
  const { id, channel, args } = value as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || typeof channel !== 'string') return NOT_A_CALL;
  return { id, channel, args };
}

function rawBytes(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (Buffer.isBuffer(data)) return data;
  return Buffer.from(new Uint8Array(data));
}

/** `burst` calls at once, refilled at `perSecond`; computed when asked, so no timer. */
class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
