import * as net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchTokenCheck } from '../../renderer/src/transport/WebSocketTransport';
import { Cleanup } from '../support/cleanup';
import { startServer, type ServedHub } from '../serve/servedHub';

describe("the page's token check, against serve's BrowserModeServer", () => {
  let cleanup: Cleanup;
  let served: ServedHub;

  beforeEach(async () => {
    cleanup = new Cleanup();
    served = await startServer(cleanup);
  });
  afterEach(() => cleanup.run());

  it('is accepted for the token serve has and refused for another', async () => {
    const check = fetchTokenCheck(`http://127.0.0.1:${served.server.port}`);
    expect(await check(served.server.token)).toBe('accepted');
    expect(await check('cd'.repeat(32))).toBe('refused');
  });

  it('is unreachable when a port takes the connection and never answers (after 3 s, not never), and when nothing listens', async () => {
    const accepted: net.Socket[] = [];
    const silent = net.createServer((connection) => accepted.push(connection));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    expect(await fetchTokenCheck(origin)(served.server.token)).toBe('unreachable');
    expect(accepted).toHaveLength(1);
    for (const connection of accepted) connection.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    expect(await fetchTokenCheck(origin)(served.server.token)).toBe('unreachable');
  });
});
