import type { WireEvent } from '@contract';

/** Runs `callback` once soon (the next animation frame); returns a function that cancels it. */
export type FrameScheduler = (callback: () => void) => () => void;

/**
 * Collects pushed event batches and hands them over together once per frame, so the UI applies
 * everything that arrived in a frame in one state update however many pushes came in.
 *
 * It does not bound or count events: the hub's event stream already bounds each batch and counts
 * what it skipped in 'lost' events, which pass through to the traffic store, and the queue here
 * holds only what arrives before the next flush (a frame, or HIDDEN_WINDOW_FLUSH_MS at most).
 */
export class EventBatcher {
  private queued: WireEvent[] = [];
  private cancelScheduled: (() => void) | null = null;

  constructor(
    private readonly apply: (events: WireEvent[]) => void,
    private readonly scheduleFrame: FrameScheduler,
  ) {}

  push(batch: readonly WireEvent[]): void {
    if (batch.length === 0) return;
    for (const event of batch) this.queued.push(event);
    if (this.cancelScheduled === null) this.cancelScheduled = this.scheduleFrame(() => this.flush());
  }

  /** Applies what is queued now (also called by the scheduled frame). */
  flush(): void {
    if (this.cancelScheduled !== null) {
      this.cancelScheduled();
      this.cancelScheduled = null;
    }
    if (this.queued.length === 0) return;
    const events = this.queued;
    this.queued = [];
    this.apply(events);
  }

  /** Drops what is queued (an offline view that loads another window of its file). */
  discard(): void {
    if (this.cancelScheduled !== null) {
      this.cancelScheduled();
      this.cancelScheduled = null;
    }
    this.queued = [];
  }

  get queuedCount(): number {
    return this.queued.length;
  }
}

// Hidden or minimized windows get no animation frames; this timer makes sure queued events are still
// stored (and memory stays bounded) while nobody is looking.
const HIDDEN_WINDOW_FLUSH_MS = 250;

/** requestAnimationFrame, with a timer in case frames are not coming. */
export const animationFrameScheduler: FrameScheduler = (callback) => {
  let done = false;
  const run = (): void => {
    if (done) return;
    done = true;
    cancelAnimationFrame(frame);
    clearTimeout(timer);
    callback();
  };
  const frame = requestAnimationFrame(run);
  const timer = setTimeout(run, HIDDEN_WINDOW_FLUSH_MS);
  return () => {
    done = true;
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
};
