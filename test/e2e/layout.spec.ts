import type { Locator } from '@playwright/test';
import { expect, screenshotPath, test } from './support/fixtures';

/** Seven modules and some traffic, as a person trying the monitor would have. */
async function busyBus(session: import('./support/serveSession').ServeSession): Promise<void> {
  for (const id of ['sensor-1', 'sensor-2', 'logger', 'ui-panel', 'planner', 'camera', 'motor']) await session.listen(id);
  for (let i = 0; i < 12; i++) await session.send('probe', 'logger', JSON.stringify({ temp: 20 + i, unit: 'C', note: 'reading '.repeat(4) }));
}

async function box(locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  const found = await locator.boundingBox();
  if (found === null) throw new Error(`${locator} is not shown`);
  return found;
}

/** The header row ends where the first row starts: the sticky header never covers a row. */
async function expectHeaderAboveRows(header: Locator, firstRow: Locator): Promise<void> {
  const head = await box(header);
  const row = await box(firstRow);
  expect(head.y + head.height).toBeLessThanOrEqual(row.y + 0.5);
}

for (const [width, height, detailHeight] of [
  [1024, 640, 150],
  [1280, 720, 200],
] as const) {
  test(`at ${width}x${height} headers do not overlap rows, kick buttons show whole and the detail pane has room`, async ({ session, ui }, testInfo) => {
    const { page } = ui;
    await page.setViewportSize({ width, height });
    await busyBus(session);
    await expect(ui.moduleRows.and(page.locator('[data-connected="true"]'))).toHaveCount(7);
    await ui.trafficRows.last().click();
    await expect(ui.detailPane.getByTestId('detail-json')).toContainText('"temp"');

    const modules = page.getByTestId('modules-panel');
    await expectHeaderAboveRows(modules.locator('thead tr'), ui.moduleRows.first());
    await expectHeaderAboveRows(page.locator('.traffic-header'), ui.trafficRows.first());
    // Every kick button that is scrolled into view lies wholly inside the modules panel.
    const panel = await box(page.getByTestId('modules-panel'));
    const kick = page.getByTestId('kick-button').first();
    const button = await box(kick);
    expect(button.x).toBeGreaterThanOrEqual(panel.x);
    expect(button.x + button.width).toBeLessThanOrEqual(panel.x + panel.width);
    await expect(kick).toBeInViewport({ ratio: 1 });
    expect((await box(ui.detailPane)).height).toBeGreaterThanOrEqual(detailHeight);
    await page.screenshot({ path: screenshotPath(testInfo, `layout-${width}x${height}`) });
  });
}
