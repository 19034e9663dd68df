import type { HubConnection } from './HubConnection';
import type { HubTotals, ModuleInfo } from './hubEvents';
import { peerIdentity } from './peerIdentity';

interface RateSample {
  in: number;
  out: number;
  inRate: number;
  outRate: number;
}

/** The hub's counters and the message rates sampled from them (STATS, the UI's snapshot). */
export class HubStatistics {
  readonly totals: HubTotals = {
    messages: 0,
    bytes: 0,
    errors: 0,
    drops: 0,
    slowConsumerDisconnects: 0,
    budgetDisconnects: 0,
    memoryBytes: 0,
    connectionsAccepted: 0,
    connectionsRejected: 0,
    connectionsNotPermitted: 0,
    messagesPerSecond: 0,
    bytesPerSecond: 0,
  };
  private readonly rates = new WeakMap<HubConnection, RateSample>();
  private lastSample = { at: performance.now(), messages: 0, bytes: 0 };

  /** Counts one message relayed (or injected) with a payload of `bytes`. */
  relayed(bytes: number): void {
    this.totals.messages++;
    this.totals.bytes += bytes;
  }

  /** Starts sampling the rates of a connection that registered. */
  track(conn: HubConnection): void {
    this.rates.set(conn, { in: 0, out: 0, inRate: 0, outRate: 0 });
  }

  /** Recomputes rates at most every half second, from the counters' change since the last sample. */
  sample(now: number, connections: Iterable<HubConnection>): void {
    const seconds = (now - this.lastSample.at) / 1000;
    if (seconds < 0.5) return;
    this.totals.messagesPerSecond = (this.totals.messages - this.lastSample.messages) / seconds;
    this.totals.bytesPerSecond = (this.totals.bytes - this.lastSample.bytes) / seconds;
    this.lastSample = { at: now, messages: this.totals.messages, bytes: this.totals.bytes };
    for (const conn of connections) {
      const rate = this.rates.get(conn);
      if (rate === undefined) continue;
      rate.inRate = (conn.stats.messagesIn - rate.in) / seconds;
      rate.outRate = (conn.stats.messagesOut - rate.out) / seconds;
      rate.in = conn.stats.messagesIn;
      rate.out = conn.stats.messagesOut;
    }
  }

  /** One connection as STATS and the UI show it. */
  info(conn: HubConnection): ModuleInfo {
    const rate = this.rates.get(conn);
    return {
      id: conn.id,
      role: conn.role === 'monitor' ? 'monitor' : 'module',
      transport: conn.origin.transport,
      listener: conn.origin.listener,
      peer: conn.origin.peer,
      ...peerIdentity(conn.origin),
      connectedAt: conn.connectedAt,
      stats: { ...conn.stats, queuedBytes: conn.queuedBytes, messagesInPerSecond: rate?.inRate ?? 0, messagesOutPerSecond: rate?.outRate ?? 0 },
    };
  }
}
