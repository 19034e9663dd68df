import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectError, RelayClient, TimeoutError } from '../../electron/client';
import { allowedHubUid } from '../../electron/client/hubOwner';
import { Cleanup } from '../support/cleanup';
import { makeTempDir, removeTempDir } from '../support/tempDir';

// Without the native helper there is no SO_PEERCRED: the client falls back to the socket file's owner.
// test/crossUser.test.ts checks SO_PEERCRED against a hub another user really runs.
vi.mock('../../electron/sockets/abstractSocket', () => ({ abstractSocketHelper: () => null }));

const isRoot = process.getuid?.() === 0;
const OTHER_UID = 54321;

let cleanup: Cleanup;
let dir: string;
beforeEach(() => {
  cleanup = new Cleanup();
  dir = makeTempDir();
  cleanup.add(() => removeTempDir(dir));
});
afterEach(async () => {
  await cleanup.run();
});

/** A socket that records what it receives and never answers, its file given to OTHER_UID. */
async function squatterSocket(): Promise<{ socketPath: string; received: () => number }> {
  const socketPath = path.join(dir, 'squatted.sock');
  let received = 0;
  const server = net.createServer((socket) => socket.on('data', (chunk) => (received += chunk.length)));
  cleanup.add(() => new Promise((resolve) => server.close(resolve)));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  fs.chownSync(socketPath, OTHER_UID, OTHER_UID);
  return { socketPath, received: () => received };
}

describe.runIf(isRoot)('without SO_PEERCRED, a client on a socket path', () => {
  it("refuses a socket file of another user's before sending anything, naming the uid", async () => {
    const squatter = await squatterSocket();
    const connecting = RelayClient.connect({ id: 'victim', socket: squatter.socketPath, token: 'secret', reconnect: false });
    await expect(connecting).rejects.toBeInstanceOf(ConnectError);
    await expect(connecting).rejects.toMatchObject({ code: 'EPERM', message: expect.stringContaining(`the socket file belongs to uid ${OTHER_UID}, not you (uid 0) or root`) });
    expect(squatter.received()).toBe(0);
  });

  it('sends HELLO to that uid when allowHubUid names it', async () => {
    const squatter = await squatterSocket();
    await expect(RelayClient.connect({ id: 'trusting', socket: squatter.socketPath, allowHubUid: OTHER_UID, reconnect: false, connectTimeoutMs: 300 })).rejects.toBeInstanceOf(TimeoutError);
    expect(squatter.received()).toBeGreaterThan(0);
  });
});

describe('$RELAYSCOPE_ALLOW_HUB_UID', () => {
  it('is read as a numeric uid, and anything else is refused', () => {
    expect(allowedHubUid({})).toBeUndefined();
    expect(allowedHubUid({ RELAYSCOPE_ALLOW_HUB_UID: '1001' })).toBe(1001);
    expect(() => allowedHubUid({ RELAYSCOPE_ALLOW_HUB_UID: 'alice' })).toThrow('RELAYSCOPE_ALLOW_HUB_UID must be a numeric uid, not "alice"');
  });
});
