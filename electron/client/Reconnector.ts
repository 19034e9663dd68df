import { ErrorCode } from '../protocol/protocol';
import { RelayError } from './errors';

export interface ReconnectOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
  maxAttempts?: number;
}

type ReconnectPolicy = Required<ReconnectOptions>;

/** What a client gets without saying otherwise: 100 ms doubling to 5 s, unlimited attempts. */
const DEFAULT_POLICY: ReconnectPolicy = { initialDelayMs: 100, maxDelayMs: 5000, factor: 2, maxAttempts: Infinity };
/** Refusals that retrying cannot change: reconnecting stops on them. */
const PERMANENT_REFUSALS: ReadonlySet<number> = new Set([ErrorCode.BAD_TOKEN, ErrorCode.INVALID_ID, ErrorCode.BAD_VERSION, ErrorCode.NOT_PERMITTED]);

/** What run() needs from the client. */
export interface ReconnectSteps {
  /** Whether reconnecting is still wanted: close() or an event listener may end it at any await. */
  wanted(): boolean;
  /** Announces an attempt and the pause before it (the client's 'reconnecting' event). */
  waiting(attempt: number, delayMs: number): void;
  /** Opens a connection and registers; rejects when this attempt failed. */
  attempt(attempt: number): Promise<void>;
}

/**
 * How run() ended: an attempt registered; reconnecting stopped being wanted (the client was closed);
 * the last allowed attempt failed; or the hub refused in a way retrying cannot change.
 */
export type ReconnectOutcome = { kind: 'registered' } | { kind: 'stopped' } | { kind: 'exhausted' } | { kind: 'refused'; error: RelayError };

/**
 * Brings a client back after an unexpected disconnect: attempts with exponential backoff and
 * jitter until one registers, the policy's attempts run out, the hub refuses for good, or the
 * client no longer wants it. The pause between attempts can be cut short by cancel().
 */
export class Reconnector {
  private cancelPause: (() => void) | null = null;

  private constructor(private readonly policy: ReconnectPolicy) {}

  /** The reconnector the client's `reconnect` option asks for, or null when reconnecting is off. */
  static fromOption(option: boolean | ReconnectOptions | undefined): Reconnector | null {
    if (option === false) return null;
    if (option === undefined || option === true) return new Reconnector(DEFAULT_POLICY);
    return new Reconnector({
      initialDelayMs: option.initialDelayMs ?? DEFAULT_POLICY.initialDelayMs,
      maxDelayMs: option.maxDelayMs ?? DEFAULT_POLICY.maxDelayMs,
      factor: option.factor ?? DEFAULT_POLICY.factor,
      maxAttempts: option.maxAttempts ?? DEFAULT_POLICY.maxAttempts,
    });
  }

  async run(steps: ReconnectSteps): Promise<ReconnectOutcome> {
    for (let attempt = 1; steps.wanted(); attempt++) {
      if (attempt > this.policy.maxAttempts) return { kind: 'exhausted' };
      const delayMs = this.delay(attempt);
      steps.waiting(attempt, delayMs);
      if (!steps.wanted()) break;
      await this.pause(delayMs);
      if (!steps.wanted()) break;
      try {
        await steps.attempt(attempt);
        return { kind: 'registered' };
      } catch (err) {
        if (err instanceof RelayError && PERMANENT_REFUSALS.has(err.code) && steps.wanted()) return { kind: 'refused', error: err };
      }
    }
    return { kind: 'stopped' };
  }

  /** Ends the current pause at once, so a closed client does not wait out its backoff. */
  cancel(): void {
    this.cancelPause?.();
  }

  /** Exponential backoff with jitter between half and all of the step, so many clients do not retry in lockstep. */
  private delay(attempt: number): number {
    const step = Math.min(this.policy.maxDelayMs, this.policy.initialDelayMs * this.policy.factor ** (attempt - 1));
    return Math.round(step * (0.5 + Math.random() * 0.5));
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.cancelPause = null;
        resolve();
      }, ms);
      this.cancelPause = () => {
        clearTimeout(timer);
        this.cancelPause = null;
        resolve();
      };
    });
  }
}
