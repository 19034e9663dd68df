import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttachedHubBackend } from '../../electron/bridge/AttachedHubBackend';
import { BackendError } from '../../electron/bridge/HubBackend';
import { RelayClient } from '../../electron/client';
import { Cleanup } from '../support/cleanup';
import { startHub } from '../support/hubFixture';

/** How long a test lets an operation run before calling it hung: far below the request's own timeout. */
const HANG_MS = 2000;

let cleanup: Cleanup;
let socket: string;

beforeEach(async () => {
  cleanup = new Cleanup();
  const { address } = await startHub(cleanup);
  socket = address.kind === 'path' ? address.path : '';
});

afterEach(() => cleanup.run());

async function module(id: string): Promise<RelayClient> {
  const client = await RelayClient.connect({ id, socket, reconnect: false });
  cleanup.add(() => client.close());
  return client;
}

async function attach(): Promise<AttachedHubBackend> {
  const backend = await AttachedHubBackend.attach({ socket });
  cleanup.add(() => backend.close());
  return backend;
}

/** The promise's rejection, or 'still pending' when it neither resolves nor rejects within HANG_MS. */
function outcome(promise: Promise<unknown>): Promise<unknown> {
  return Promise.race([
    promise.then(
      (value) => ({ resolved: value }),
      (err: unknown) => err,
    ),
    new Promise((resolve) => setTimeout(() => resolve('still pending'), HANG_MS).unref()),
  ]);
}

describe('AttachedHubBackend requests', () => {
  it('rejects a request still waiting for its reply with NOT_CONNECTED when the backend closes', async () => {
    const silent = await module('silent');
    const backend = await attach();
    const received = new Promise((resolve) => silent.once('request', resolve));
    const request = outcome(backend.request({ destination: 'silent', payload: Buffer.from('hello?'), timeoutMs: 60_000 }));
    await received;
    // The hub answers in order: once the snapshot is in, so is the OK for the INJECT, and only the reply is awaited.
    await backend.snapshot();
    await backend.close();
    const error = await request;
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: 'NOT_CONNECTED' });
  });

  it('rejects a request at once with PEER_GONE when the module it went to leaves before replying', async () => {
    const leaver = await module('leaver');
    leaver.on('request', () => void leaver.close());
    const backend = await attach();
    const error = await outcome(backend.request({ destination: 'leaver', payload: Buffer.from('work'), timeoutMs: 60_000 }));
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: 'PEER_GONE', message: expect.stringMatching(/^"leaver" left before replying/) });
  });

  it('passes a refusal on with the code name as its code and the hub’s words as its message', async () => {
    const backend = await attach();
    const error = await outcome(backend.request({ destination: 'ghost', payload: Buffer.from('anyone?'), timeoutMs: 60_000 }));
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: 'NO_SUCH_MODULE', message: expect.not.stringMatching(/^NO_SUCH_MODULE/) });
  });
});
