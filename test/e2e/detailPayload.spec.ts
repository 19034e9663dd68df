import { expect, screenshotPath, test } from './support/fixtures';
import { MonitorUi } from './support/monitorUi';

test('the detail pane fetches a payload only when the row holds part of it: one of up to 64 bytes is shown whole from the row', async ({ page, session }, testInfo) => {
  // The page's calls, read off its WebSocket: listened to before the page opens it.
  const payloadCalls: unknown[] = [];
  page.on('websocket', (socket) =>
    socket.on('framesent', (frame) => {
      const message = JSON.parse(String(frame.payload)) as { channel?: string; args?: unknown };
      if (message.channel === 'hub:payload') payloadCalls.push(message.args);
    }),
  );
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(session.url.href);
  const ui = new MonitorUi(page);
  await expect(ui.statusBar).toHaveAttribute('data-connection', 'connected');
  await session.listen('logger');
  const short = 'x'.repeat(63) + '!';
  const long = `${'y'.repeat(64)} and the rest past the preview`;
  await session.send('sensor', 'logger', short);
  await session.send('sensor', 'logger', long);
  const shortRow = ui.trafficRows.filter({ hasText: 'xxxxxxxx!' });
  const longRow = ui.trafficRows.filter({ hasText: 'yyyyyyyy' });
  await expect(longRow).toHaveCount(1);

  // 64 bytes: the row's preview is the whole payload.
  await shortRow.click();
  await expect(ui.detailPane).toHaveAttribute('data-payload', 'full');
  await expect(page.getByTestId('detail-text')).toHaveText(short);
  await expect(ui.detailPane).not.toContainText('fetching the full payload');

  // Longer: fetched from the backend, past the 64 bytes the row holds.
  await longRow.click();
  await expect(ui.detailPane).toHaveAttribute('data-payload', 'full');
  await expect(page.getByTestId('detail-text')).toHaveText(long);
  expect(payloadCalls).toHaveLength(1);
  await page.screenshot({ path: screenshotPath(testInfo, 'detail-payload-fetched') });
});
