import { expect, screenshotPath, test } from './support/fixtures';

/** Runs `steps` with at most `limit` of them in flight: each is a process start, and the machine has two cores. */
async function runLimited(steps: (() => Promise<unknown>)[], limit: number): Promise<void> {
  const queue = [...steps];
  const worker = async (): Promise<void> => {
    for (let step = queue.shift(); step !== undefined; step = queue.shift()) await step();
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

test('a busy session shows rows of every kind from several modules', async ({ session, ui }, testInfo) => {
  await session.listen('logger');
  await session.listen('dashboard');
  await session.listen('echo', '--echo');

  // One chain of sends per sender ID: a module ID can be connected once at a time, so two `send`
  // processes for the same ID must not overlap; different senders run side by side.
  const chains = new Map<string, (() => Promise<unknown>)[]>();
  const add = (sender: string, step: () => Promise<unknown>): void => {
    chains.set(sender, [...(chains.get(sender) ?? []), step]);
  };
  for (let round = 1; round <= 8; round++) {
    for (const sensor of ['sensor-1', 'sensor-2', 'sensor-3']) {
      add(sensor, () => session.send(sensor, 'logger', `{"round":${round},"celsius":${20 + round / 10}}`));
    }
    add('sensor-1', () => session.send('sensor-1', 'dashboard', `reading ${round} ok`));
    if (round % 2 === 0) add('clock', () => session.broadcast('clock', `tick ${round}`));
    if (round % 4 === 0) add('client', () => session.request('client', 'echo', `ping ${round}`));
  }
  const runChain = (steps: (() => Promise<unknown>)[]) => async (): Promise<void> => {
    for (const step of steps) await step();
  };
  await runLimited([...chains.values()].map(runChain), 3);

  // The traffic view renders only the rows in sight, so the counts come from the match counter.
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '40');
  const matchesFor = async (text: string): Promise<string | null> => {
    await ui.filterText.fill(text);
    return ui.matchCount.getAttribute('data-match-count');
  };
  await expect.poll(() => matchesFor('celsius')).toBe('24');
  await expect.poll(() => matchesFor('reading')).toBe('8');
  await expect.poll(() => matchesFor('tick')).toBe('4');
  // Two requests and their two replies.
  await expect.poll(() => matchesFor('ping')).toBe('4');
  await expect(ui.page.locator('[data-testid="traffic-row"][data-source="echo"][data-kind="reply"]')).toHaveCount(2);
  await ui.filterText.fill('');
  await expect(ui.matchCount).toHaveAttribute('data-match-count', '40');
  for (const listener of ['logger', 'dashboard', 'echo']) await expect(ui.moduleRow(listener)).toBeVisible();

  // Only the rows in view are in the page, and the three senders' order varies from run to run, so
  // the row is found through the module filter rather than hoped to be among the last ones.
  await ui.page.getByTestId('filter-module').selectOption('sensor-2');
  await ui.trafficRowsFrom('sensor-2', 'logger').last().click();
  await expect(ui.detailPane).toBeVisible();
  await ui.page.getByTestId('filter-module').selectOption('');
  await ui.page.screenshot({ path: screenshotPath(testInfo, 'busy-session') });
});
