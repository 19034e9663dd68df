import * as path from 'node:path';
import { expect, screenshotPath, test } from './support/fixtures';

/** The README's screenshot is refreshed with UPDATE_SCREENSHOTS=1; other runs leave the committed one alone. */
const README_SCREENSHOT = path.resolve(__dirname, '..', '..', 'docs', 'screenshots', 'sequence.png');

test('the sequence view: a lane per module, arrows, a broadcast, a request→reply arc with its time, a failed request in red; a click selects the row everywhere; lanes hide; the filter drives it', async ({
  session,
  ui,
}, testInfo) => {
  const { page } = ui;
  await page.setViewportSize({ width: 1440, height: 900 });
  await session.listen('echo', '--echo');
  await session.listen('logger');
  await session.send('sensor', 'logger', '{"temp": 21.5}');
  await session.broadcast('clock', 'tick 1');
  expect(await session.request('client', 'echo', 'ping?')).toBe('ping?\n');
  // logger never replies: the CLI gives up and leaves.
  await expect(session.cli('request', '--as', 'client', '--to', 'logger', 'anyone?', '--timeout', '300')).rejects.toThrow(/no reply/);
  await session.send('sensor', 'logger', '{"temp": 22.0}');
  const request = ui.trafficRowsFrom('client', 'echo');
  await expect(request.getByTestId('row-rtt')).toHaveText(/^\d+(\.\d+)? (µs|ms)$/);
  await expect(ui.trafficRowsFrom('client', 'logger').getByTestId('row-rtt')).toHaveText('no reply');

  // Opened with its key, as a person would after reading the toggle's tooltip.
  await page.keyboard.press('s');
  const view = page.getByTestId('sequence-view');
  await expect(view).toBeVisible();
  await expect(page.getByTestId('sequence-toggle')).toHaveCount(0);
  // Hub events too: joins and leaves become marks on their lanes.
  await page.locator('[data-testid="kind-toggle"][data-kind="system"]').click();

  // One lane per module, in the order each first appears among the rows shown (echo and logger joined first).
  const lanes = view.getByTestId('sequence-lane').locator('.lane-name');
  await expect(lanes).toHaveText(['echo', 'logger', 'sensor', 'clock', 'client']);

  const items = view.getByTestId('sequence-item');
  const sensorArrow = view.locator('[data-testid="sequence-item"][data-type="arrow"][data-source="sensor"][data-destination="logger"]');
  await expect(sensorArrow).toHaveCount(2);
  await expect(sensorArrow.first()).toHaveText('{"temp": 21.5}');
  const broadcast = view.locator('[data-testid="sequence-item"][data-type="fanout"][data-source="clock"]');
  await expect(broadcast).toHaveAttribute('data-ticks', '4');
  const failed = view.locator('[data-testid="sequence-item"][data-type="arrow"][data-source="client"][data-destination="logger"]');
  await expect(failed).toHaveAttribute('data-error', 'true');
  await expect(failed).toContainText('no reply');
  const joins = view.locator('[data-testid="sequence-item"][data-type="event"][data-event="join"]');
  expect(await joins.count()).toBeGreaterThanOrEqual(4);

  // The request→reply arc carries the round-trip time the table shows.
  const arc = view.getByTestId('sequence-arc');
  await expect(arc).toHaveCount(1);
  await expect(arc).toHaveText(`round trip ${await request.getByTestId('row-rtt').textContent()}`);
  expect(Number(await arc.getAttribute('data-reply-y'))).toBeGreaterThan(Number(await arc.getAttribute('data-request-y')));

  // A click on the first sensor → logger arrow selects that row in the table and the detail pane.
  const canvas = view.getByTestId('sequence-canvas');
  const at = async (item: typeof sensorArrow) => ({ x: Number(await item.getAttribute('data-x')), y: Number(await item.getAttribute('data-y')) });
  await canvas.click({ position: await at(sensorArrow.first()) });
  await expect(ui.trafficRowsFrom('sensor', 'logger').first()).toHaveAttribute('aria-selected', 'true');
  await expect(ui.detailPane.getByTestId('detail-text')).toContainText('21.5');
  await expect(sensorArrow.first()).toHaveAttribute('data-selected', 'true');
  await page.screenshot({ path: screenshotPath(testInfo, 'sequence') });
  if (process.env.UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: README_SCREENSHOT });

  // The arrow keys move the selection in both views, as in the table: next is sensor leaving.
  await page.keyboard.press('ArrowDown');
  const selected = view.locator('[data-testid="sequence-item"][data-selected="true"]');
  await expect(selected).toHaveAttribute('data-event', 'leave');
  await expect(selected).toHaveAttribute('data-source', 'sensor');
  await expect(page.locator('[data-testid="traffic-row"][aria-selected="true"]')).toHaveAttribute('data-kind', 'system');

  // Hide clock's lane from the lanes menu: four lanes left, the broadcast keeps its ticks but loses its dot.
  await view.getByTestId('lane-list-toggle').click();
  await view.locator('[data-testid="lane-checkbox"][data-module="clock"]').uncheck();
  await expect(lanes).toHaveText(['echo', 'logger', 'sensor', 'client']);
  await expect(broadcast).toHaveAttribute('data-ticks', '4');
  await expect(view.getByTestId('sequence-lane-count')).toHaveText('4 of 5 lanes');
  await page.keyboard.press('Escape');
  await expect(view.getByTestId('lane-list')).toHaveCount(0);
  await page.screenshot({ path: screenshotPath(testInfo, 'sequence-lane-hidden') });

  // The view follows the filter: only the ping exchange, and lanes for its two modules only.
  await ui.filterText.fill('ping');
  await expect(items).toHaveCount(2);
  await expect(lanes).toHaveText(['client', 'echo']);
  await expect(arc).toHaveCount(1);
  await page.screenshot({ path: screenshotPath(testInfo, 'sequence-filtered') });
  await ui.filterText.fill('');
  await expect(lanes).toHaveText(['echo', 'logger', 'sensor', 'client']);

  // Open, its width and the hidden lane are remembered across a reload; the toggle closes it.
  await page.reload();
  await expect(page.getByTestId('sequence-view')).toBeVisible();
  const reloaded = page.getByTestId('sequence-view');
  await expect(reloaded.getByTestId('lane-list-toggle')).toHaveText('lanes (1 hidden) ▾');
  await session.broadcast('clock', 'tick 2');
  await expect(reloaded.locator('[data-testid="sequence-item"][data-type="fanout"][data-source="clock"]')).toHaveCount(1);
  await expect(reloaded.locator('[data-testid="sequence-lane"][data-module="clock"]')).toHaveCount(0);
  await page.getByTestId('sequence-close').click();
  await expect(page.getByTestId('sequence-view')).toHaveCount(0);
  await page.getByTestId('sequence-toggle').click();
  await expect(page.getByTestId('sequence-view')).toBeVisible();
});
