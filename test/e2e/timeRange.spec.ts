import { expect, screenshotPath, test } from './support/fixtures';

test('a time range from the filter bar: from and to the selected row, typed, and refused with its reason', async ({ session, ui }, testInfo) => {
  const { page } = ui;
  await page.setViewportSize({ width: 1440, height: 900 });
  await session.listen('logger');
  // Each send is its own CLI process, so the four rows are milliseconds apart at least.
  for (const n of [1, 2, 3, 4]) await session.send('sensor', 'logger', `reading ${n}`);
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '4');
  const time = page.getByTestId('filter-time');
  await expect(page.getByTestId('time-from-row')).toBeDisabled();

  // From the second row to the third: the table and the count keep those two.
  await ui.trafficRows.filter({ hasText: 'reading 2' }).click();
  await page.getByTestId('time-from-row').click();
  await expect(time).toHaveValue(/^\d{2}:\d{2}:\d{2}\.\d{6}\.\.$/);
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '3');
  await ui.trafficRows.filter({ hasText: 'reading 3' }).click();
  await page.getByTestId('time-to-row').click();
  await expect(time).toHaveValue(/^\d{2}:\d{2}:\d{2}\.\d{6}\.\.\d{2}:\d{2}:\d{2}\.\d{6}$/);
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '2');
  await expect(ui.trafficRows).toHaveText([/reading 2/, /reading 3/]);
  await page.screenshot({ path: screenshotPath(testInfo, 'time-range-from-to-row') });

  // The range is a filter like the others: combined with a text term.
  await ui.filterText.fill('reading 3');
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '1');
  await ui.filterText.fill('');

  // Typed: everything from the first message on, then nothing before it.
  await time.fill('+0s..');
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '4');
  await time.fill('..+0us');
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '1');
  await expect(ui.trafficRows).toHaveText([/reading 1/]);

  // A mistake names itself and its column, and the last good range stays applied.
  await time.fill('12:00..soon');
  await expect(page.getByTestId('filter-error')).toContainText('time: "soon" is not a time');
  await expect(page.getByTestId('filter-error')).toContainText('(at column 8)');
  await expect(time).toHaveAttribute('aria-invalid', 'true');
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '1');
  await page.screenshot({ path: screenshotPath(testInfo, 'time-range-error') });
  await time.fill('');
  await expect(page.getByTestId('filter-error')).toHaveCount(0);
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '4');
});
