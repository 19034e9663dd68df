import { expect, test } from './support/fixtures';

test('two listening modules appear as two module rows, also after a reload', async ({ session, ui }) => {
  await expect(ui.moduleRows).toHaveCount(0);

  await session.listen('B');
  await session.listen('C');

  await expect(ui.moduleRow('B')).toBeVisible();
  await expect(ui.moduleRow('C')).toBeVisible();
  await expect(ui.moduleRows).toHaveCount(2);

  // After a reload the rows come from the first snapshot rather than from join events.
  await ui.page.reload();
  await expect(ui.moduleRows).toHaveCount(2);
  await expect(ui.moduleRow('B')).toBeVisible();
  await expect(ui.moduleRow('C')).toBeVisible();
});

test('a message from a sender process shows with its source, destination, kind and payload', async ({ session, ui }) => {
  await session.listen('B');
  await session.send('A', 'B', 'hello');

  const row = ui.trafficRowsFrom('A', 'B');
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-kind', 'unicast');
  await expect(row).toContainText('hello');

  await row.click();
  await expect(ui.detailPane.getByTestId('detail-text')).toContainText('hello');
  await expect(ui.detailPane.getByTestId('detail-hex')).toContainText('68 65 6c 6c 6f');
});

test('the text filter narrows the rows to the matching messages and says how many match', async ({ session, ui }) => {
  await session.listen('B');
  await session.send('A', 'B', 'alpha one');
  await session.send('A', 'B', 'beta two');
  await session.send('C', 'B', 'alpha three');
  await session.send('C', 'B', 'gamma four');
  await expect(ui.trafficRowsFrom('A', 'B')).toHaveCount(2);
  await expect(ui.trafficRowsFrom('C', 'B')).toHaveCount(2);
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '4');

  await ui.filterText.fill('alpha');

  await expect(ui.trafficRows).toHaveCount(2);
  await expect(ui.trafficRows.nth(0)).toContainText('alpha');
  await expect(ui.trafficRows.nth(1)).toContainText('alpha');
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '2');

  await ui.filterText.fill('');
  await expect(ui.trafficRows).toHaveCount(4);
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '4');
});

test('while paused, new messages wait in the pending counter and appear on resume', async ({ session, ui }) => {
  await session.listen('B');
  await ui.pauseToggle.click();

  for (const payload of ['held 1', 'held 2', 'held 3']) await session.send('A', 'B', payload);

  await expect(ui.pendingCount).toHaveText('3');
  await expect(ui.trafficRows).toHaveCount(0);

  await ui.pauseToggle.click();
  await expect(ui.trafficRowsFrom('A', 'B')).toHaveCount(3);
  for (const payload of ['held 1', 'held 2', 'held 3']) await expect(ui.trafficRows.filter({ hasText: payload })).toHaveCount(1);
});
