import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { BridgeService } from '../../electron/bridge/BridgeService';
import { LocalHubBackend } from '../../electron/bridge/LocalHubBackend';
import { BrowserModeServer } from '../../electron/serve/BrowserModeServer';
import { describeContract } from '../bridge/contractBehaviour';
import { Cleanup } from '../support/cleanup';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { openSocket, socketDriver, tokenCookie } from './socketDriver';

interface ServedHub {
  server: BrowserModeServer;
  socket: string;
  rendererDir: string;
}

async function startServer(cleanup: Cleanup, options: { withRenderer?: boolean } = {}): Promise<ServedHub> {
  const dir = makeTempDir();
  cleanup.add(() => removeTempDir(dir));
  const rendererDir = path.join(dir, 'renderer');
  if (options.withRenderer ?? true) {
    fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><script type="module" src="/assets/app.js"></script>');
    fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log("relayscope");');
  }
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside the renderer');
  const socket = path.join(dir, 'hub.sock');
  const backend = await LocalHubBackend.start([{ kind: 'path', path: socket }]);
  cleanup.add(() => backend.close());
  const server = new BrowserModeServer({ bridge: new BridgeService(backend), rootDir: rendererDir });
  await server.start();
  cleanup.add(() => server.close());
  return { server, socket, rendererDir };
}

/** A raw HTTP GET, so the Host header and the path are sent exactly as written. */
function get(port: number, pathAndQuery: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path: pathAndQuery, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

describeContract('the contract over the browser mode WebSocket', async (cleanup) => {
  const { server, socket } = await startServer(cleanup);
  return { driver: await socketDriver(cleanup, server.port, server.token), socket };
});

describe('BrowserModeServer security', () => {
  let cleanup: Cleanup;
  let served: ServedHub;
  let port: number;
  let origin: string;

  beforeEach(async () => {
    cleanup = new Cleanup();
    served = await startServer(cleanup);
    port = served.server.port;
    origin = `http://127.0.0.1:${port}`;
  });

  afterEach(() => cleanup.run());

  it('prints a URL with a 64-hex-digit token on 127.0.0.1', () => {
    expect(served.server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=[0-9a-f]{64}$`));
  });

  it('refuses the page, a script and the WebSocket without the token', async () => {
    expect((await get(port, '/')).status).toBe(403);
    expect((await get(port, '/assets/app.js')).status).toBe(403);
    await expect(openSocket(`ws://127.0.0.1:${port}/bridge`, { Origin: origin })).rejects.toThrow(/HTTP 403/);
  });

  it('refuses a wrong token', async () => {
    expect((await get(port, `/?token=${'0'.repeat(64)}`)).status).toBe(403);
    expect((await get(port, '/', { Cookie: `relayscope_token_${port}=${'0'.repeat(64)}` })).status).toBe(403);
  });

  it('turns the token in the URL into an HttpOnly SameSite=Strict cookie, with which the page and its scripts load', async () => {
    const redirect = await get(port, `/?token=${served.server.token}`);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe('/');
    expect(redirect.headers['set-cookie']?.[0]).toMatch(new RegExp(`^relayscope_token_${port}=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=/`));
    const cookie = await tokenCookie(origin, served.server.token);
    const page = await get(port, '/', { Cookie: cookie });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(
      `default-src 'self'; connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}; style-src 'self' 'unsafe-inline'; img-src 'self' data:`,
    );
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const script = await get(port, '/assets/app.js', { Cookie: cookie });
    expect({ status: script.status, type: script.headers['content-type'], body: script.body }).toEqual({ status: 200, type: 'text/javascript; charset=utf-8', body: 'console.log("relayscope");' });
  });

  it('refuses a Host other than 127.0.0.1 or localhost on its port, even with the cookie (DNS rebinding)', async () => {
    const cookie = await tokenCookie(origin, served.server.token);
    expect((await get(port, '/', { Cookie: cookie, Host: `evil.example:${port}` })).status).toBe(403);
    expect((await get(port, '/', { Cookie: cookie, Host: `localhost:${port}` })).status).toBe(200);
    await expect(openSocket(`ws://127.0.0.1:${port}/bridge`, { Origin: origin, Cookie: cookie, Host: `evil.example:${port}` })).rejects.toThrow(/HTTP 403/);
  });

  it('refuses a WebSocket upgrade from another origin even with the cookie', async () => {
    const cookie = await tokenCookie(origin, served.server.token);
    await expect(openSocket(`ws://127.0.0.1:${port}/bridge`, { Origin: 'http://evil.example', Cookie: cookie })).rejects.toThrow(/HTTP 403/);
    await expect(openSocket(`ws://127.0.0.1:${port}/bridge`, { Cookie: cookie })).rejects.toThrow(/HTTP 403/);
    const socket = await openSocket(`ws://127.0.0.1:${port}/bridge`, { Origin: `http://localhost:${port}`, Cookie: cookie });
    socket.close();
  });

  it('serves nothing outside the renderer directory', async () => {
    const cookie = await tokenCookie(origin, served.server.token);
    for (const attempt of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e%2fsecret.txt']) {
      const response = await get(port, attempt, { Cookie: cookie });
      expect({ attempt, status: response.status }).toEqual({ attempt, status: 404 });
      expect(response.body).not.toContain('outside the renderer');
    }
  });

  it('closes a WebSocket that sends something other than JSON with 1008, and answers an unknown channel with an error', async () => {
    const cookie = await tokenCookie(origin, served.server.token);
    const socket = await openSocket(`ws://127.0.0.1:${port}/bridge`, { Origin: origin, Cookie: cookie });
    const answer = new Promise<string>((resolve) => socket.on('message', (data) => (String(data).includes('"id":7') ? resolve(String(data)) : undefined)));
    socket.send(JSON.stringify({ id: 7, channel: 'fs:read', args: '/etc/passwd' }));
    expect(JSON.parse(await answer)).toMatchObject({ id: 7, result: { ok: false, error: { code: 'UNKNOWN_CHANNEL' } } });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send('not json');
    expect(await closed).toBe(1008);
    // The server is still serving.
    const again = await openSocket(`ws://127.0.0.1:${port}/bridge`, { Origin: origin, Cookie: cookie });
    expect(again.readyState).toBe(WebSocket.OPEN);
    again.close();
  });
});

describe('BrowserModeServer without a built renderer', () => {
  it('answers the page with 503 saying to run the build', async () => {
    const cleanup = new Cleanup();
    try {
      const { server } = await startServer(cleanup, { withRenderer: false });
      const cookie = await tokenCookie(`http://127.0.0.1:${server.port}`, server.token);
      const page = await get(server.port, '/', { Cookie: cookie });
      expect(page.status).toBe(503);
      expect(page.body).toContain('vite build');
    } finally {
      await cleanup.run();
    }
  });
});
