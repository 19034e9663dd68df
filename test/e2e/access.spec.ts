import WebSocket from 'ws';
import { expect, screenshotPath, test } from './support/fixtures';

/** Resolves with the HTTP status that refused the upgrade, or 101 when the WebSocket opened. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, handshakeTimeout: 5000 });
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

test('without the token the page and the bridge are refused', async ({ session, browser }, testInfo) => {
  const bridgeUrl = `ws://${session.url.host}/bridge`;
  const origin = { Origin: session.origin };

  // With the token the page and the bridge open, so the refusals below are the token's doing.
  const admitted = await browser.newPage();
  expect((await admitted.goto(session.url.href))?.status()).toBe(200);
  const cookies = await admitted.context().cookies(session.origin);
  expect(cookies.length).toBeGreaterThan(0);
  const cookieHeader = cookies.map(({ name, value }) => `${name}=${value}`).join('; ');
  expect(await upgradeStatus(bridgeUrl, { ...origin, Cookie: cookieHeader })).toBe(101);
  await admitted.context().close();
  // Another web page (another Origin) gets nothing, even if the browser sent the cookie along.
  expect(await upgradeStatus(bridgeUrl, { Origin: 'http://example.com', Cookie: cookieHeader })).toBe(403);

  expect(await upgradeStatus(bridgeUrl, origin)).toBe(403);
  const refused = await browser.newPage();
  const wrongToken = await refused.goto(`${session.origin}/?token=${'0'.repeat(session.token.length)}`);
  expect(wrongToken?.status()).toBe(403);
  const withoutToken = await refused.goto(`${session.origin}/`);
  expect(withoutToken?.status()).toBe(403);
  await refused.screenshot({ path: screenshotPath(testInfo) });
  await refused.context().close();
});
