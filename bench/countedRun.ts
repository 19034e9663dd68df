/**
 * A fixed-count one-way run, the generator of the federation section: the same loop drives a raw
 * NATS publish→subscribe and module pairs through hubs, so the figures differ only by the path.
 * The sender keeps at most `window` messages in flight (sent, not yet counted at the receiver),
 * refilling once half of them arrived; the clock runs from the receiver's `warmup`-th message to
 * its last. A run that gets no message for STALL_MS fails, saying what the path knows of why.
 */

export interface OneWay {
  /** Puts one message on the path. */
  send(): void;
  /** Messages counted at the receiver so far. */
  received(): number;
  /** Called after each arrival (or batch of them); null stops it. */
  onArrival(listener: (() => void) | null): void;
  /** What went wrong on the path, if anything (e.g. ERRORs the hub sent the sender); '' when nothing. */
  trouble(): string;
  close(): Promise<void>;
}

const STALL_MS = 5000;

/** Messages per second over `count` messages after `warmup` more; every message sent must arrive. */
export function countedRate(path: OneWay, warmup: number, count: number, window: number): Promise<number> {
  const base = path.received();
  const total = warmup + count;
  let sent = 0;
  let startedAt = warmup === 0 ? performance.now() : 0;
  return new Promise((resolve, reject) => {
    let lastCount = 0;
    let lastProgress = performance.now();
    const finish = (): void => {
      clearInterval(watchdog);
      path.onArrival(null);
    };
    const watchdog = setInterval(() => {
      const got = path.received() - base;
      if (got !== lastCount) {
        lastCount = got;
        lastProgress = performance.now();
      } else if (performance.now() - lastProgress > STALL_MS) {
        finish();
        reject(new Error(`no message arrived for ${STALL_MS} ms: ${got} of ${total} received, ${sent} sent${path.trouble() === '' ? '' : `; ${path.trouble()}`}`));
      }
    }, 250);
    const pump = (): void => {
      const got = path.received() - base;
      if (startedAt === 0 && got >= warmup) startedAt = performance.now();
      if (got >= total) {
        finish();
        resolve(count / ((performance.now() - startedAt) / 1000));
        return;
      }
      if (sent - got > window / 2) return;
      while (sent < total && sent - got < window) {
        path.send();
        sent++;
      }
    };
    path.onArrival(pump);
    pump();
  });
}
