import { afterEach, beforeEach } from 'vitest';
import { listen, RelayHub, type HubListener, type SocketAddress } from '../../electron/hub';
import { Cleanup } from './cleanup';
import { RawClient } from './rawClient';
import { makeTempDir, removeTempDir } from './tempDir';

/** Per test: a temp dir and hubs, listeners and clients closed when the test ends. */
export interface ListenerFixture {
  readonly cleanup: Cleanup;
  readonly dir: string;
  newHub(options?: ConstructorParameters<typeof RelayHub>[0]): RelayHub;
  listenTracked(hub: RelayHub, address: SocketAddress, options?: Parameters<typeof listen>[2]): Promise<HubListener>;
  connectTracked(address: SocketAddress): Promise<RawClient>;
}

/** Registers the before/after hooks of the file that calls it and returns the current test's fixture. */
export function useListenerFixture(): ListenerFixture {
  let cleanup = new Cleanup();
  let dir = '';
  beforeEach(() => {
    cleanup = new Cleanup();
    dir = makeTempDir();
    const made = dir;
    cleanup.add(() => removeTempDir(made));
  });
  afterEach(async () => {
    await cleanup.run();
  });
  return {
    get cleanup() {
      return cleanup;
    },
    get dir() {
      return dir;
    },
    newHub(options = {}) {
      const hub = new RelayHub(options);
      cleanup.add(() => hub.close('test finished', 200));
      return hub;
    },
    async listenTracked(hub, address, options = {}) {
      const listener = await listen(hub, address, options);
      cleanup.add(() => listener.close());
      return listener;
    },
    async connectTracked(address) {
      const client = await RawClient.connect(address);
      cleanup.add(() => client.close());
      return client;
    },
  };
}
