import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, screenshotPath, test } from './support/fixtures';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** The README's screenshot is refreshed with UPDATE_SCREENSHOTS=1; other runs leave the committed one alone. */
const README_SCREENSHOT = path.join(REPO_ROOT, 'docs', 'screenshots', 'conversations.png');

test('a request and its reply are paired: round trip in the table and the detail pane, go to reply and back, follow the conversation', async ({ session, ui }, testInfo) => {
  await session.listen('echo', '--echo');
  await session.listen('mute');
  expect(await session.request('asker', 'echo', 'ping?')).toBe('ping?\n');
  await session.send('other', 'echo', 'noise');
  // A request that times out: the CLI gives up and leaves, with the responder still connected.
  await expect(session.cli('request', '--as', 'asker', '--to', 'mute', 'anyone?', '--timeout', '300')).rejects.toThrow(/no reply from "mute" within 300 ms/);

  const request = ui.trafficRowsFrom('asker', 'echo');
  const reply = ui.trafficRowsFrom('echo', 'asker');
  const unanswered = ui.trafficRowsFrom('asker', 'mute');
  await expect(request.getByTestId('row-rtt')).toHaveText(/^\d+(\.\d+)? (µs|ms)$/);
  await expect(reply.getByTestId('row-rtt')).toHaveText((await request.getByTestId('row-rtt').textContent()) ?? '');
  await expect(unanswered.getByTestId('row-rtt')).toHaveText('no reply');
  await expect(unanswered.getByTestId('row-rtt')).toHaveClass(/rtt-requester-left/);
  await expect(ui.trafficRowsFrom('other', 'echo').getByTestId('row-rtt')).toHaveText('');

  await request.click();
  await expect(ui.detailPane.getByTestId('detail-conversation')).toHaveAttribute('data-state', 'answered');
  await expect(ui.detailPane.getByTestId('detail-rtt')).toHaveText((await request.getByTestId('row-rtt').textContent()) ?? '');
  await ui.detailPane.getByTestId('go-to-reply').click();
  await expect(reply).toHaveAttribute('aria-selected', 'true');
  await expect(ui.detailPane.getByTestId('detail-text')).toContainText('ping?');
  await ui.detailPane.getByTestId('go-to-request').click();
  await expect(request).toHaveAttribute('aria-selected', 'true');

  await unanswered.click();
  await expect(ui.detailPane.getByTestId('detail-conversation')).toContainText('no reply before the requester left');
  await expect(ui.detailPane.getByTestId('go-to-reply')).toBeDisabled();

  // Follow the asker ⇄ echo conversation: only their two rows, both ways.
  await request.click();
  await ui.detailPane.getByTestId('detail-follow').click();
  await expect(ui.page.getByTestId('follow-chip')).toContainText('echo');
  await expect(ui.trafficRows).toHaveCount(2);
  await expect(request).toHaveCount(1);
  await expect(reply).toHaveCount(1);
  await ui.page.screenshot({ path: screenshotPath(testInfo, 'conversations-follow') });
  if (process.env.UPDATE_SCREENSHOTS === '1') await ui.page.screenshot({ path: README_SCREENSHOT });
  await ui.page.getByTestId('follow-stop').click();
  await expect(ui.trafficRows).toHaveCount(4);
});

test('a request whose responder leaves is marked peer gone, in the table and the detail pane', async ({ session, ui }) => {
  const leaver = await session.listen('leaver');
  const asked = session.cli('request', '--as', 'asker', '--to', 'leaver', 'still there?', '--timeout', '8000').then(
    () => 'answered',
    (error: Error) => error.message,
  );
  const row = ui.trafficRowsFrom('asker', 'leaver');
  await expect(row.getByTestId('row-rtt')).toHaveText('pending');
  await leaver.stop();
  await expect(row.getByTestId('row-rtt')).toHaveText('peer gone');
  expect(await asked).toContain('left before replying');
  await row.click();
  await expect(ui.detailPane.getByTestId('detail-conversation')).toHaveAttribute('data-state', 'peer-gone');
});

