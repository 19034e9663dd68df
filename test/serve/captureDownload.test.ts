import * as fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WireRecordingStatus } from '../../electron/bridge/contract';
import { Cleanup } from '../support/cleanup';
import { get, startServer, type ServedHub } from './servedHub';

describe('the capture download route', () => {
  let cleanup: Cleanup;
  let served: ServedHub;
  let port: number;
  let captureId: string;
  let file: string;

  beforeEach(async () => {
    cleanup = new Cleanup();
    served = await startServer(cleanup);
    port = served.server.port;
    await served.bridge.call('hub:recordStart', null);
    const stopped = await served.bridge.call('hub:recordStop', null);
    if (!stopped.ok) throw new Error(stopped.error.message);
    const status = stopped.value as WireRecordingStatus;
    captureId = status.captureId as string;
    file = status.path;
  });

  afterEach(() => cleanup.run());

  it('streams a file the session made, as an attachment of its length, with the token in the header', async () => {
    const answer = await get(port, `/captures/${captureId}`, { 'X-Relayscope-Token': served.server.token });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-disposition']).toMatch(/^attachment; filename="relayscope-\d{8}-\d{6}-\d{3}\.mcap"$/);
    expect(Number(answer.headers['content-length'])).toBe(fs.statSync(file).size);
    expect(answer.headers['cache-control']).toBe('no-store');
    // The MCAP magic after its first byte, 0x89, which the UTF-8 decoding of get() replaces.
    expect(answer.body.slice(1, 8)).toBe('MCAP0\r\n');
  });

  it('refuses without the token, with a wrong one, and for any ID it did not make', async () => {
    expect((await get(port, `/captures/${captureId}`)).status).toBe(403);
    expect((await get(port, `/captures/${captureId}`, { 'X-Relayscope-Token': 'f'.repeat(64) })).status).toBe(403);
    // The token in the query or a cookie does not count: only the header, which another page cannot set.
    expect((await get(port, `/captures/${captureId}?token=${served.server.token}`)).status).toBe(403);
    expect((await get(port, `/captures/${'0'.repeat(32)}`, { 'X-Relayscope-Token': served.server.token })).status).toBe(404);
    expect((await get(port, '/captures/../../etc/passwd', { 'X-Relayscope-Token': served.server.token })).status).toBe(404);
    // Host checks still come first.
    expect((await get(port, `/captures/${captureId}`, { Host: `evil.example:${port}`, 'X-Relayscope-Token': served.server.token })).status).toBe(403);
  });
});
