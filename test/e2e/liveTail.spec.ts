import { RelayClient } from '../../electron/client';
import { expect, screenshotPath, test } from './support/fixtures';

/** Sends `count` numbered messages A → B as one module, quickly: the live tail must move while a row is selected. */
async function sendNumbered(socket: string, from: number, count: number): Promise<void> {
  const client = await RelayClient.connect({ id: 'A', socket, reconnect: false });
  try {
    for (let n = from; n < from + count; n++) client.send('B', `row ${n}`);
    // A LIST is answered after the sends before it are relayed.
    await client.list();
  } finally {
    await client.close();
  }
}

test('a clicked row stays where it is while the live tail runs, and the table says how many rows came below', async ({ session, ui }, testInfo) => {
  const { page } = ui;
  await session.listen('B');
  await sendNumbered(session.socket, 1, 60);
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '60');
  // The table follows the tail: the newest row is in sight.
  await expect(ui.trafficRows.filter({ hasText: 'row 60' })).toBeVisible();

  const picked = ui.trafficRows.filter({ hasText: /row 55$/ });
  await picked.click();
  await expect(picked).toHaveAttribute('aria-selected', 'true');
  await expect(ui.detailPane.getByTestId('detail-text')).toHaveText('row 55');
  const before = await picked.boundingBox();
  // Nothing is below yet: no follow button (it once offered "-6 rows below" when every row was in sight).
  await expect(page.getByRole('button', { name: /follow the live tail/ })).toHaveCount(0);

  await sendNumbered(session.socket, 61, 100);
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '160');
  // Neither the row nor the detail moved under the pointer; the newest rows are below, and counted.
  const after = await picked.boundingBox();
  expect(after?.y).toBe(before?.y);
  await expect(picked).toHaveAttribute('aria-selected', 'true');
  await expect(ui.detailPane.getByTestId('detail-text')).toHaveText('row 55');
  await expect(ui.trafficRows.filter({ hasText: 'row 160' })).toHaveCount(0);
  const follow = page.getByRole('button', { name: /follow the live tail/ });
  await expect(follow).toBeVisible();
  const below = Number(/\(([\d,]+) rows below\)/.exec((await follow.textContent()) ?? '')?.[1]?.replace(/,/g, ''));
  expect(below).toBeGreaterThanOrEqual(100);
  await page.screenshot({ path: screenshotPath(testInfo, 'live-tail-selection-stays') });

  // Following again brings the newest row into sight; the selection stays selected.
  await follow.click();
  await expect(ui.trafficRows.filter({ hasText: 'row 160' })).toBeVisible();
  await expect(follow).toHaveCount(0);
  await expect(ui.detailPane.getByTestId('detail-text')).toHaveText('row 55');
});
