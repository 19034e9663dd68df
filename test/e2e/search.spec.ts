import * as path from 'node:path';
import { expect, screenshotPath, test } from './support/fixtures';

/** The README's screenshot is refreshed with UPDATE_SCREENSHOTS=1; other runs leave the committed one alone. */
const README_SCREENSHOT = path.resolve(__dirname, '..', '..', 'docs', 'screenshots', 'search.png');

/** 1 KiB of filler with `needle` written at byte `at`. */
function kibWith(needle: string, at: number): string {
  const filler = 'abcdefghij'.repeat(103).slice(0, 1024).split('');
  filler.splice(at, needle.length, ...needle);
  return filler.join('');
}

test('whole-payload search from the filter bar: text past the preview, regex, case, JSON fields, typing on cancels', async ({ session, ui }, testInfo) => {
  const { page } = ui;
  await page.setViewportSize({ width: 1440, height: 900 });
  await session.listen('logger');
  await session.send('sensor', 'logger', kibWith('Needle', 300));
  await session.send('sensor', 'logger', kibWith('NEEDLE', 500));
  await session.send('sensor', 'logger', kibWith('nothing', 300));
  await session.send('sensor', 'logger', '{"temp": 31.5, "cmd": "open"}');
  await session.send('sensor', 'logger', '{"temp": 21.0, "cmd": "open"}');
  await session.send('clock', 'logger', '{"temp": 40, "cmd": "close"}');
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '6');

  // The needle is 300 bytes in: no preview holds it, the backend's search over whole payloads does.
  const matchCount = ui.matchCount;
  await ui.filterText.fill('Needle');
  await expect(matchCount).toHaveAttribute('data-state', 'done');
  await expect(matchCount).toHaveAttribute('data-match-count', '2');
  await expect(matchCount).toHaveText(/^2 of \d+ rows match$/);
  await expect(page.getByTestId('preview-only')).toHaveCount(0);
  await page.screenshot({ path: screenshotPath(testInfo, 'search-needle-300') });

  // Case: Aa compares case, so NEEDLE no longer matches Needle.
  await page.getByTestId('filter-case').click();
  await expect(page.getByTestId('filter-case')).toHaveAttribute('aria-pressed', 'true');
  await expect(matchCount).toHaveAttribute('data-match-count', '1');
  await ui.trafficRows.first().click();
  await expect(ui.detailPane).toContainText('Needle');

  // A regex, still case-sensitive: N then E or e.
  await page.getByTestId('filter-regex').check();
  await ui.filterText.fill('N[Ee]{2}DLE');
  await expect(matchCount).toHaveAttribute('data-state', 'done');
  await expect(matchCount).toHaveAttribute('data-match-count', '1');
  await page.getByTestId('filter-case').click();
  await expect(matchCount).toHaveAttribute('data-match-count', '2');
  // A bad regex says what is wrong and keeps the last good filter applied.
  await ui.filterText.fill('N[ee');
  await expect(page.getByTestId('filter-error')).toContainText('invalid regular expression');
  await expect(matchCount).toHaveAttribute('data-match-count', '2');
  await page.getByTestId('filter-regex').uncheck();
  await ui.filterText.fill('');

  // JSON fields, combined with the module controls.
  const fields = page.getByTestId('filter-fields');
  await fields.fill('.temp > 30');
  await expect(matchCount).toHaveAttribute('data-match-count', '2');
  await fields.fill('.temp > 30 .cmd == "open"');
  await expect(matchCount).toHaveAttribute('data-match-count', '1');
  await fields.fill('.temp > 30');
  await page.getByTestId('filter-module').selectOption('clock');
  await page.getByTestId('filter-module-side').selectOption('source');
  await expect(matchCount).toHaveAttribute('data-match-count', '1');
  await expect(ui.trafficRows).toHaveCount(1);
  await expect(ui.trafficRows.first()).toHaveAttribute('data-source', 'clock');
  await page.getByTestId('filter-module-side').selectOption('destination');
  await expect(matchCount).toHaveAttribute('data-match-count', '0');
  await page.getByTestId('filter-module').selectOption('');
  // A mistake in a comparison names its column in the fields box.
  await fields.fill('.temp >');
  await expect(page.getByTestId('filter-error')).toContainText('fields: .temp > needs a value: a number or "text" (at column 8)');
  await fields.fill('');
  await expect(page.getByTestId('filter-error')).toHaveCount(0);

  // Typing on cancels the search under way and starts one for the new text: the count follows what was typed last.
  await ui.filterText.fill('needle');
  await expect(matchCount).toHaveAttribute('data-match-count', '2');
  const firstSearch = await matchCount.getAttribute('data-search-id');
  await ui.filterText.press('End');
  await ui.filterText.pressSequentially(' and more', { delay: 20 });
  await expect(matchCount).toHaveAttribute('data-state', 'done');
  await expect(matchCount).toHaveAttribute('data-match-count', '0');
  expect(await matchCount.getAttribute('data-search-id')).not.toBe(firstSearch);
  await ui.filterText.fill('needle');
  await expect(matchCount).toHaveAttribute('data-match-count', '2');
  await page.screenshot({ path: screenshotPath(testInfo, 'search') });
  if (process.env.UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: README_SCREENSHOT });
});
