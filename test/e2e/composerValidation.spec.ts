import { expect, screenshotPath, test } from './support/fixtures';

test('the composer checks the source and hex payload as they are typed, and sends a pasted hex dump', async ({ session, ui, page }, testInfo) => {
  const b = await session.listen('B', '--format', 'hex');
  await expect(ui.moduleRow('B')).toBeVisible();
  const source = page.getByTestId('composer-source');
  const payload = page.getByTestId('composer-payload');
  const send = page.getByTestId('composer-send');
  await page.getByTestId('composer-target').selectOption('B');

  await source.pressSequentially('$hub');
  await expect(page.getByTestId('composer-source-problem')).toHaveText("source: module IDs starting with '$' are reserved for the hub");
  await expect(source).toHaveAttribute('aria-invalid', 'true');
  await expect(send).toBeDisabled();
  await source.fill('ui-tester');
  await expect(page.getByTestId('composer-source-problem')).toHaveCount(0);
  await expect(send).toBeEnabled();

  await page.getByTestId('composer-encoding').selectOption('hex');
  await payload.pressSequentially('de:ad:be:eg');
  await expect(page.getByTestId('composer-payload-problem')).toHaveText("payload not hex at column 11: 'g' is not a hex digit (0-9, a-f)");
  await expect(send).toBeDisabled();
  await payload.press('Backspace');
  await payload.pressSequentially('f');
  await expect(page.getByTestId('composer-payload-problem')).toHaveCount(0);
  await expect(page.getByTestId('composer-payload-size')).toHaveText('4 bytes');
  await send.click();
  await b.waitForStdout('ui-tester: de ad be ef', 10_000);

  // The hex dump the detail pane shows, pasted back in whole, sends the same bytes again.
  await session.send('A', 'B', 'pipes | and bars, twenty-five+ bytes');
  await ui.trafficRowsFrom('A', 'B').first().click();
  const dump = (await page.getByTestId('detail-hex').textContent()) ?? '';
  expect(dump).toMatch(/^00000000 {2}70 69 70 65 73/);
  await payload.fill(dump);
  await expect(page.getByTestId('composer-payload-size')).toHaveText('36 bytes');
  await send.click();
  await expect(ui.composerResult).toHaveText('sent 36 bytes to B as ui-tester');
  await expect(ui.trafficRowsFrom('ui-tester', 'B')).toHaveCount(2);

  // An edited dump that is no longer hex says on which line and column.
  const edited = dump.replace(/^(00000010 {2})../m, '$1zz');
  await payload.fill(edited);
  await expect(page.getByTestId('composer-payload-problem')).toHaveText("payload not hex at line 2, column 11: 'z' is not a hex digit (0-9, a-f)");
  await expect(send).toBeDisabled();
  // "show" selects the character at fault in the field.
  await page.getByTestId('composer-payload-show-problem').click();
  await expect(payload).toBeFocused();
  expect(await payload.evaluate((field) => [(field as unknown as { selectionStart: number }).selectionStart, (field as unknown as { selectionEnd: number }).selectionEnd])).toEqual([
    edited.indexOf('zz'),
    edited.indexOf('zz') + 1,
  ]);
  await page.screenshot({ path: screenshotPath(testInfo, 'composer-validation-as-typed'), fullPage: true });
});

test('the sent history keeps the newest entries of every tab, within the bound its tooltip states', async ({ session, ui, page, context }) => {
  await session.listen('B');
  await expect(ui.moduleRow('B')).toBeVisible();
  // A second tab of the same serve, opened before the first sends anything.
  const other = await context.newPage();
  await other.goto(session.url.href);
  await expect(other.getByTestId('status-bar')).toContainText('backend: connected');

  await ui.compose({ target: 'B', source: 'first-tab', payload: 'from the first tab' });
  await expect(ui.composerResult).toContainText('sent');
  await other.getByTestId('composer-target').selectOption('B');
  await other.getByTestId('composer-source').fill('second-tab');
  await other.getByTestId('composer-payload').fill('from the second tab');
  await other.getByTestId('composer-send').click();
  await expect(other.getByTestId('composer-result')).toContainText('sent');

  await page.reload();
  const entries = page.getByTestId('composer-history-entry');
  await expect(entries).toHaveCount(2);
  await expect(entries.nth(0)).toContainText('second-tab → B: [text] from the second tab');
  await expect(entries.nth(1)).toContainText('first-tab → B: [text] from the first tab');
  await expect(page.getByTestId('composer-history-title')).toHaveAttribute('title', 'Sent messages: newest first; the last 200 messages that fit in 256 KiB, kept in this browser');
  await other.close();
});
