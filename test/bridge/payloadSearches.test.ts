import { describe, expect, it } from 'vitest';
import type { WireSearchProgress } from '../../electron/bridge/contract';
import { BackendError } from '../../electron/bridge/HubBackend';
import { PayloadSearches } from '../../electron/bridge/PayloadSearches';
import { PayloadStore } from '../../electron/hub/PayloadStore';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

/** 1 KiB payloads of filler, with `needle` written at `at` into the seqs listed. */
function kib(needle: string, at: number): Buffer {
  const payload = Buffer.alloc(1024, 'x');
  payload.write(needle, at);
  return payload;
}

function store(entries = 1000, bytesLimit = 1 << 20): PayloadStore<Buffer> {
  return new PayloadStore<Buffer>(bytesLimit, entries, (payload) => payload);
}

/** Expands [first, count, …] runs into seqs. */
function seqsOf(runs: number[]): number[] {
  const seqs: number[] = [];
  for (let i = 0; i < runs.length; i += 2) for (let n = 0; n < runs[i + 1]; n++) seqs.push(runs[i] + n);
  return seqs;
}

/** Collects a search's pushes; `until` resolves once one satisfies the test. */
function collector() {
  const pushes: WireSearchProgress[] = [];
  const waiters: { test: (p: WireSearchProgress) => boolean; resolve: () => void }[] = [];
  return {
    pushes,
    push(progress: WireSearchProgress) {
      pushes.push(progress);
      for (const waiter of [...waiters]) if (waiter.test(progress)) waiter.resolve();
    },
    until(test: (p: WireSearchProgress) => boolean): Promise<void> {
      if (pushes.some(test)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
    matches: (searchId: number) => pushes.filter((p) => p.searchId === searchId).flatMap((p) => seqsOf(p.matches)),
    unsearched: (searchId: number) => pushes.filter((p) => p.searchId === searchId).flatMap((p) => seqsOf(p.unsearched)),
  };
}

describe('PayloadStore', () => {
  it('evicts the oldest by bytes and by entries, and finds payloads by seq across compactions', () => {
    const payloads = store(5000, 6000 * 4);
    for (let seq = 1; seq <= 10_000; seq++) payloads.add(seq * 2, bytes(String(seq % 10).repeat(4)));
    expect(payloads.size).toBe(5000);
    expect(payloads.oldestSeq).toBe(10_002);
    expect(payloads.get(10_000)).toBeUndefined();
    expect(payloads.get(20_000)?.toString()).toBe('0000');
    expect(payloads.get(20_001)).toBeUndefined();
    expect(payloads.countAfter(19_990)).toBe(5);
    const small = store(100, 10);
    small.add(1, bytes('12345'));
    small.add(2, bytes('123456'));
    expect([small.get(1), small.get(2)?.toString()]).toEqual([undefined, '123456']);
    small.add(3, bytes('x'.repeat(11)));
    expect(small.get(3)).toBeUndefined();
    expect(() => small.add(2, bytes('a'))).toThrow(RangeError);
  });
});

describe('PayloadSearches', () => {
  it('finds text anywhere in whole payloads (bytes 60 and 300 of 1 KiB), ignoring case unless asked', async () => {
    const payloads = store();
    for (let seq = 1; seq <= 500; seq++) payloads.add(seq, seq === 100 ? kib('NeedleHere', 60) : seq === 400 ? kib('needlehere', 300) : kib('', 0));
    const sink = collector();
    const searches = new PayloadSearches(payloads, (p) => sink.push(p));
    expect(searches.start({ searchId: 1, expression: '"needlehere"', caseSensitive: false })).toEqual({ searchId: 1, total: 500 });
    searches.start({ searchId: 2, expression: '"NeedleHere"', caseSensitive: true });
    await sink.until((p) => p.searchId === 1 && p.caughtUp);
    await sink.until((p) => p.searchId === 2 && p.caughtUp);
    expect(sink.matches(1)).toEqual([100, 400]);
    expect(sink.matches(2)).toEqual([100]);
    const last = sink.pushes.filter((p) => p.searchId === 1).at(-1) as WireSearchProgress;
    expect(last).toMatchObject({ scanned: 500, total: 500, matched: 2, coveredSeq: 500 });
    expect(sink.unsearched(1)).toEqual([]);
    searches.cancelAll();
  });

  it('searches payloads stored after it caught up, until cancelled', async () => {
    const payloads = store();
    payloads.add(1, bytes('{"temp": 12}'));
    const sink = collector();
    const searches = new PayloadSearches(payloads, (p) => sink.push(p), { livePollMs: 5 });
    searches.start({ searchId: 7, expression: '.temp > 30', caseSensitive: false });
    await sink.until((p) => p.caughtUp);
    payloads.add(2, bytes('{"temp": 31}'));
    payloads.add(3, bytes('{"temp": 29}'));
    await sink.until((p) => p.coveredSeq === 3);
    expect(sink.matches(7)).toEqual([2]);
    searches.cancel(7);
    expect(searches.running).toBe(0);
    const pushed = sink.pushes.length;
    payloads.add(4, bytes('{"temp": 99}'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(sink.pushes.length).toBe(pushed);
  });

  it('reports seqs it could not search in full: evicted before it got there, or never stored', async () => {
    const payloads = store(10);
    for (let seq = 1; seq <= 30; seq++) if (seq !== 25) payloads.add(seq, bytes(`row ${seq}`));
    const sink = collector();
    const searches = new PayloadSearches(payloads, (p) => sink.push(p));
    searches.start({ searchId: 3, expression: '/row 2\\d/', caseSensitive: false });
    await sink.until((p) => p.caughtUp);
    expect(sink.unsearched(3)).toEqual([...Array.from({ length: 19 }, (_, i) => i + 1), 25]);
    expect(sink.matches(3)).toEqual([20, 21, 22, 23, 24, 26, 27, 28, 29]);
    searches.cancelAll();
  });

  it('yields between slices: a large search reports progress before it is done', async () => {
    const payloads = store(200_000, 256 << 20);
    const filler = kib('', 0);
    for (let seq = 1; seq <= 200_000; seq++) payloads.add(seq, filler);
    const sink = collector();
    const searches = new PayloadSearches(payloads, (p) => sink.push(p), { sliceMs: 1, pushEveryMs: 0 });
    searches.start({ searchId: 9, expression: '/needle|haystack/', caseSensitive: false });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    await sink.until((p) => p.caughtUp);
    clearInterval(ticker);
    const progress = sink.pushes.filter((p) => !p.caughtUp);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress[0].scanned).toBeLessThan(200_000);
    // The event loop ran between slices: timers fired while the search was going.
    expect(ticks).toBeGreaterThan(0);
    searches.cancelAll();
  });

  it('refuses a bad expression naming the column, and terms that are not about the payload', () => {
    const searches = new PayloadSearches(store(), () => {});
    expect(() => searches.start({ searchId: 1, expression: '"ok" /a(/', caseSensitive: false })).toThrow(/invalid regular expression.*column 6/);
    expect(() => searches.start({ searchId: 1, expression: 'src:A "ok"', caseSensitive: false })).toThrow(BackendError);
    expect(searches.running).toBe(0);
  });

  it('stops the search a new one replaces, even when the new expression is refused: the old one scans no further', async () => {
    const payloads = store(20_000, 32 << 20);
    for (let seq = 1; seq <= 20_000; seq++) payloads.add(seq, kib('', 0));
    const sink = collector();
    // 1 ms slices: the first search is still scanning when it is replaced.
    const searches = new PayloadSearches(payloads, sink.push, { sliceMs: 1, pushEveryMs: 0 });
    searches.start({ searchId: 1, expression: 'x', caseSensitive: false });
    await sink.until((p) => p.searchId === 1);
    searches.start({ searchId: 2, expression: 'y', caseSensitive: false, replaces: 1 });
    expect(searches.running).toBe(1);
    const firstPushes = sink.pushes.filter((p) => p.searchId === 1).length;
    await sink.until((p) => p.searchId === 2 && p.caughtUp);
    expect(sink.pushes.filter((p) => p.searchId === 1).length).toBe(firstPushes);
    expect(sink.pushes.filter((p) => p.searchId === 1).every((p) => !p.caughtUp)).toBe(true);
    expect(() => searches.start({ searchId: 3, expression: '/a(/', caseSensitive: false, replaces: 2 })).toThrow(BackendError);
    expect(searches.running).toBe(0);
  });

  it('runs at most maxSearches at once, cancelling the oldest', () => {
    const searches = new PayloadSearches(store(), () => {}, { maxSearches: 2 });
    for (let id = 1; id <= 3; id++) searches.start({ searchId: id, expression: 'x', caseSensitive: false });
    expect(searches.running).toBe(2);
    searches.cancel(1);
    expect(searches.running).toBe(2);
    searches.cancelAll();
    expect(searches.running).toBe(0);
  });
});
