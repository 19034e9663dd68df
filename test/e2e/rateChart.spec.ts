import { expect, screenshotPath, test } from './support/fixtures';

test('the rate chart shows values on hover, hides a line from its legend, and switches to bytes/s and to one line per kind', async ({ session, ui }, testInfo) => {
  const { page } = ui;
  await page.setViewportSize({ width: 1280, height: 720 });
  await session.listen('B');
  await session.listen('C');
  for (let i = 0; i < 6; i++) await session.send('A', i % 2 === 0 ? 'B' : 'C', `reading ${i}`.padEnd(40, '.'));
  await session.broadcast('A', 'everyone');
  const chart = page.getByTestId('rate-chart');
  const legend = page.getByTestId('rate-legend');
  const entry = (label: string) => legend.locator('.u-series').filter({ has: page.locator('.u-label').getByText(label, { exact: true }) });
  // Modules with traffic get a line each, named in the legend.
  await expect(entry('B')).toHaveCount(1, { timeout: 10_000 });
  await expect(entry('C')).toHaveCount(1);

  // Hovering the newest seconds shows each line's value there.
  const plot = await chart.locator('.u-over').boundingBox();
  if (plot === null) throw new Error('no plot area');
  await page.mouse.move(plot.x + plot.width - 3, plot.y + plot.height / 2);
  const hubEntry = entry('hub');
  await expect(hubEntry.locator('.u-value')).toHaveText(/^\d+(\.\d)?\/s$/);
  await page.screenshot({ path: screenshotPath(testInfo, 'rate-chart-hover-1280x720') });

  // Clicking a legend entry hides its line; clicking again shows it.
  await hubEntry.click();
  await expect(hubEntry).toHaveClass(/u-off/);
  await hubEntry.click();
  await expect(hubEntry).not.toHaveClass(/u-off/);

  await page.getByTestId('rate-unit').selectOption('bytes');
  await page.mouse.move(plot.x + plot.width - 3, plot.y + plot.height / 2);
  await expect(entry('hub').locator('.u-value')).toHaveText(/B\/s$/);

  await page.getByTestId('rate-group').selectOption('kinds');
  await expect(entry('unicast')).toHaveCount(1);
  await expect(entry('broadcast')).toHaveCount(1);
  await page.screenshot({ path: screenshotPath(testInfo, 'rate-chart-kinds-bytes-1280x720') });
});
