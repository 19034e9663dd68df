import type * as http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { bridgeProtocols, TOKEN_CHECK_PATH, TOKEN_HEADER } from '../../renderer/src/transport/pageToken';
import { describeContract } from '../bridge/contractBehaviour';
import { Cleanup } from '../support/cleanup';
import { get, startServer, type ServedHub } from './servedHub';
import { openBridge, openSocket, socketDriver } from './socketDriver';

describeContract('the contract over the browser mode WebSocket', async (cleanup) => {
  const { server, socket } = await startServer(cleanup);
  return { driver: await socketDriver(cleanup, server.port, server.token), socket };
});

/** The headers of a WebSocket upgrade's answer, whether it opened (101) or was refused. */
function upgradeAnswer(port: number, headers: Record<string, string>, protocols: string[]): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/bridge`, protocols, { headers });
    socket.once('upgrade', (response) => {
      socket.once('open', () => socket.close());
      resolve({ status: 101, headers: response.headers });
    });
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
    });
    socket.once('error', reject);
  });
}

describe('BrowserModeServer access', () => {
  let cleanup: Cleanup;
  let served: ServedHub;
  let port: number;
  let origin: string;
  let token: string;

  beforeEach(async () => {
    cleanup = new Cleanup();
    served = await startServer(cleanup);
    port = served.server.port;
    origin = `http://127.0.0.1:${port}`;
    token = served.server.token;
  });

  afterEach(() => cleanup.run());

  it('prints a URL on 127.0.0.1 with a 64-hex-digit token in the fragment, which the browser never sends', () => {
    expect(served.server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/#token=[0-9a-f]{64}$`));
  });

  it('serves the page and its scripts without any credential, and neither carries the token', async () => {
    const page = await get(port, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(
      `default-src 'self'; connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}; style-src 'self' 'unsafe-inline'; img-src 'self' data:`,
    );
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const script = await get(port, '/assets/app.js');
    expect({ status: script.status, type: script.headers['content-type'], body: script.body }).toEqual({ status: 200, type: 'text/javascript; charset=utf-8', body: 'console.log("relayscope");' });
    expect(page.body + script.body).not.toContain(token);
  });

  it('sets no cookie in any answer, the old ?token= address and the bridge included', async () => {
    const answers = [
      await get(port, '/'),
      await get(port, `/?token=${token}`),
      await get(port, '/assets/app.js'),
      await get(port, '/missing.js'),
      await get(port, '/', { Host: `evil.example:${port}` }),
      await upgradeAnswer(port, { Origin: origin }, bridgeProtocols(token)),
      await upgradeAnswer(port, { Origin: origin }, []),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 404, 403, 101, 403]);
    expect(answers.map((answer) => answer.headers['set-cookie'])).toEqual(answers.map(() => undefined));
  });

  it('opens the bridge to a page that offers the token as a subprotocol, and answers with relayscope.v1 alone', async () => {
    const answer = await upgradeAnswer(port, { Origin: origin }, bridgeProtocols(token));
    expect(answer).toMatchObject({ status: 101, headers: { 'sec-websocket-protocol': 'relayscope.v1' } });
    const socket = await openBridge(port, token);
    expect(socket.protocol).toBe('relayscope.v1');
    socket.close();
  });

  it('refuses the bridge without the token, with a wrong one, with the token in the query, or with the old cookie alone', async () => {
    const bridge = `ws://127.0.0.1:${port}/bridge`;
    const attempts: [string, () => Promise<WebSocket>][] = [
      ['no subprotocol', () => openSocket(bridge, { Origin: origin })],
      ['relayscope.v1 without a token', () => openSocket(bridge, { Origin: origin }, ['relayscope.v1'])],
      ['a wrong token', () => openSocket(bridge, { Origin: origin }, bridgeProtocols('0'.repeat(64)))],
      ['the token without relayscope.v1', () => openSocket(bridge, { Origin: origin }, [`token.${token}`])],
      ['the token in the query', () => openSocket(`${bridge}?token=${token}`, { Origin: origin })],
      ['the old cookie', () => openSocket(bridge, { Origin: origin, Cookie: `relayscope_token_${port}=${token}` })],
    ];
    for (const [what, attempt] of attempts) {
      await expect(attempt(), what).rejects.toThrow(/HTTP 403/);
    }
  });

  it('answers the token check 204 for its own token and 403 for any other, with nothing cached', async () => {
    const answers = [
      await get(port, TOKEN_CHECK_PATH, { [TOKEN_HEADER]: token }),
      await get(port, TOKEN_CHECK_PATH, { [TOKEN_HEADER]: 'cd'.repeat(32) }),
      await get(port, TOKEN_CHECK_PATH, { [TOKEN_HEADER]: token.slice(1) }),
      await get(port, TOKEN_CHECK_PATH),
      await get(port, TOKEN_CHECK_PATH, { [TOKEN_HEADER]: token, Host: `evil.example:${port}` }),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([204, 403, 403, 403, 403]);
    expect(answers[0].headers['cache-control']).toBe('no-store');
    expect(answers.map((answer) => answer.body).join('')).not.toContain(token);
  });

  it('refuses a Host other than 127.0.0.1 or localhost on its port, for the page and the bridge (DNS rebinding)', async () => {
    expect((await get(port, '/', { Host: `evil.example:${port}` })).status).toBe(403);
    expect((await get(port, '/', { Host: `localhost:${port}` })).status).toBe(200);
    await expect(openSocket(`ws://127.0.0.1:${port}/bridge`, { Origin: origin, Host: `evil.example:${port}` }, bridgeProtocols(token))).rejects.toThrow(/HTTP 403/);
  });

  it('refuses the bridge to another origin, or to none, even with the token', async () => {
    await expect(openSocket(`ws://127.0.0.1:${port}/bridge`, { Origin: 'http://evil.example' }, bridgeProtocols(token))).rejects.toThrow(/HTTP 403/);
    await expect(openSocket(`ws://127.0.0.1:${port}/bridge`, {}, bridgeProtocols(token))).rejects.toThrow(/HTTP 403/);
    const socket = await openSocket(`ws://127.0.0.1:${port}/bridge`, { Origin: `http://localhost:${port}` }, bridgeProtocols(token));
    socket.close();
  });

  it('serves nothing outside the renderer directory', async () => {
    for (const attempt of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e%2fsecret.txt']) {
      const response = await get(port, attempt);
      expect({ attempt, status: response.status }).toEqual({ attempt, status: 404 });
      expect(response.body).not.toContain('outside the renderer');
    }
  });

  it('closes a WebSocket that sends something other than JSON with 1008, and answers an unknown channel with an error', async () => {
    const socket = await openBridge(port, token);
    const answer = new Promise<string>((resolve) => socket.on('message', (data) => (String(data).includes('"id":7') ? resolve(String(data)) : undefined)));
    socket.send(JSON.stringify({ id: 7, channel: 'fs:read', args: '/etc/passwd' }));
    expect(JSON.parse(await answer)).toMatchObject({ id: 7, result: { ok: false, error: { code: 'UNKNOWN_CHANNEL' } } });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send('not json');
    expect(await closed).toBe(1008);
    // The server is still serving.
    const again = await openBridge(port, token);
    expect(again.readyState).toBe(WebSocket.OPEN);
    again.close();
  });
});

describe('BrowserModeServer without a built renderer', () => {
  it('answers the page with 503 saying to run the build', async () => {
    const cleanup = new Cleanup();
    try {
      const { server } = await startServer(cleanup, { withRenderer: false });
      const page = await get(server.port, '/');
      expect(page.status).toBe(503);
      expect(page.body).toContain('vite build');
    } finally {
      await cleanup.run();
    }
  });
});
