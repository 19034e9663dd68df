import { expect, screenshotPath, test } from './support/fixtures';

test('saved filters: save every part of a filter under a name, reload the page, apply, rename, delete', async ({ session, ui }, testInfo) => {
  const { page } = ui;
  await page.setViewportSize({ width: 1440, height: 900 });
  await session.listen('logger');
  await session.send('sensor', 'logger', '{"temp": 35, "note": "Hot"}');
  await session.send('sensor', 'logger', '{"temp": 20, "note": "hot"}');
  await session.send('clock', 'logger', '{"temp": 40, "note": "Hot"}');
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '3');

  // Module as source, case-sensitive text and a JSON field: one row.
  await page.getByTestId('filter-module').selectOption('sensor');
  await page.getByTestId('filter-module-side').selectOption('source');
  await ui.filterText.fill('Hot');
  await page.getByTestId('filter-case').click();
  await page.getByTestId('filter-fields').fill('.temp > 30');
  await page.getByTestId('filter-time').fill('+0s..');
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '1');

  await page.getByTestId('saved-filters-button').click();
  const dialog = page.getByTestId('saved-filters');
  await dialog.getByTestId('saved-filter-save').click();
  await expect(dialog.getByTestId('saved-filter-error')).toHaveText('give the filter a name');
  await dialog.getByTestId('saved-filter-name').fill('hot sensor');
  await dialog.getByTestId('saved-filter-save').click();
  await expect(dialog.getByTestId('saved-filter')).toHaveCount(1);
  await expect(dialog.getByTestId('saved-filter')).toContainText('src:sensor');
  // The same name again is refused, saying why.
  await dialog.getByTestId('saved-filter-name').fill('hot sensor');
  await dialog.getByTestId('saved-filter-save').click();
  await expect(dialog.getByTestId('saved-filter-error')).toContainText('already named "hot sensor"');
  await page.screenshot({ path: screenshotPath(testInfo, 'saved-filters-dialog') });
  await dialog.getByTestId('saved-filters-close').click();

  // A reload forgets the filter bar, not the saved filter.
  // A reloaded page starts with no rows: the same three messages again.
  await page.reload();
  await expect(ui.statusBar).toBeVisible();
  await session.send('sensor', 'logger', '{"temp": 35, "note": "Hot"}');
  await session.send('sensor', 'logger', '{"temp": 20, "note": "hot"}');
  await session.send('clock', 'logger', '{"temp": 40, "note": "Hot"}');
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '3');
  await page.getByTestId('saved-filters-button').click();
  await dialog.locator('[data-testid="saved-filter"][data-name="hot sensor"]').getByTestId('saved-filter-apply').click();
  await expect(dialog).toHaveCount(0);
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '1');
  await expect(page.getByTestId('filter-module')).toHaveValue('sensor');
  await expect(page.getByTestId('filter-module-side')).toHaveValue('source');
  await expect(ui.filterText).toHaveValue('Hot');
  await expect(page.getByTestId('filter-case')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('filter-fields')).toHaveValue('.temp > 30');
  await expect(page.getByTestId('filter-time')).toHaveValue('+0s..');
  await expect(ui.trafficRows).toHaveCount(1);
  await expect(ui.trafficRows.first()).toContainText('"temp": 35');

  // Rename, then delete; both last across a reload.
  await page.getByTestId('saved-filters-button').click();
  await dialog.getByTestId('saved-filter-rename').click();
  await dialog.getByTestId('saved-filter-new-name').fill('sensor over 30');
  await dialog.getByTestId('saved-filter-rename-ok').click();
  await expect(dialog.getByTestId('saved-filter')).toHaveAttribute('data-name', 'sensor over 30');
  await page.reload();
  await expect(ui.statusBar).toBeVisible();
  await page.getByTestId('saved-filters-button').click();
  await expect(dialog.getByTestId('saved-filter')).toHaveAttribute('data-name', 'sensor over 30');
  await dialog.getByTestId('saved-filter-delete').click();
  await expect(dialog.getByTestId('saved-filter')).toHaveCount(0);
  await page.reload();
  await expect(ui.statusBar).toBeVisible();
  await page.getByTestId('saved-filters-button').click();
  await expect(dialog).toContainText('No saved filters yet.');
});
