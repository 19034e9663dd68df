import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { RelayClient } from '../../electron/client';
import type { RelayHubOptions } from '../../electron/hub';
import { Cleanup } from '../support/cleanup';
import { type HubUnderTest, startHub } from '../support/hubFixture';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';
import { type NatsServer, startNatsServer } from './natsServer';

/** For a describe block: one nats-server for all its tests (in a temp dir named from `tempPrefix`), and a fresh Cleanup for each test. */
export function withNatsServer(tempPrefix: string): { readonly nats: NatsServer; readonly cleanup: Cleanup } {
  const suite = { nats: null as unknown as NatsServer, cleanup: new Cleanup() };
  let dir = '';
  beforeAll(async () => {
    dir = makeTempDir(tempPrefix);
    suite.nats = await startNatsServer({ dir });
  });
  afterAll(async () => {
    await suite.nats?.stop();
    if (dir !== '') removeTempDir(dir);
  });
  beforeEach(() => {
    suite.cleanup = new Cleanup();
  });
  afterEach(async () => {
    await suite.cleanup.run();
  });
  return suite;
}

/** Hubs in this process on one bus: short presence times so a silent hub is noticed within the test's patience. */
export async function startBusHub(cleanup: Cleanup, url: string, hubName: string, options: RelayHubOptions = {}): Promise<HubUnderTest> {
  return startHub(cleanup, { ...options, federation: { url, bus: 'test', hubName, heartbeatMs: 200, presenceTimeoutMs: 1500, confirmTimeoutMs: 2000, maxRetryMs: 1000, ...options.federation } });
}

export async function client(cleanup: Cleanup, hub: HubUnderTest, id: string): Promise<RelayClient> {
  const socket = (hub.address as { path: string }).path;
  const module = await RelayClient.connect({ id, socket, reconnect: false });
  cleanup.add(() => module.close());
  return module;
}

/** Waits until every hub lists every one of `ids`. */
export async function allSee(hubs: HubUnderTest[], ids: string[], timeoutMs = 10_000): Promise<void> {
  for (const hub of hubs) {
    await waitUntil(() => ids.every((id) => hub.hub.modules.has(id)), `hub ${hub.hub.bus?.hubName} to list ${ids.join(', ')} (has ${hub.hub.moduleIds().join(', ')})`, timeoutMs);
  }
}

export async function federated(hubs: HubUnderTest[], timeoutMs = 10_000): Promise<void> {
  for (const hub of hubs) await waitUntil(() => hub.hub.snapshot().federation?.connected, `hub ${hub.hub.bus?.hubName} to be federated`, timeoutMs);
}