test('times show as time of day, since the first message, as deltas, or against a reference row chosen from its menu, and the choice is remembered', async ({ session, ui }, testInfo) => {
  await session.listen('B');
  for (const payload of ['one', 'two', 'three']) await session.send('A', 'B', payload);
  const times = ui.page.getByTestId('row-time');
  await expect(times).toHaveCount(3);
  await expect(times.first()).toHaveText(/^\d\d:\d\d:\d\d\.\d{6}$/);

  const mode = ui.page.getByTestId('time-mode');
  await mode.selectOption('relative');
  await expect(times.first()).toHaveText('0.000000');
  const seconds = async (index: number): Promise<number> => Number(await times.nth(index).textContent());
  expect(await seconds(2)).toBeGreaterThan(await seconds(1));

  await mode.selectOption('delta');
  await expect(times.first()).toHaveText('0.000000');
  expect(await seconds(1)).toBeGreaterThan(0);

  // Right-click the second row: it becomes the reference, the first is before it.
  await ui.trafficRows.nth(1).click({ button: 'right' });
  await ui.page.getByTestId('row-menu').getByRole('menuitem', { name: 'set as the time reference' }).click();
  await expect(mode).toHaveValue('reference');
  await expect(times.nth(1)).toHaveText('*REF*');
  await expect(times.first()).toHaveText(/^-0\.\d{6}$/);
  expect(await seconds(2)).toBeGreaterThan(0);
  await ui.page.screenshot({ path: screenshotPath(testInfo, 'time-reference') });

  // The detail pane's button unsets it again (the second row is selected by the right-click).
  await ui.detailPane.getByTestId('detail-time-reference').click();
  await expect(times.nth(1)).not.toHaveText('*REF*');

  await ui.page.reload();
  await expect(ui.page.getByTestId('time-mode')).toHaveValue('reference');
});

test('copy as: the CLI command copied from the detail pane, run in a shell, delivers the same bytes; C, Python and JSON forms', async ({ session, ui, context }, testInfo) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: session.origin });
  const logger = await session.listen('logger', '--format', 'json', '--count', '2');
  const bytes = Buffer.from('{"temp": 31, "note": "it\'s $HOME"}\x00\xff\n', 'latin1');
  await session.cli('send', '--as', 'sensor', '--to', 'logger', '--hex', bytes.toString('hex'));

  await ui.trafficRowsFrom('sensor', 'logger').click();
  const text = ui.detailPane.getByTestId('copy-as-text');
  await expect(text).toHaveText(`relayscope send --as sensor --to logger --hex ${bytes.toString('hex')}`);
  await ui.detailPane.getByTestId('copy-as').click();
  await expect(ui.detailPane.getByText('copied')).toBeVisible();
  // The test files compile without the DOM's types; in the page, globalThis is the window.
  const copied = await ui.page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText());

  // Run what was copied, as a user pasting it into a shell where relayscope is installed.
  const bin = path.join(session.directory, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'relayscope'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(REPO_ROOT, 'bin', 'relayscope.js')}" "$@"\n`, { mode: 0o755 });
  execFileSync('sh', ['-c', copied], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, RELAYSCOPE_SOCKET: session.socket } });
  expect((await logger.waitForExit()).code).toBe(0);
  const received = logger.stdout
    .trimEnd()
    .split('\n')
    .map((line) => Buffer.from(JSON.parse(line).base64, 'base64'));
  expect(received).toEqual([bytes, bytes]);

  const format = ui.detailPane.getByTestId('copy-as-format');
  await format.selectOption('c');
  await expect(text).toContainText(`const uint8_t message[${bytes.length}] = {`);
  await format.selectOption('python');
  await expect(text).toHaveText(/^b'\{"temp": 31, "note": "it\\'s \$HOME"\}\\x00\\xff\\n'$/);
  await format.selectOption('json');
  await expect(text).toContainText('so not JSON');
  await expect(ui.detailPane.getByTestId('copy-as')).toBeDisabled();
  await format.selectOption('cli');
  await ui.page.screenshot({ path: screenshotPath(testInfo, 'copy-as') });
});
