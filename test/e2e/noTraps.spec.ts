import { expect, screenshotPath, test } from './support/fixtures';

test('kick asks once, naming the module and its process, and a double click on kick never kicks two modules', async ({ session, ui }, testInfo) => {
  const { page } = ui;
  for (const id of ['B', 'C', 'D']) await session.listen(id);
  const connected = ui.moduleRows.and(page.locator('[data-connected="true"]'));
  await expect(connected).toHaveCount(3);

  // The double click the issue describes: the first click asks, the second lands on the question's backdrop.
  await ui.moduleRow('B').getByTestId('kick-button').dblclick();
  const question = page.getByTestId('kick-confirm');
  await expect(question).toBeVisible();
  await expect(question).toContainText('Kick B?');
  await expect(page.getByTestId('kick-confirm-process')).toContainText(/unix, pid \d+, uid \d+/);
  await expect(connected).toHaveCount(3);
  await page.screenshot({ path: screenshotPath(testInfo, 'kick-question-1280x720') });

  const kickOfB = await ui.moduleRow('B').getByTestId('kick-button').boundingBox();
  await page.getByTestId('kick-confirm-button').click();
  await expect(ui.moduleRow('B')).toHaveAttribute('data-connected', 'false');

  // With the pointer back on the list where B's kick button was, B stays greyed in its place: a double click there hits no kick button.
  if (kickOfB === null) throw new Error('no kick button for B');
  await page.mouse.move(kickOfB.x + kickOfB.width / 2, kickOfB.y + kickOfB.height / 2);
  await page.mouse.dblclick(kickOfB.x + kickOfB.width / 2, kickOfB.y + kickOfB.height / 2);
  await expect(page.getByTestId('kick-confirm')).toHaveCount(0);
  await expect(connected).toHaveCount(2);
  await expect(ui.moduleRow('C')).toHaveAttribute('data-connected', 'true');
  await expect(ui.moduleRow('D')).toHaveAttribute('data-connected', 'true');
});

test('cancel in the kick question kicks nothing', async ({ session, ui }) => {
  await session.listen('B');
  await ui.moduleRow('B').getByTestId('kick-button').click();
  await ui.page.getByTestId('kick-confirm-cancel').click();
  await expect(ui.page.getByTestId('kick-confirm')).toHaveCount(0);
  await ui.page.waitForTimeout(500);
  await expect(ui.moduleRow('B')).toHaveAttribute('data-connected', 'true');
});

test('Space pauses the live tail even while a button has the focus, and does not press that button', async ({ session, ui }) => {
  const { page } = ui;
  await session.listen('B');
  const regex = page.getByTestId('filter-regex');
  const clearDeparted = page.getByRole('button', { name: /clear departed/ });
  await page.getByTestId('kind-toggle').first().focus();
  const pressedBefore = await page.getByTestId('kind-toggle').first().getAttribute('aria-pressed');
  await page.keyboard.press(' ');
  await expect(ui.pauseToggle).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('kind-toggle').first()).toHaveAttribute('aria-pressed', pressedBefore ?? 'true');
  await ui.pauseToggle.focus();
  await page.keyboard.press(' ');
  await expect(ui.pauseToggle).toHaveAttribute('aria-pressed', 'false');
  await regex.focus();
  await page.keyboard.press(' ');
  await expect(ui.pauseToggle).toHaveAttribute('aria-pressed', 'true');
  await expect(regex).not.toBeChecked();
  await expect(clearDeparted).toBeDisabled();
  // In the text filter Space is a character.
  await page.keyboard.press('/');
  await expect(ui.filterText).toBeFocused();
  await page.keyboard.type('a b');
  await expect(ui.filterText).toHaveValue('a b');
  await expect(ui.pauseToggle).toHaveAttribute('aria-pressed', 'true');
});

test('arrow keys move the selection through the table and Esc clears it', async ({ session, ui }) => {
  const { page } = ui;
  await session.listen('B');
  for (const payload of ['first', 'second', 'third']) await session.send('A', 'B', payload);
  await expect(ui.trafficRowsFrom('A', 'B')).toHaveCount(3);
  await page.getByTestId('pause-toggle').focus();

  await page.keyboard.press('ArrowUp');
  await expect(ui.detailPane.getByTestId('detail-text')).toHaveText('third');
  await page.keyboard.press('ArrowUp');
  await expect(ui.detailPane.getByTestId('detail-text')).toHaveText('second');
  await expect(ui.trafficRowsFrom('A', 'B').filter({ hasText: 'second' })).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowDown');
  await expect(ui.detailPane.getByTestId('detail-text')).toHaveText('third');
  await page.keyboard.press('Escape');
  await expect(page.locator('[data-testid="traffic-row"][aria-selected="true"]')).toHaveCount(0);
});

test('clear asks first: cancel keeps every row, confirming empties the table and new rows still come', async ({ session, ui }, testInfo) => {
  const { page } = ui;
  await session.listen('B');
  for (const payload of ['one', 'two']) await session.send('A', 'B', payload);
  await expect(ui.trafficRowsFrom('A', 'B')).toHaveCount(2);
  await page.getByTestId('clear-rows').dblclick();
  const question = page.getByTestId('clear-confirm');
  await expect(question).toContainText(/Clear \d+ rows\?/);
  await page.screenshot({ path: screenshotPath(testInfo, 'clear-question') });
  // A stray Enter never confirms (the focus is on cancel or on the question); Esc cancels.
  await page.keyboard.press('Enter');
  await expect(ui.trafficRowsFrom('A', 'B')).toHaveCount(2);
  await page.keyboard.press('Escape');
  await expect(question).toHaveCount(0);
  await expect(ui.trafficRowsFrom('A', 'B')).toHaveCount(2);
  await page.getByTestId('clear-rows').click();
  await page.getByTestId('clear-confirm-button').click();
  await expect(ui.trafficRows).toHaveCount(0);
  await session.send('A', 'B', 'three');
  await expect(ui.trafficRowsFrom('A', 'B')).toHaveCount(1);
});
