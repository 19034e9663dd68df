import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BridgeService } from '../../electron/bridge/BridgeService';
import { type ContractCarrier, contractApi, type WireEvent, type WireSearchProgress } from '../../electron/bridge/contract';
import { LocalHubBackend } from '../../electron/bridge/LocalHubBackend';
import { RelayClient } from '../../electron/client';
import { PayloadSearchRunner } from '../../renderer/src/state/PayloadSearchRunner';
import { compileFilter, type CompiledFilter, EMPTY_FILTER, type FilterSpec } from '../../renderer/src/state/rowFilter';
import { SearchMatches } from '../../renderer/src/state/SearchMatches';
import { TrafficStore } from '../../renderer/src/state/TrafficStore';
import { rowText } from '../../renderer/src/state/trafficRows';
import { perTestScratch } from '../support/scratch';
import { waitUntil } from '../support/waitUntil';
import { messageEvent } from './eventFixtures';

const scratch = perTestScratch();

function filterOf(spec: Partial<FilterSpec>): CompiledFilter {
  const result = compileFilter({ ...EMPTY_FILTER, ...spec });
  if (!result.ok) throw new Error(result.error);
  return result.filter;
}

/** 1 KiB of filler: the needle at byte 300 (i = 20) where no preview reaches, at byte 10 (i = 5), or JSON (i = 30, 31). */
function payloadOf(i: number): Buffer {
  if (i === 30) return Buffer.from(JSON.stringify({ pad: 'y'.repeat(900), temp: 31, cmd: 'open' }));
  if (i === 31) return Buffer.from(JSON.stringify({ pad: 'y'.repeat(900), temp: 29, cmd: 'open' }));
  const payload = Buffer.alloc(1024, `filler ${i} `);
  if (i === 5) payload.write('Needle', 10);
  if (i === 20) payload.write('NEEDLE', 300);
  return payload;
}

/**
 * A page's view of a real hub in this process: the bridge's pushes go to a TrafficStore as the UI
 * applies them, and the search runner talks to the bridge through the contract's API.
 */
async function page(hubOptions: { payloadStoreBytes?: number } = {}) {
  const socket = path.join(scratch.dir, 'hub.sock');
  const backend = await LocalHubBackend.start([{ kind: 'path', path: socket }], hubOptions);
  scratch.cleanup.add(() => backend.close());
  const service = new BridgeService(backend);
  const store = new TrafficStore(1000);
  const listeners = new Map<string, Set<(data: unknown) => void>>();
  const pushes: WireSearchProgress[] = [];
  scratch.cleanup.add(
    service.subscribe((channel, data) => {
      if (channel === 'hub:events') store.append(data as WireEvent[]);
      if (channel === 'hub:search') pushes.push(data as WireSearchProgress);
      for (const listener of listeners.get(channel) ?? []) listener(data);
    }),
  );
  const carrier: ContractCarrier = {
    invoke: (channel, args) => service.call(channel, args) as never,
    on: (channel, callback) => {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(callback as (data: unknown) => void);
      return () => set.delete(callback as (data: unknown) => void);
    },
  };
  const runner = new PayloadSearchRunner(contractApi(carrier), store);
  scratch.cleanup.add(() => runner.dispose());
  return { socket, store, runner, pushes };
}

async function sendAll(socket: string, count: number): Promise<void> {
  const sink = await RelayClient.connect({ id: 'sink', socket, reconnect: false });
  scratch.cleanup.add(() => sink.close());
  const sender = await RelayClient.connect({ id: 'sensor', socket, reconnect: false });
  scratch.cleanup.add(() => sender.close());
  let received = 0;
  sink.on('message', () => received++);
  for (let i = 0; i < count; i++) sender.send('sink', payloadOf(i));
  await waitUntil(() => received === count, `the ${count} messages delivered`);
}

function shownTexts(store: TrafficStore): string[] {
  return Array.from({ length: store.visibleCount }, (_, i) => rowText(store.row(store.visibleRowNumberAt(i))!));
}

