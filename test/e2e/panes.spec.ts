import { expect, screenshotPath, test } from './support/fixtures';

test('the detail column and the modules row are resized by dragging their splitters, remembered across a reload, and reset by a double click', async ({ session, ui }, testInfo) => {
  const { page } = ui;
  await page.setViewportSize({ width: 1280, height: 720 });
  await session.listen('B');
  const side = page.locator('.side-column');
  const top = page.locator('.top-row');
  const before = { side: (await side.boundingBox())?.width ?? 0, top: (await top.boundingBox())?.height ?? 0 };

  const drag = async (testId: string, dx: number, dy: number): Promise<void> => {
    const bar = await page.getByTestId(testId).boundingBox();
    if (bar === null) throw new Error(`no ${testId}`);
    await page.mouse.move(bar.x + bar.width / 2, bar.y + bar.height / 2);
    await page.mouse.down();
    await page.mouse.move(bar.x + bar.width / 2 + dx / 2, bar.y + bar.height / 2 + dy / 2);
    await page.mouse.move(bar.x + bar.width / 2 + dx, bar.y + bar.height / 2 + dy);
    await page.mouse.up();
  };
  await drag('splitter-side', -150, 0);
  await drag('splitter-top', 0, 120);
  const after = { side: (await side.boundingBox())?.width ?? 0, top: (await top.boundingBox())?.height ?? 0 };
  expect(after.side).toBeGreaterThan(before.side + 140);
  expect(after.top).toBeGreaterThan(before.top + 110);
  await page.screenshot({ path: screenshotPath(testInfo, 'panes-resized-1280x720') });

  await page.reload();
  await expect(ui.moduleRow('B')).toHaveAttribute('data-connected', 'true');
  expect(Math.abs(((await side.boundingBox())?.width ?? 0) - after.side)).toBeLessThan(2);
  expect(Math.abs(((await top.boundingBox())?.height ?? 0) - after.top)).toBeLessThan(2);

  // The arrow keys move a focused splitter and leave the table's selection alone.
  await page.getByTestId('splitter-side').focus();
  await page.keyboard.press('ArrowLeft');
  expect((await side.boundingBox())?.width ?? 0).toBeGreaterThan(after.side + 10);

  // Dragged too far, a pane stops where the table still has room.
  await drag('splitter-side', -2000, 0);
  expect((await page.locator('.traffic-section').boundingBox())?.width ?? 0).toBeGreaterThanOrEqual(350);

  await page.getByTestId('splitter-side').dblclick();
  await page.getByTestId('splitter-top').dblclick();
  expect(Math.abs(((await side.boundingBox())?.width ?? 0) - before.side)).toBeLessThan(2);
  expect(Math.abs(((await top.boundingBox())?.height ?? 0) - before.top)).toBeLessThan(2);
});
