import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { BridgeService } from '../../electron/bridge/BridgeService';
import { SNAPSHOT_INTERVAL_MS, type WireEvent, type WireSnapshot } from '../../electron/bridge/contract';
import { LocalHubBackend } from '../../electron/bridge/LocalHubBackend';
import type { RelayHubOptions } from '../../electron/hub/RelayHub';
import { RelayClient } from '../../electron/client';
import { Cleanup } from '../support/cleanup';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';
import { describeContract, type ContractUnderTest } from './contractBehaviour';

async function startLocalBridge(cleanup: Cleanup, hubOptions: RelayHubOptions = {}): Promise<ContractUnderTest & { batches: WireEvent[][] }> {
  const dir = makeTempDir();
  cleanup.add(() => removeTempDir(dir));
  const socket = path.join(dir, 'hub.sock');
  const backend = await LocalHubBackend.start([{ kind: 'path', path: socket }], hubOptions);
  cleanup.add(() => backend.close());
  const service = new BridgeService(backend);
  const batches: WireEvent[][] = [];
  const events: WireEvent[] = [];
  const snapshots: WireSnapshot[] = [];
  const unsubscribe = service.subscribe((channel, data) => {
    if (channel === 'hub:events') {
      batches.push(data as WireEvent[]);
      events.push(...(data as WireEvent[]));
    } else {
      snapshots.push(data as WireSnapshot);
    }
  });
  cleanup.add(unsubscribe);
  return { driver: { call: (channel, args) => service.call(channel, args), events, snapshots }, socket, batches };
}

describeContract('BridgeService over a hub in this process', (cleanup) => startLocalBridge(cleanup));

describe('BridgeService event batches', () => {
  // The hub's event stream is the one place that bounds events: the bridge passes its batches, and
  // its counts of what it skipped, through as they are.
  it("pushes the hub's bounded batches with their lost counts, so every message is accounted for", async () => {
    const cleanup = new Cleanup();
    try {
      const maxPendingEvents = 100;
      const { socket, batches } = await startLocalBridge(cleanup, { maxPendingEvents });
      const receiver = await RelayClient.connect({ id: 'sink', socket, reconnect: false });
      cleanup.add(() => receiver.close());
      const sender = await RelayClient.connect({ id: 'burst', socket, reconnect: false });
      cleanup.add(() => sender.close());
      const total = maxPendingEvents * 30;
      let received = 0;
      receiver.on('message', () => received++);
      for (let i = 0; i < total; i++) sender.send('sink', 'x');
      await waitUntil(() => received === total, 'every message at the receiver', 20_000);

      const accounted = (): number => batches.flat().reduce((sum, event) => sum + (event.type === 'message' && event.source === 'burst' ? 1 : event.type === 'lost' ? event.count : 0), 0);
      await waitUntil(() => accounted() === total, `${total} messages in events or lost counts`, 5000);
      expect(Math.max(...batches.map((batch) => batch.filter((event) => event.type === 'message').length))).toBeLessThanOrEqual(maxPendingEvents);
      expect(batches.flat().some((event) => event.type === 'lost')).toBe(true);
    } finally {
      await cleanup.run();
    }
  });

  it('stops pushing once unsubscribed', async () => {
    const cleanup = new Cleanup();
    try {
      const dir = makeTempDir();
      cleanup.add(() => removeTempDir(dir));
      const socket = path.join(dir, 'hub.sock');
      const backend = await LocalHubBackend.start([{ kind: 'path', path: socket }]);
      cleanup.add(() => backend.close());
      // The periodic snapshot runs on setInterval: a fake one (only it; the sockets and the event
      // batching keep real time) lets its intervals pass without waiting for them.
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      cleanup.add(() => vi.useRealTimers());
      const service = new BridgeService(backend);
      const pushed: string[] = [];
      const unsubscribe = service.subscribe((channel) => pushed.push(channel));
      await waitUntil(() => pushed.includes('hub:snapshot'), 'the first snapshot');
      // The fake interval is what pushes the next snapshot.
      await vi.advanceTimersByTimeAsync(SNAPSHOT_INTERVAL_MS);
      await waitUntil(() => pushed.filter((channel) => channel === 'hub:snapshot').length === 2, 'the snapshot of one fake interval');
      unsubscribe();
      const countAfterUnsubscribe = pushed.length;
      // The event stream hands each batch to all its subscribers at once: when this one has the
      // join, the service would have pushed it too had it still been subscribed.
      const joined: string[] = [];
      cleanup.add(backend.onEvents((events) => joined.push(...events.flatMap((event) => (event.type === 'join' ? [event.id] : [])))));
      const module = await RelayClient.connect({ id: 'late', socket, reconnect: false });
      cleanup.add(() => module.close());
      await waitUntil(() => joined.includes('late'), 'the join event at another subscriber');
      // Three more snapshot intervals; the backend's snapshot resolves in microtasks, and one turn
      // of the event loop lets any push land.
      await vi.advanceTimersByTimeAsync(SNAPSHOT_INTERVAL_MS * 3);
      await new Promise((resolve) => setImmediate(resolve));
      expect(pushed.length).toBe(countAfterUnsubscribe);
    } finally {
      await cleanup.run();
    }
  });
});

describe('BridgeService hub:listen', () => {
  it('moves the hub to new sockets without dropping connected modules, and refuses bad addresses', async () => {
    const cleanup = new Cleanup();
    try {
      const { driver, socket } = await startLocalBridge(cleanup);
      const early = await RelayClient.connect({ id: 'early', socket, reconnect: false });
      cleanup.add(() => early.close());
      const moved = path.join(path.dirname(socket), 'moved.sock');

      const both = await driver.call('hub:listen', { addresses: [socket, moved] });
      expect(both).toEqual({ ok: true, value: { listeners: [socket, moved] } });
      const late = await RelayClient.connect({ id: 'late', socket: moved, reconnect: false });
      cleanup.add(() => late.close());

      const onlyMoved = await driver.call('hub:listen', { addresses: [moved] });
      expect(onlyMoved).toEqual({ ok: true, value: { listeners: [moved] } });
      await expect(RelayClient.connect({ id: 'refused', socket, reconnect: false, connectTimeoutMs: 1000 })).rejects.toThrow(socket);
      // Modules that came in through the closed socket stay connected.
      const received = new Promise<string>((resolve) => late.once('message', (m) => resolve(`${m.source}: ${m.text()}`)));
      early.send('late', 'still here');
      expect(await received).toBe('early: still here');

      const bad = await driver.call('hub:listen', { addresses: ['tcp://nowhere'] });
      expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_ADDRESS' } });
      const empty = await driver.call('hub:listen', { addresses: [] });
      expect(empty).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENTS' } });
      const snapshot = await driver.call('hub:snapshot', null);
      expect(snapshot.ok && (snapshot.value as WireSnapshot).listeners).toEqual([moved]);
    } finally {
      await cleanup.run();
    }
  });
});
