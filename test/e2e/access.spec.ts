import WebSocket from 'ws';
import { bridgeProtocols } from '../../renderer/src/transport/pageToken';
import { expect, screenshotPath, test } from './support/fixtures';

/** Resolves with the HTTP status that refused the upgrade, or 101 when the WebSocket opened. */
function upgradeStatus(url: string, headers: Record<string, string>, protocols: string[] = []): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, { headers, handshakeTimeout: 5000 });
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      socket.terminate();
      resolve(response.statusCode ?? 0);
    });
    socket.once('error', reject);
  });
}

test('the page opened from the printed URL connects, drops the token from its address, sets no cookie, and a reload still connects', async ({ session, browser }) => {
  const page = await browser.newPage();
  await page.goto(session.url.href);
  await expect(page.getByTestId('connection-state')).toHaveText('backend: connected');
  // Expressions as strings: this file is compiled without the DOM's types.
  expect(await page.evaluate<string>('location.href')).toBe(`${session.origin}/`);
  expect(await page.evaluate<string>('document.cookie')).toBe('');
  expect(await page.context().cookies()).toEqual([]);
  await page.reload();
  await expect(page.getByTestId('connection-state')).toHaveText('backend: connected');
  await page.context().close();
});

test('without the token the page loads but the bridge is refused, and the bridge refuses other origins', async ({ session, browser }, testInfo) => {
  const bridgeUrl = `ws://${session.url.host}/bridge`;
  const origin = { Origin: session.origin };

  // With the token the bridge opens, so the refusals below are the token's doing.
  expect(await upgradeStatus(bridgeUrl, origin, bridgeProtocols(session.token))).toBe(101);
  expect(await upgradeStatus(bridgeUrl, origin)).toBe(403);
  expect(await upgradeStatus(bridgeUrl, origin, bridgeProtocols('0'.repeat(session.token.length)))).toBe(403);
  // Another web page (another Origin) gets nothing, even if it had the token.
  expect(await upgradeStatus(bridgeUrl, { Origin: 'http://example.com' }, bridgeProtocols(session.token))).toBe(403);

  // A tab opened without the fragment has the page (no secret in it) but no token, and says what to open.
  const tokenless = await browser.newPage();
  expect((await tokenless.goto(`${session.origin}/`))?.status()).toBe(200);
  await expect(tokenless.getByTestId('connection-state')).toContainText('no access token: open the URL that relayscope serve printed');
  await tokenless.screenshot({ path: screenshotPath(testInfo) });
  await tokenless.context().close();
});
