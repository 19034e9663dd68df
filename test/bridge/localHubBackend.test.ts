import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackendError } from '../../electron/bridge/HubBackend';
import { LocalHubBackend } from '../../electron/bridge/LocalHubBackend';
import { RelayClient } from '../../electron/client';
import { Cleanup } from '../support/cleanup';
import { makeTempDir, removeTempDir } from '../support/tempDir';

let cleanup: Cleanup;
let socket: string;
let backend: LocalHubBackend;

beforeEach(async () => {
  cleanup = new Cleanup();
  const dir = makeTempDir();
  cleanup.add(() => removeTempDir(dir));
  socket = path.join(dir, 'hub.sock');
  backend = await LocalHubBackend.start([{ kind: 'path', path: socket }], {});
  cleanup.add(() => backend.close());
});

afterEach(() => cleanup.run());

async function module(id: string): Promise<RelayClient> {
  const client = await RelayClient.connect({ id, socket, reconnect: false });
  cleanup.add(() => client.close());
  return client;
}

describe('LocalHubBackend requests', () => {
  it('fails with TIMEOUT when the module stays connected but does not reply', async () => {
    await module('silent');
    const error = await backend.request({ destination: 'silent', payload: Buffer.from('hello?'), timeoutMs: 200 }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: 'TIMEOUT' });
  });

  it('fails with PEER_GONE at once when the module leaves before replying', async () => {
    const leaver = await module('leaver');
    leaver.once('request', () => void leaver.close());
    const error = await backend.request({ destination: 'leaver', payload: Buffer.from('hello?'), timeoutMs: 30_000 }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ code: 'PEER_GONE' });
  });
});