/** Applies the filter and waits until the search has reached every stored row. */
async function searchFor(p: Awaited<ReturnType<typeof page>>, spec: Partial<FilterSpec>): Promise<string[]> {
  p.runner.apply(filterOf({ kinds: ['unicast'], ...spec }));
  await waitUntil(() => p.store.search?.caughtUp === true && p.store.searchPending === 0, `the search for ${JSON.stringify(spec)} caught up`);
  return shownTexts(p.store);
}

describe('the filter bar searches whole payloads through the backend', () => {
  it('finds text past the preview, with case on or off, and JSON fields, in a real hub', async () => {
    const p = await page();
    await sendAll(p.socket, 40);
    await waitUntil(() => p.store.rowCount >= 40, 'the 40 rows stored');
    // The preview holds 64 bytes: the needle at byte 300 is found only in the whole payload.
    const found = await searchFor(p, { text: 'needle' });
    expect(found.map((text) => text.slice(0, 9))).toEqual(['filler 5 ', 'filler 20']);
    expect(p.store.previewTestedRows).toBe(0);
    expect((await searchFor(p, { text: 'NEEDLE', caseSensitive: true })).map((text) => text.slice(0, 9))).toEqual(['filler 20']);
    expect((await searchFor(p, { text: 'n[e]+dle', regex: true, caseSensitive: true })).length).toBe(0);
    expect((await searchFor(p, { text: 'n[e]+dle', regex: true })).length).toBe(2);
    expect((await searchFor(p, { fields: '.temp > 30 .cmd == "open"' })).length).toBe(1);
    expect((await searchFor(p, { fields: '.cmd == "open"', module: 'sink', moduleSide: 'destination' })).length).toBe(2);
    expect((await searchFor(p, { fields: '.cmd == "open"', module: 'sink', moduleSide: 'source' })).length).toBe(0);
  });

  it('keeps searching payloads stored after it caught up', async () => {
    const p = await page();
    await sendAll(p.socket, 10);
    await waitUntil(() => p.store.rowCount >= 10, 'the 10 rows stored');
    expect(await searchFor(p, { text: 'needle' })).toHaveLength(1);
    const late = await RelayClient.connect({ id: 'late', socket: p.socket, reconnect: false });
    scratch.cleanup.add(() => late.close());
    const late300 = Buffer.alloc(1024, 'z');
    late300.write('needle', 300);
    late.send('sink', late300);
    await waitUntil(() => p.store.matchCount === 2, 'the late needle at byte 300 found');
  });

  it('says which rows were searched on their preview only once the backend no longer holds their payload', async () => {
    // 8 KiB of payloads: of 40 of 1 KiB, only the newest 8 are held.
    const p = await page({ payloadStoreBytes: 8 * 1024 });
    await sendAll(p.socket, 40);
    await waitUntil(() => p.store.rowCount >= 40, 'the 40 rows stored');
    const found = await searchFor(p, { text: 'needle' });
    // Message 5's needle is in its preview (byte 10), 20's (byte 300) is not: 20 cannot be found, and the bar says why.
    expect(found.map((text) => text.slice(0, 9))).toEqual(['filler 5 ']);
    expect(p.store.previewTestedRows).toBe(32);
    expect(p.pushes.some((push) => push.unsearched.length > 0)).toBe(true);
  });

  it('cancels the running search when a new filter is applied, and ignores its late pushes', async () => {
    const p = await page();
    await sendAll(p.socket, 40);
    await waitUntil(() => p.store.rowCount >= 40, 'the 40 rows stored');
    p.runner.apply(filterOf({ text: 'needle' }));
    const first = p.store.search!.searchId;
    await searchFor(p, { text: 'filler 3' });
    const second = p.store.search!.searchId;
    expect(second).not.toBe(first);
    const pushesBefore = p.pushes.filter((push) => push.searchId === first).length;
    // A live search pushes as new payloads are searched: the first one is cancelled, so it pushes no more.
    const late = await RelayClient.connect({ id: 'late', socket: p.socket, reconnect: false });
    scratch.cleanup.add(() => late.close());
    late.send('sink', Buffer.from('needle filler 3'));
    await waitUntil(() => p.pushes.some((push) => push.searchId === second && push.coveredSeq > 40), 'the second search reached the late payload');
    expect(p.pushes.filter((push) => push.searchId === first).length).toBe(pushesBefore);
    p.store.applySearchProgress({ searchId: first, scanned: 1, total: 1, matched: 1, matches: [1, 1000], unsearched: [], coveredSeq: 10_000, caughtUp: true });
    expect(shownTexts(p.store).every((text) => text.includes('filler 3'))).toBe(true);
  });
});

