import type { WireEvent, WireSnapshot } from '@contract';

export const RATE_WINDOW_MS = 5 * 60_000;

/** Messages and payload bytes per second over one interval between two snapshots. */
export interface Rate {
  messages: number;
  bytes: number;
}

export interface RateSample {
  /** ms since the Unix epoch (the snapshot's `now`): the end of the interval. */
  at: number;
  /** The hub's totals. */
  hub: Rate;
  /** Per module, what it sent plus what it received (a module with no traffic in the interval is absent). */
  perModule: Map<string, Rate>;
  /** Per message kind, from the message events this window received. */
  perKind: Map<string, Rate>;
}

interface Counters {
  messages: number;
  bytes: number;
}

const NO_RATE: Rate = { messages: 0, bytes: 0 };

/**
 * The rate chart's data: one sample per snapshot over the last five minutes. Each rate is the
 * change of the hub's counters since the previous snapshot divided by the time between them, so
 * a low rate reads as the messages that really passed (one message in a second is 1/s for that
 * second) rather than as the hub's smoothed estimate jumping around.
 */
export class RateHistory {
  private samples: RateSample[] = [];
  private previous: { at: number; hub: Counters; modules: Map<string, Counters> } | null = null;
  private kindCounts = new Map<string, Counters>();

  /** Counts message events by kind until the next snapshot turns them into rates. */
  countEvents(events: readonly WireEvent[]): void {
    for (const event of events) {
      if (event.type !== 'message' && event.type !== 'error') continue;
      // An ERROR the hub answered is its own series, as the table shows it as its own kind.
      const kind = event.type === 'message' ? event.kind : 'error';
      const counts = this.kindCounts.get(kind) ?? { messages: 0, bytes: 0 };
      counts.messages++;
      if (event.type === 'message') counts.bytes += event.size;
      this.kindCounts.set(kind, counts);
    }
  }

  add(snapshot: WireSnapshot): void {
    const modules = new Map<string, Counters>();
    for (const module of snapshot.modules) {
      if (module.role !== 'module') continue;
      modules.set(module.id, { messages: module.stats.messagesIn + module.stats.messagesOut, bytes: module.stats.bytesIn + module.stats.bytesOut });
    }
    const hub = { messages: snapshot.totals.messages, bytes: snapshot.totals.bytes };
    const previous = this.previous;
    // A snapshot older than the last one means the backend's clock went back (or it restarted): start over.
    if (previous !== null && snapshot.now < previous.at) this.samples = [];
    this.previous = { at: snapshot.now, hub, modules };
    const kindCounts = this.kindCounts;
    this.kindCounts = new Map();
    if (previous === null || snapshot.now <= previous.at) return;

    const seconds = (snapshot.now - previous.at) / 1000;
    // A counter that went down belongs to a new connection (or a restarted hub): count from zero.
    const rate = (now: Counters, before: Counters | undefined): Rate => {
      const base = before === undefined || now.messages < before.messages ? { messages: 0, bytes: 0 } : before;
      return { messages: (now.messages - base.messages) / seconds, bytes: Math.max(0, now.bytes - base.bytes) / seconds };
    };
    const perModule = new Map<string, Rate>();
    for (const [id, counters] of modules) {
      const moduleRate = rate(counters, previous.modules.get(id));
      if (moduleRate.messages > 0) perModule.set(id, moduleRate);
    }
    const perKind = new Map<string, Rate>();
    for (const [kind, counts] of kindCounts) perKind.set(kind, { messages: counts.messages / seconds, bytes: counts.bytes / seconds });
    this.samples.push({ at: snapshot.now, hub: rate(hub, previous.hub), perModule, perKind });

    const oldest = snapshot.now - RATE_WINDOW_MS;
    let firstKept = 0;
    while (firstKept < this.samples.length && this.samples[firstKept].at < oldest) firstKept++;
    if (firstKept > 0) this.samples = this.samples.slice(firstKept);
  }

  get all(): readonly RateSample[] {
    return this.samples;
  }

  /** Every module with traffic in the window, busiest first (then by ID). */
  modules(): string[] {
    const sums = new Map<string, number>();
    for (const sample of this.samples) {
      for (const [id, moduleRate] of sample.perModule) sums.set(id, (sums.get(id) ?? 0) + moduleRate.messages);
    }
    return [...sums].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
  }

  /** The kinds seen in the window. */
  kinds(): string[] {
    const kinds = new Set<string>();
    for (const sample of this.samples) for (const kind of sample.perKind.keys()) kinds.add(kind);
    return [...kinds].sort();
  }

  static rateOf(map: Map<string, Rate>, key: string): Rate {
    return map.get(key) ?? NO_RATE;
  }
}
