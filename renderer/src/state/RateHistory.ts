import type { WireSnapshot } from '@contract';

export const RATE_WINDOW_MS = 5 * 60_000;

export interface RateSample {
  /** ms since the Unix epoch (the snapshot's `now`) */
  at: number;
  /** The hub's messages/s */
  total: number;
  /** messages/s in plus out, per module with a non-zero rate */
  perModule: Map<string, number>;
}

/** The messages/s chart's data: one sample per snapshot over the last five minutes. */
export class RateHistory {
  private samples: RateSample[] = [];

  add(snapshot: WireSnapshot): void {
    const perModule = new Map<string, number>();
    for (const module of snapshot.modules) {
      const rate = module.stats.messagesInPerSecond + module.stats.messagesOutPerSecond;
      if (rate > 0) perModule.set(module.id, rate);
    }
    // A snapshot older than the last one means the backend's clock went back (or it restarted): start over.
    const last = this.samples[this.samples.length - 1];
    if (last !== undefined && snapshot.now < last.at) this.samples = [];
    this.samples.push({ at: snapshot.now, total: snapshot.totals.messagesPerSecond, perModule });
    const oldest = snapshot.now - RATE_WINDOW_MS;
    let firstKept = 0;
    while (firstKept < this.samples.length && this.samples[firstKept].at < oldest) firstKept++;
    if (firstKept > 0) this.samples = this.samples.slice(firstKept);
  }

  get all(): readonly RateSample[] {
    return this.samples;
  }

  /** The `count` busiest modules over the window, busiest first. */
  topModules(count: number): string[] {
    const sums = new Map<string, number>();
    for (const sample of this.samples) {
      for (const [id, rate] of sample.perModule) sums.set(id, (sums.get(id) ?? 0) + rate);
    }
    return [...sums]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, count)
      .map(([id]) => id);
  }

  get peak(): number {
    let peak = 0;
    for (const sample of this.samples) {
      peak = Math.max(peak, sample.total);
      for (const rate of sample.perModule.values()) peak = Math.max(peak, rate);
    }
    return peak;
  }
}
