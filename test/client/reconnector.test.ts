import { afterEach, describe, expect, it, vi } from 'vitest';
import { RelayError } from '../../electron/client/errors';
import { Reconnector, type ReconnectSteps } from '../../electron/client/Reconnector';
import { ErrorCode } from '../../electron/protocol/protocol';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Steps that fail each attempt with `failure(attempt)` until `succeedAt`, recording the announced pauses. */
function steps(options: { succeedAt?: number; failure?: (attempt: number) => Error; wanted?: () => boolean } = {}): ReconnectSteps & { pauses: number[]; attempts: number[] } {
  const pauses: number[] = [];
  const attempts: number[] = [];
  return {
    pauses,
    attempts,
    wanted: options.wanted ?? (() => true),
    waiting: (_attempt, delayMs) => pauses.push(delayMs),
    attempt: async (attempt) => {
      attempts.push(attempt);
      if (attempt !== options.succeedAt) throw (options.failure ?? (() => new Error('ECONNREFUSED')))(attempt);
    },
  };
}

describe('Reconnector', () => {
  it('is off for reconnect: false and uses the defaults for true or nothing', () => {
    expect(Reconnector.fromOption(false)).toBeNull();
    expect(Reconnector.fromOption(true)).toBeInstanceOf(Reconnector);
    expect(Reconnector.fromOption(undefined)).toBeInstanceOf(Reconnector);
  });

  it('backs off exponentially up to maxDelayMs, each pause jittered between half and all of its step', async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const reconnector = Reconnector.fromOption({ initialDelayMs: 100, maxDelayMs: 500, factor: 2 }) as Reconnector;
    const recorded = steps({ succeedAt: 5 });
    const outcome = reconnector.run(recorded);
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ kind: 'registered' });
    expect(recorded.pauses).toEqual([50, 100, 200, 250, 250]);
    expect(recorded.attempts).toEqual([1, 2, 3, 4, 5]);
  });

  it('stops after maxAttempts failed attempts', async () => {
    vi.useFakeTimers();
    const reconnector = Reconnector.fromOption({ initialDelayMs: 10, maxAttempts: 3 }) as Reconnector;
    const recorded = steps();
    const outcome = reconnector.run(recorded);
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ kind: 'exhausted' });
    expect(recorded.attempts).toEqual([1, 2, 3]);
  });

  it('stops at a refusal retrying cannot change, but retries one that can', async () => {
    vi.useFakeTimers();
    const reconnector = Reconnector.fromOption({ initialDelayMs: 10 }) as Reconnector;
    const badToken = new RelayError(ErrorCode.BAD_TOKEN, 'wrong token');
    const recorded = steps({ failure: (attempt) => (attempt === 1 ? new RelayError(ErrorCode.ID_IN_USE, 'taken') : badToken) });
    const outcome = reconnector.run(recorded);
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ kind: 'refused', error: badToken });
    expect(recorded.attempts).toEqual([1, 2]);
  });

  // A monitor refused at HELLO on a listener other users can reach stays refused until the hub gets a token.
  it('stops at NOT_PERMITTED', async () => {
    vi.useFakeTimers();
    const reconnector = Reconnector.fromOption({ initialDelayMs: 10 }) as Reconnector;
    const notPermitted = new RelayError(ErrorCode.NOT_PERMITTED, 'open listener');
    const recorded = steps({ failure: () => notPermitted });
    const outcome = reconnector.run(recorded);
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ kind: 'refused', error: notPermitted });
    expect(recorded.attempts).toEqual([1]);
  });

  it('ends a pause at once on cancel() and stops when reconnecting is no longer wanted', async () => {
    let wanted = true;
    const reconnector = Reconnector.fromOption({ initialDelayMs: 60_000 }) as Reconnector;
    const recorded = steps({ wanted: () => wanted });
    const outcome = reconnector.run(recorded);
    expect(recorded.pauses).toHaveLength(1);
    wanted = false;
    reconnector.cancel();
    expect(await outcome).toEqual({ kind: 'stopped' });
    expect(recorded.attempts).toEqual([]);
  });
});