describe('the search runner', () => {
  it('makes one call per filter change: a new search replaces the running one, a filter without payload terms cancels it', async () => {
    const calls: { channel: string; args: unknown }[] = [];
    const carrier: ContractCarrier = {
      invoke: async (channel, args) => {
        calls.push({ channel, args });
        return { ok: true, value: channel === 'hub:search' ? { searchId: (args as { searchId: number }).searchId, total: 0 } : null } as never;
      },
      on: () => () => {},
    };
    const runner = new PayloadSearchRunner(contractApi(carrier), new TrafficStore(100));
    runner.apply(filterOf({ text: 'zq' }));
    runner.apply(filterOf({ text: 'zqx' }));
    runner.apply(filterOf({ text: '' }));
    const [first, second, third] = calls;
    expect(calls.map((call) => call.channel)).toEqual(['hub:search', 'hub:search', 'hub:searchCancel']);
    const firstId = (first.args as { searchId: number }).searchId;
    expect(first.args).not.toHaveProperty('replaces');
    expect(second.args).toMatchObject({ expression: '"zqx"', replaces: firstId });
    expect(third.args).toEqual({ searchId: (second.args as { searchId: number }).searchId });
  });
});

describe('rows wait for the search to reach them', () => {
  it('shows no message row before the search reports it, then decides each in order', () => {
    const store = new TrafficStore(100);
    const events = [messageEvent({ source: 'A', payload: 'one' }), messageEvent({ source: 'A', payload: 'two' }), messageEvent({ source: 'A', payload: 'three' })];
    store.append(events);
    const seqs = events.map((event) => (event as { seq: number }).seq);
    const search = new SearchMatches(7, '"t"', false);
    store.setFilter(filterOf({ text: 't' }), search);
    expect(store.matchCount).toBe(0);
    expect(store.searchPending).toBe(3);
    // The backend searched the first two: only the second matched (here by decree, not by its text).
    store.applySearchProgress({ searchId: 7, scanned: 2, total: 3, matched: 1, matches: [seqs[1], 1], unsearched: [], coveredSeq: seqs[1], caughtUp: false });
    expect(shownTexts(store)).toEqual(['two']);
    expect(store.searchPending).toBe(1);
    // The third was not held: its preview decides, and it is counted as such.
    store.applySearchProgress({ searchId: 7, scanned: 2, total: 2, matched: 1, matches: [], unsearched: [seqs[2], 1], coveredSeq: seqs[2], caughtUp: true });
    expect(shownTexts(store)).toEqual(['two', 'three']);
    expect(store.previewTestedRows).toBe(1);
    expect(store.searchPending).toBe(0);
  });

  it('judges every row on its preview when the search failed', () => {
    const store = new TrafficStore(100);
    store.append([messageEvent({ source: 'A', payload: 'alpha' }), messageEvent({ source: 'A', payload: 'beta' })]);
    store.setFilter(filterOf({ text: 'alp' }), new SearchMatches(3, '"alp"', false));
    expect(store.matchCount).toBe(0);
    store.failSearch(3, 'BACKEND_DISCONNECTED: gone');
    expect(shownTexts(store)).toEqual(['alpha']);
    expect(store.search?.error).toBe('BACKEND_DISCONNECTED: gone');
  });
});
