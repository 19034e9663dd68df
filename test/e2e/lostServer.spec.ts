import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from '@playwright/test';
import { CliProcesses, type CliProcess } from '../support/cliProcess';
import { screenshotPath } from './support/fixtures';

const URL_LINE = /^relayscope serve: open (http:\/\/\S+)$/m;

/** A port nothing listens on now, for serve's --port, so each restart can ask for the same one. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let dir: string;
let processes: CliProcesses;
test.beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-e2e-'));
  fs.mkdirSync(path.join(dir, 'run'), { mode: 0o700 });
  processes = new CliProcesses();
});
test.afterEach(async () => {
  await processes.stopAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** serve with its own hub on `port`, the page token kept in `tokenFile`; resolves with the URL it printed. */
async function startServe(port: number, tokenFile: string): Promise<{ serve: CliProcess; url: string }> {
  const serve = processes.start(['serve', '--socket', path.join(dir, 'hub.sock'), '--port', String(port), '--page-token-file', tokenFile], {
    env: { XDG_RUNTIME_DIR: path.join(dir, 'run') },
  });
  const line = await serve.waitForStdout(URL_LINE, 15_000);
  return { serve, url: (URL_LINE.exec(line) as RegExpExecArray)[1] };
}

async function stopServe(serve: CliProcess): Promise<void> {
  serve.signal('SIGTERM');
  expect(await serve.waitForExit()).toEqual({ code: 0, signal: null });
}

test('a tab that lost its server says so, keeps retrying, and recovers by itself when serve is back with the same port and token file', async ({ page }, testInfo) => {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const tokenFile = path.join(dir, 'page-token');
  const first = await startServe(port, tokenFile);
  await page.goto(first.url);
  const status = page.getByTestId('status-bar');
  await expect(status).toContainText('backend: connected');

  await stopServe(first.serve);
  await expect(status).toContainText(`backend: DISCONNECTED — the server at ${origin} is not answering; retrying in`);
  await expect(status).not.toContainText('code 1006');
  await page.screenshot({ path: screenshotPath(testInfo, 'lost-server-not-answering'), fullPage: true });

  const second = await startServe(port, tokenFile);
  expect(second.url).toBe(first.url);
  // No reload: the tab's own retries find the server again.
  await expect(status).toContainText('backend: connected', { timeout: 15_000 });
  const socket = path.join(dir, 'hub.sock');
  const module = processes.start(['listen', '--socket', socket, '--as', 'after-restart']);
  await module.waitForStderr(`relayscope: listening as after-restart on ${socket}`, 10_000);
  await expect(page.locator('[data-testid="module-row"][data-module-id="after-restart"]')).toBeVisible();
  await page.screenshot({ path: screenshotPath(testInfo, 'lost-server-recovered'), fullPage: true });
});

test('a tab whose server came back with another token says to open the URL serve printed, and stops retrying', async ({ page }, testInfo) => {
  const port = await freePort();
  const first = await startServe(port, path.join(dir, 'first-token'));
  await page.goto(first.url);
  const status = page.getByTestId('status-bar');
  await expect(status).toContainText('backend: connected');

  await stopServe(first.serve);
  await expect(status).toContainText('is not answering');
  const attempts: string[] = [];
  page.on('websocket', (socket) => attempts.push(socket.url()));
  const second = await startServe(port, path.join(dir, 'second-token'));
  expect(second.url).not.toBe(first.url);

  await expect(status).toContainText("backend: DISCONNECTED — this tab's token is no longer valid: open the URL serve printed", { timeout: 15_000 });
  await expect(status).not.toContainText('retrying');
  const attemptsWhenRefused = attempts.length;
  // Longer than the longest backoff (5 s): a transport still retrying would have tried again.
  await page.waitForTimeout(6000);
  expect(attempts).toHaveLength(attemptsWhenRefused);
  await page.screenshot({ path: screenshotPath(testInfo, 'lost-server-token-no-longer-valid'), fullPage: true });

  // The URL serve printed opens it, as the message says.
  await page.goto(second.url);
  await expect(status).toContainText('backend: connected');
});
