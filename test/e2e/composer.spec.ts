import { expect, test } from './support/fixtures';

test('a message composed in the UI reaches the receiving process', async ({ session, ui }) => {
  const b = await session.listen('B');
  await expect(ui.moduleRow('B')).toBeVisible();

  await ui.compose({ target: 'B', source: 'ui-tester', payload: 'hello from the UI' });

  await b.waitForStdout('ui-tester: hello from the UI', 10_000);
  await expect(ui.composerError).toHaveCount(0);
  await expect(ui.trafficRowsFrom('ui-tester', 'B')).toContainText('hello from the UI');
});

test('a request composed in the UI shows the reply of an echoing module', async ({ session, ui }) => {
  await session.listen('echo', '--echo');
  await expect(ui.moduleRow('echo')).toBeVisible();

  await ui.compose({ target: 'echo', mode: 'request', payload: 'ping 42' });

  await expect(ui.composerResult).toContainText('ping 42');
  await expect(ui.composerError).toHaveCount(0);
});

test('kicking a module disconnects its process and greys out its row', async ({ session, ui }) => {
  const b = await session.listen('B');
  await expect(ui.moduleRow('B')).toBeVisible();

  await ui.kick('B');

  // A kicked listen does not reconnect: it says why on stderr and exits 1.
  expect(await b.waitForExit(10_000)).toEqual({ code: 1, signal: null });
  expect(b.stderr).toMatch(/disconnected from .*KICKED.*; not reconnecting/);
  await expect(ui.moduleRow('B')).toHaveAttribute('data-connected', 'false');
});
