import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClosedError, ConnectError, RelayClient, RelayError, TimeoutError } from '../../electron/client';
import { ErrorCode } from '../../electron/protocol/protocol';
import { Cleanup } from '../support/cleanup';
import { HOSTILE_FULL, HostileHub } from './hostileHub';

// Issue 8, items 9 and 12: the TypeScript client against the same hostile hub as the C and Python
// clients. It queues nothing (each message is emitted as it is decoded, and its socket is only read
// as fast as the listeners take them), so what it holds is one incomplete frame at most, and it
// writes no PONG while earlier writes still wait for the hub; its request() timeout is a timer,
// which must fire however busy the socket keeps the event loop.

/** The timeout the calls are given; HOSTILE_FULL waits as long as the 8 s request. */
const TIMEOUT_MS = HOSTILE_FULL ? 8000 : 300;
/** Node's timers count whole milliseconds on a clock of their own, so one may fire up to 2 ms early as measured here. */
// Node's timers may fire a fraction of a millisecond before performance.now() says the delay passed.
const EARLIEST_MS = TIMEOUT_MS - 5;
/** Timers fire late on a loaded event loop, and the machine is shared. */
const LATE_MS = TIMEOUT_MS + 300;
/**
 * How much the test process (hostile hub and client together) may grow while the hub streams. The
 * client keeps nothing, so under a flood of messages this is what garbage collection lets pile up
 * between collections (about 50 MB seen); a stream that carries no messages leaves nothing but V8's
 * young generation, which a flood of one-byte reads can grow to its two 16 MiB halves (34 MB seen once
 * in the full run's 8 s trickle, 1.6 MB another time) — unless the client buffers its answers (PONGs
 * to a hub that reads nothing grew it by 64 MB in 300 ms).
 */
const MESSAGES_RSS_GROWTH_LIMIT = 256 * 1024 * 1024;
const NO_MESSAGES_RSS_GROWTH_LIMIT = 48 * 1024 * 1024;

let cleanup: Cleanup;
let hub: HostileHub;

beforeEach(async () => {
  cleanup = new Cleanup();
  hub = await HostileHub.start(cleanup);
});

afterEach(async () => {
  await cleanup.run();
});

async function connect(id: string, monitor = false): Promise<RelayClient> {
  const client = await RelayClient.connect({ id, socket: hub.socketPath, reconnect: false, monitor });
  cleanup.add(() => client.close());
  // First (cleanup runs in reverse): a hub that stopped reading would otherwise hold close() for its 2 s grace.
  cleanup.add(() => {
    for (const peer of hub.peersNamed(id)) peer.socket.destroy();
  });
  return client;
}

/** The error `promise` rejects with, and how long that took. */
async function rejection(promise: Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const start = performance.now();
  try {
    await promise;
  } catch (error) {
    return { error, elapsedMs: performance.now() - start };
  }
  throw new Error('expected a rejection');
}

describe('the TypeScript client against a hostile hub', () => {
  for (const [id, what, rssGrowthLimit] of [
    ['flood', 'a flood of 16 KiB messages', MESSAGES_RSS_GROWTH_LIMIT],
    ['flood-small', 'a flood of 8-byte messages', MESSAGES_RSS_GROWTH_LIMIT],
    ['trickle', 'a frame that never ends, sent one byte per write', NO_MESSAGES_RSS_GROWTH_LIMIT],
    ['ping-flood', 'a flood of PINGs from a hub that reads nothing', NO_MESSAGES_RSS_GROWTH_LIMIT],
    ['stalled', 'a hub that reads nothing', NO_MESSAGES_RSS_GROWTH_LIMIT],
  ] as const) {
    it(`rejects request() with TimeoutError at its deadline under ${what}, and keeps nothing`, async () => {
      const client = await connect(id);
      let receivedBytes = 0;
      client.on('message', (message) => (receivedBytes += message.payload.length));
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
      const { error, elapsedMs } = await rejection(client.request('nobody', 'anyone?', { timeoutMs: TIMEOUT_MS }));
      clearInterval(sampler);
      console.log(`TypeScript ${id}: request rejected after ${Math.round(elapsedMs)} ms, received ${receivedBytes} payload bytes, rss grew ${Math.round((peak - before) / 1024)} kB`);
      expect(error).toBeInstanceOf(TimeoutError);
      expect(elapsedMs).toBeGreaterThanOrEqual(EARLIEST_MS);
      expect(elapsedMs).toBeLessThan(TIMEOUT_MS + LATE_MS);
      expect(peak - before).toBeLessThan(rssGrowthLimit);
      expect(client.connected).toBe(true);
    });
  }

  it('rejects connect() with ConnectError EPROTO when WELCOME is for protocol version 2', async () => {
    const { error } = await rejection(connect('version-2'));
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ code: 'EPROTO', message: `the hub at ${hub.socketPath} speaks protocol version 2, this client only 1` });
  });

  it('reports a BYE with an empty reason as the disconnect, with SHUTDOWN', async () => {
    const client = await RelayClient.connect({ id: 'bye-empty', socket: hub.socketPath, reconnect: false });
    const [info] = (await once(client, 'disconnect', { signal: AbortSignal.timeout(5000) })) as [{ error?: Error }];
    expect(info.error).toBeInstanceOf(RelayError);
    expect(info.error).toMatchObject({ code: ErrorCode.SHUTDOWN, detail: 'the hub said goodbye' });
  });

  it('disconnects at once on a frame of length 0', async () => {
    const client = await RelayClient.connect({ id: 'zero-length', socket: hub.socketPath, reconnect: false });
    const start = performance.now();
    const [info] = (await once(client, 'disconnect', { signal: AbortSignal.timeout(5000) })) as [{ error?: Error }];
    expect(performance.now() - start).toBeLessThan(1000);
    expect(info.error?.message).toMatch(/frame length is 0/);
  });

  it('rejects list() with ClosedError naming the invalid LIST_REPLY, and disconnects', async () => {
    const client = await connect('bad-list');
    const { error } = await rejection(client.list());
    expect(error).toBeInstanceOf(ClosedError);
    expect((error as Error).message).toMatch(/invalid frame: LIST_REPLY frame is truncated/);
  });

  it('rejects stats() with an Error naming the STATS_REPLY that is not JSON', async () => {
    const client = await connect('bad-stats', true);
    const { error } = await rejection(client.stats());
    expect((error as Error).message).toMatch(/^the hub's STATS_REPLY is not valid JSON/);
  });
});
