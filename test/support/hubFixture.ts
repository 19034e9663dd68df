import * as path from 'node:path';
import { listen, RelayHub, type HubListener, type ListenOptions, type RelayHubOptions, type SocketAddress } from '../../electron/hub';
import type { Cleanup } from './cleanup';
import { RawClient, type HelloOptions, type RawClientOptions } from './rawClient';
import { makeTempDir, removeTempDir } from './tempDir';

/** A hub listening on a socket file in its own temp dir, torn down by the test's Cleanup. */
export interface HubUnderTest {
  hub: RelayHub;
  listener: HubListener;
  address: SocketAddress;
  dir: string;
  /** A connected client that has not said HELLO yet. */
  connect(options?: RawClientOptions): Promise<RawClient>;
  /** A connected client registered as `id`; fails the test if the hub refuses it. */
  register(id: string, hello?: HelloOptions, options?: RawClientOptions): Promise<RawClient>;
}

export async function startHub(cleanup: Cleanup, hubOptions: RelayHubOptions = {}, listenOptions: ListenOptions = {}): Promise<HubUnderTest> {
  const dir = makeTempDir();
  cleanup.add(() => removeTempDir(dir));
  const hub = new RelayHub(hubOptions);
  // A short grace: test clients are destroyed before this runs, so nothing is left to drain.
  cleanup.add(() => hub.close('test finished', 200));
  const address: SocketAddress = { kind: 'path', path: path.join(dir, 'hub.sock') };
  const listener = await listen(hub, address, listenOptions);
  cleanup.add(() => listener.close());

  const connect = async (options: RawClientOptions = {}): Promise<RawClient> => {
    const client = await RawClient.connect(address, options);
    cleanup.add(() => client.close());
    return client;
  };
  const register = async (id: string, hello: HelloOptions = {}, options: RawClientOptions = {}): Promise<RawClient> => {
    const client = await connect(options);
    const result = await client.hello(id, hello);
    if (result.error) throw new Error(`the hub refused "${id}": ${result.error.message}`);
    return client;
  };
  return { hub, listener, address, dir, connect, register };
}
