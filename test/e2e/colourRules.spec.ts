import { expect, screenshotPath, test } from './support/fixtures';

/** The row's computed background, as the person sees it. */
async function background(row: import('@playwright/test').Locator): Promise<string> {
  // The test files compile without the DOM's types; in the page, globalThis is the window.
  return row.evaluate((element) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(element).backgroundColor);
}

test('colouring rules: the first matching rule colours a row, a bad filter is refused with its message, the rules last across a reload', async ({ session, ui }, testInfo) => {
  const { page } = ui;
  await page.setViewportSize({ width: 1440, height: 900 });
  await session.listen('logger');
  await session.send('sensor', 'logger', '{"temp": 35}');
  await session.send('sensor', 'logger', '{"temp": 20}');
  await session.send('clock', 'logger', 'tick');
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '3');
  const hot = ui.trafficRows.filter({ hasText: '"temp": 35' });
  const mild = ui.trafficRows.filter({ hasText: '"temp": 20' });
  const tick = ui.trafficRows.filter({ hasText: 'tick' });
  const plain = await background(tick);

  await page.getByTestId('colour-rules-button').click();
  const dialog = page.getByTestId('colour-rules');
  await dialog.getByTestId('colour-rule-add').click();
  await dialog.getByTestId('colour-rule-add').click();
  const rules = dialog.getByTestId('colour-rule');
  await rules.nth(0).getByTestId('colour-rule-expression').fill('src:sensor');
  await rules.nth(0).getByTestId('colour-rule-colour').fill('#1f4d7a');
  // A mistake is refused with the parser's own words, and nothing is applied.
  await rules.nth(1).getByTestId('colour-rule-expression').fill('.temp > warm');
  await rules.nth(1).getByTestId('colour-rule-colour').fill('#7a1f1f');
  await dialog.getByTestId('colour-rules-apply').click();
  await expect(rules.nth(1).getByTestId('colour-rule-error')).toHaveText('filter: "warm" is not a value: compare with a number (30, -1.5) or quoted text ("open"), true, false or null (at column 9)');
  await expect(dialog.getByTestId('colour-rules-refused')).toBeVisible();
  await page.screenshot({ path: screenshotPath(testInfo, 'colour-rules-refused') });
  expect(await background(hot)).toBe(plain);

  // Fixed, and the narrower rule moved first: it takes the hot row, the broader one the other sensor row.
  await rules.nth(1).getByTestId('colour-rule-expression').fill('.temp > 30');
  await rules.nth(1).getByTestId('colour-rule-up').click();
  await dialog.getByTestId('colour-rules-apply').click();
  await expect(dialog.getByTestId('colour-rules-applied')).toBeVisible();
  await dialog.getByTestId('colour-rules-close').click();
  await expect(hot).toHaveAttribute('data-colour-rule', '0');
  await expect(mild).toHaveAttribute('data-colour-rule', '1');
  await expect(tick).toHaveAttribute('data-colour-rule', '-1');
  expect(await background(hot)).toBe('rgb(122, 31, 31)');
  expect(await background(mild)).toBe('rgb(31, 77, 122)');
  expect(await background(tick)).toBe(plain);
  await page.screenshot({ path: screenshotPath(testInfo, 'colour-rules-applied') });

  await page.reload();
  await expect(ui.statusBar).toBeVisible();
  await session.send('sensor', 'logger', '{"temp": 31}');
  await expect(ui.trafficRows.filter({ hasText: '"temp": 31' })).toHaveAttribute('data-colour-rule', '0');
  // A reloaded page starts with no rows: the rules came back from the page's storage, not the rows.
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '1');
  await page.getByTestId('colour-rules-button').click();
  await expect(rules).toHaveCount(2);
  await expect(rules.nth(0).getByTestId('colour-rule-expression')).toHaveValue('.temp > 30');
  await expect(rules.nth(1).getByTestId('colour-rule-expression')).toHaveValue('src:sensor');
});
