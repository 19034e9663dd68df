import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from '@playwright/test';
import { createCaptureWriter } from '../../electron/capture/captureFiles';
import type { CaptureInfo, CaptureRecord } from '../../electron/capture/captureRecord';
import { readPcapngCapture } from '../../electron/capture/pcapngReader';
import { readMcapCapture } from '../../electron/capture/readMcapCapture';
import { expect, test } from './support/fixtures';
import { MonitorUi } from './support/monitorUi';
import { ServeSession } from './support/serveSession';

/** The README's screenshots are refreshed with UPDATE_SCREENSHOTS=1; other runs leave the committed ones alone. */
const SCREENSHOTS = path.resolve(__dirname, '..', '..', process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : 'test-results/e2e-screenshots');

async function collect<T>(records: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const record of records) all.push(record);
  return all;
}

/** Clicks `trigger` and saves the download it starts under `file`. */
async function download(page: Page, file: string, trigger: () => Promise<void>): Promise<string> {
  const started = page.waitForEvent('download');
  await trigger();
  const downloaded = await started;
  await downloaded.saveAs(file);
  return downloaded.suggestedFilename();
}

/**
 * Drops a file on the page as a person dragging it from a file manager would: dragover, then drop,
 * with a DataTransfer holding the file (built in the page; the test files compile without the DOM's
 * types, and in the page globalThis is the window).
 */
async function dropFile(page: Page, name: string, bytes: Buffer): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ name, base64 }) => {
      const page = globalThis as unknown as {
        atob(text: string): string;
        DataTransfer: new () => { items: { add(file: unknown): void } };
        File: new (parts: unknown[], name: string) => unknown;
      };
      const binary = page.atob(base64);
      const data = Uint8Array.from(binary, (char) => char.charCodeAt(0));
      const transfer = new page.DataTransfer();
      transfer.items.add(new page.File([data], name));
      return transfer;
    },
    { name, base64: bytes.toString('base64') },
  );
  await page.dispatchEvent('body', 'dragover', { dataTransfer });
  await page.dispatchEvent('body', 'drop', { dataTransfer });
}

const SECOND = 1_000_000;

/**
 * A recording over 60 s, written with the project's MCAP writer: A and B join at once, C after 1 s;
 * A sends B five messages in its first seconds and leaves at 10 s; C sends B seven from 40 s on.
 */
async function writeRecording(file: string): Promise<{ start: number }> {
  const start = (Date.now() - 120_000) * 1000;
  const info: CaptureInfo = { hub: 'test-host:hub.sock', sockets: ['hub.sock'], host: 'test-host', startTime: start, relayscopeVersion: 'test', missed: 0, countersAtStart: null, countersAtEnd: null };
  const writer = await createCaptureWriter(file, info);
  const records: CaptureRecord[] = [
    { type: 'event', time: start, event: 'join', id: 'A', code: 0, detail: '' },
    { type: 'event', time: start + 1, event: 'join', id: 'B', code: 0, detail: '' },
    { type: 'event', time: start + SECOND, event: 'join', id: 'C', code: 0, detail: '' },
  ];
  for (let i = 0; i < 5; i++)
    records.push({ type: 'message', time: start + (1 + i) * SECOND, kind: 'unicast', source: 'A', destination: 'B', correlationId: 0, injected: false, payload: Buffer.from(`early ${i}`) });
  records.push({ type: 'event', time: start + 10 * SECOND, event: 'leave', id: 'A', code: 0, detail: 'bye' });
  for (let i = 0; i < 7; i++)
    records.push({ type: 'message', time: start + (40 + 3 * i) * SECOND, kind: 'unicast', source: 'C', destination: 'B', correlationId: 0, injected: false, payload: Buffer.from(`late ${i}`) });
  records.push({ type: 'event', time: start + 60 * SECOND, event: 'leave', id: 'C', code: 0, detail: 'bye' });
  for (const record of records) writer.write(record);
  await writer.close();
  return { start };
}

test('Record in the live view: elapsed, messages and missed count while it runs, then the file downloads and holds every message', async ({ session, ui }) => {
  const { page } = ui;
  await session.listen('B');
  await page.getByTestId('record-toggle').click();
  await expect(page.getByTestId('record-control')).toHaveAttribute('data-recording', 'running');

  for (const payload of ['one', 'two', 'three']) await session.send('A', 'B', payload);
  await expect(page.getByTestId('record-status')).toHaveAttribute('data-messages', '3');
  await expect(page.getByTestId('record-status')).toHaveAttribute('data-missed', '0');
  await expect(page.getByTestId('record-status')).toContainText('missed 0');

  await page.setViewportSize({ width: 1280, height: 720 });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'recording.png') });
  await page.setViewportSize({ width: 1024, height: 640 });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'recording-1024.png') });

  await page.getByTestId('record-toggle').click();
  await expect(page.getByTestId('record-control')).toHaveAttribute('data-recording', 'stopped');

  const file = path.join(session.directory, 'downloaded.mcap');
  const name = await download(page, file, () => page.getByTestId('record-download').click());
  expect(name).toMatch(/^relayscope-\d{8}-\d{6}-\d{3}\.mcap$/);

  const capture = await readMcapCapture(file);
  expect(capture.indexed).toBe(true);
  const messages = (await collect(capture.records)).filter((record) => record.type === 'message');
  expect(messages.map((message) => [message.source, message.destination, Buffer.from(message.payload).toString()])).toEqual([
    ['A', 'B', 'one'],
    ['A', 'B', 'two'],
    ['A', 'B', 'three'],
  ]);
  expect(capture.info.missed).toBe(0);
});

test('the capture download route refuses a request without the page token', async ({ session, ui }) => {
  const { page } = ui;
  await page.getByTestId('record-toggle').click();
  await expect(page.getByTestId('record-control')).toHaveAttribute('data-recording', 'running');
  await page.getByTestId('record-toggle').click();
  await expect(page.getByTestId('record-download')).toBeVisible();
  const status = await page.evaluate(async () => (await fetch('/captures/00000000000000000000000000000000')).status);
  expect(status).toBe(403);
  const unknown = await page.evaluate(async (token) => (await fetch('/captures/00000000000000000000000000000000', { headers: { 'X-Relayscope-Token': token } })).status, session.token);
  expect(unknown).toBe(404);
});

/** serve --open on a recording written first; the page opened on it. */
async function openRecording(page: Page): Promise<{ session: ServeSession; ui: MonitorUi; start: number; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-rec-'));
  const file = path.join(dir, 'recording.mcap');
  const { start } = await writeRecording(file);
  const session = await ServeSession.start(() => ['--open', file]);
  await page.goto(session.url.href);
  await expect(page.getByTestId('status-bar')).toBeVisible();
  return { session, ui: new MonitorUi(page), start, dir };
}

test('serve --open shows the recording: its rows, the modules with when they joined and left, and the timeline jumps to a moment', async ({ page }) => {
  const { session, ui, dir } = await openRecording(page);
  try {
    await expect(ui.trafficRowsFrom('A', 'B')).toHaveCount(5);
    await expect(ui.trafficRowsFrom('C', 'B')).toHaveCount(7);
    await expect(page.getByTestId('offline-module')).toHaveCount(3);
    await expect(page.locator('[data-testid="offline-module"][data-module-id="A"]')).toContainText('(bye)');
    await expect(page.getByTestId('timeline-summary')).toHaveAttribute('data-messages', '12');
    await expect(page.getByTestId('composer-send')).toHaveCount(0);

    await ui.trafficRowsFrom('A', 'B').first().click();
    await expect(ui.detailPane.getByTestId('detail-text')).toContainText('early 0');

    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'offline.png') });
    await page.setViewportSize({ width: 1024, height: 640 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'offline-1024.png') });

    // 60 % of the recording's 60 s is 36 s: the window around it holds the whole small file, and the
    // first message from that moment (late 0, at 40 s) is selected, so the table shows it.
    const timeline = page.getByTestId('timeline');
    const box = await timeline.boundingBox();
    if (box === null) throw new Error('the timeline is not laid out');
    await timeline.click({ position: { x: box.width * 0.6, y: box.height / 2 } });
    await expect(ui.detailPane.getByTestId('detail-text')).toContainText('late 0');
    await expect(ui.trafficRows.filter({ hasText: 'late 0' })).toHaveAttribute('aria-selected', 'true');
    await expect(ui.trafficRowsFrom('A', 'B')).toHaveCount(5);
    await expect(page.getByTestId('timeline-later')).toBeDisabled();
    await expect(page.getByTestId('timeline-earlier')).toBeDisabled();

    await timeline.press('Home');
    await expect(ui.detailPane.getByTestId('detail-text')).toContainText('early 0');
  } finally {
    await session.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a recording larger than the 100,000-row window: later and earlier move the window on around its last and first rows, which stay selected', async ({ page }) => {
  test.setTimeout(120_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-rec-'));
  const file = path.join(dir, 'large.mcap');
  const start = (Date.now() - 600_000) * 1000;
  const writer = await createCaptureWriter(file, { hub: 'large', sockets: [], host: 'test-host', startTime: start, relayscopeVersion: 'test', missed: 0, countersAtStart: null, countersAtEnd: null });
  // 150,000 messages 1 ms apart: m0 … m149999.
  for (let i = 0; i < 150_000; i++) {
    writer.write({ type: 'message', time: start + (i + 1) * 1000, kind: 'unicast', source: 'A', destination: 'B', correlationId: 0, injected: false, payload: Buffer.from(`m${i}`) });
    if (writer.pending > 10_000) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await writer.close();
  const session = await ServeSession.start(() => ['--open', file]);
  try {
    await page.goto(session.url.href);
    const ui = new MonitorUi(page);
    const matchCount = page.getByTestId('match-count');
    await expect(matchCount).toHaveAttribute('data-row-count', '100000', { timeout: 60_000 });
    await expect(page.getByTestId('timeline-summary')).toHaveAttribute('data-messages', '150000', { timeout: 60_000 });
    await expect(page.getByTestId('timeline-earlier')).toBeDisabled();

    // The window held m0 … m99999; later loads the one around m99999 (50,000 before it), which is
    // selected and scrolled to.
    await page.getByTestId('timeline-later').click();
    await expect(ui.detailPane.getByTestId('detail-text')).toContainText(/\bm99999\b/);
    await expect(matchCount).toHaveAttribute('data-row-count', '100000', { timeout: 60_000 });
    await expect(ui.trafficRows.filter({ hasText: 'm99999' })).toHaveAttribute('aria-selected', 'true');
    await expect(ui.trafficRows.filter({ hasText: 'm49999' })).toHaveCount(0);
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'offline-window-later.png') });

    // That window ends at m149998; later again reaches the end of the file.
    await page.getByTestId('timeline-later').click();
    await expect(ui.detailPane.getByTestId('detail-text')).toContainText(/\bm149998\b/);
    await expect(matchCount).toHaveAttribute('data-row-count', '50002', { timeout: 60_000 });
    await expect(page.getByTestId('timeline-later')).toBeDisabled();

    // Earlier loads the window around its first row, m99998.
    await page.getByTestId('timeline-earlier').click();
    await expect(ui.detailPane.getByTestId('detail-text')).toContainText(/\bm99998\b/);
    await expect(matchCount).toHaveAttribute('data-row-count', '100000', { timeout: 60_000 });
    await expect(page.getByTestId('timeline-earlier')).toBeEnabled();
    await expect(page.getByTestId('timeline-later')).toBeEnabled();
  } finally {
    await session.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Export… of what the filter shows, as pcapng, downloads only the filtered messages', async ({ page }) => {
  const { session, ui, dir } = await openRecording(page);
  try {
    await expect(ui.trafficRows).toHaveCount(12);
    await page.getByTestId('filter-module').selectOption('A');
    await expect(ui.trafficRows).toHaveCount(5);

    await page.getByTestId('export-format').selectOption('pcapng');
    await page.getByTestId('export-filtered').check();
    const file = path.join(dir, 'exported.pcapng');
    const name = await download(page, file, () => page.getByTestId('export-run').click());
    expect(name).toMatch(/-filtered-.*\.pcapng$/);
    await expect(page.getByTestId('export-result')).toHaveAttribute('data-records', '5');

    const capture = await readPcapngCapture(file);
    const records = await collect(capture.records);
    expect(records.map((record) => (record.type === 'message' ? `${record.source}>${record.destination}` : record.type))).toEqual(Array(5).fill('A>B'));
    // Wireshark's reader with the shipped dissector sees the same five packets.
    const lua = path.resolve(__dirname, '..', '..', 'wireshark', 'relayscope.lua');
    const decoded = execFileSync('tshark', ['-X', `lua_script:${lua}`, '-r', file, '-T', 'fields', '-e', 'relayscope.src', '-e', 'relayscope.payload'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(decoded.trim().split('\n')).toHaveLength(5);
    expect(
      decoded
        .trim()
        .split('\n')
        .every((line) => line.startsWith('A\t')),
    ).toBe(true);
  } finally {
    await session.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('replay into a live hub from the offline view: failures by reason when nobody listens, then every message delivered', async ({ page }) => {
  const { session, ui, dir } = await openRecording(page);
  const live = await ServeSession.start();
  try {
    await expect(ui.trafficRows).toHaveCount(12);
    await page.getByTestId('replay-socket').fill(live.socket);
    await page.getByTestId('replay-speed').selectOption('fast');
    await page.getByTestId('replay-start').click();
    const result = page.getByTestId('replay-result');
    await expect(result).toHaveAttribute('data-running', 'false');
    await expect(result).toHaveAttribute('data-failed', '12');
    await expect(result).toContainText('NO_SUCH_MODULE ×12');

    const listener = await live.listen('B');
    await page.getByTestId('replay-start').click();
    await expect(result).toHaveAttribute('data-running', 'false');
    await expect(result).toHaveAttribute('data-delivered', '12');
    await expect(result).toHaveAttribute('data-failed', '0');
    await listener.waitForStdout(/late 6/, 10_000);

    await ui.trafficRowsFrom('C', 'B').first().click();
    await page.getByTestId('replay-scope').selectOption('selected');
    await page.getByTestId('replay-start').click();
    await expect(result).toHaveAttribute('data-delivered', '1');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'offline-replay.png') });
  } finally {
    await live.close();
    await session.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('rows selected with Shift- and Ctrl-click in the offline table replay into a live hub: exactly those messages, in order', async ({ page }) => {
  const { session, ui, dir } = await openRecording(page);
  const live = await ServeSession.start();
  try {
    await expect(ui.trafficRows).toHaveCount(12);
    const listener = await live.listen('B');
    const rowWith = (text: string) => ui.trafficRows.filter({ hasText: text });
    // early 1 … late 1 by Shift: early 1-4, late 0 and late 1.
    await rowWith('early 1').click();
    await rowWith('late 1').click({ modifiers: ['Shift'] });
    await expect(page.locator('[data-testid="traffic-row"][aria-selected="true"]')).toHaveCount(6);
    await expect(page.getByTestId('replay-selected-option')).toHaveText('the 6 selected messages');
    // Ctrl-click adds late 5 and takes early 1 out again.
    await rowWith('late 5').click({ modifiers: ['Control'] });
    await rowWith('early 1').click({ modifiers: ['Control'] });
    await expect(page.getByTestId('replay-selected-option')).toHaveText('the 6 selected messages');
    await expect(rowWith('early 1')).toHaveAttribute('aria-selected', 'false');
    await expect(rowWith('late 5')).toHaveAttribute('aria-selected', 'true');

    await page.getByTestId('replay-socket').fill(live.socket);
    await page.getByTestId('replay-speed').selectOption('fast');
    await page.getByTestId('replay-scope').selectOption('selected');
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'offline-replay-selected.png') });
    await page.getByTestId('replay-start').click();
    const result = page.getByTestId('replay-result');
    await expect(result).toHaveAttribute('data-running', 'false');
    await expect(result).toHaveAttribute('data-delivered', '6');
    await expect(result).toHaveAttribute('data-failed', '0');
    await listener.waitForStdout(/late 5/, 10_000);
    const received = listener.stdout.split('\n').filter((line) => /(early|late) \d/.test(line));
    expect(received.map((line) => /(early|late) \d/.exec(line)?.[0])).toEqual(['early 2', 'early 3', 'early 4', 'late 0', 'late 1', 'late 5']);

    // A plain click selects one row again.
    await rowWith('late 3').click();
    await expect(page.locator('[data-testid="traffic-row"][aria-selected="true"]')).toHaveCount(1);
    await expect(page.getByTestId('replay-selected-option')).toHaveText('the selected message');
  } finally {
    await live.close();
    await session.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the browser mode file picker uploads another recording to an offline serve, which shows it instead; a foreign file gets a clear error', async ({ page }) => {
  const { session, ui, dir } = await openRecording(page);
  try {
    await expect(ui.trafficRows).toHaveCount(12);
    const other = path.join(dir, 'other.jsonl');
    const writer = await createCaptureWriter(other, {
      hub: 'other',
      sockets: [],
      host: 'elsewhere',
      startTime: Date.now() * 1000,
      relayscopeVersion: 'test',
      missed: 0,
      countersAtStart: null,
      countersAtEnd: null,
    });
    for (let i = 0; i < 3; i++)
      writer.write({ type: 'message', time: Date.now() * 1000 + i, kind: 'broadcast', source: 'X', destination: null, correlationId: 0, injected: false, payload: Buffer.from(`other ${i}`) });
    await writer.close();

    await page.getByTestId('open-file').setInputFiles(other);
    await expect(ui.trafficRowsFrom('X')).toHaveCount(3);
    await expect(ui.trafficRows).toHaveCount(3);
    await expect(page.getByTestId('offline-file')).toContainText('other on elsewhere');

    const foreign = path.join(dir, 'notes.txt');
    fs.writeFileSync(foreign, 'not a capture');
    await page.getByTestId('open-file').setInputFiles(foreign);
    await expect(page.getByTestId('open-error')).toContainText('unknown extension ".txt"');
    await expect(ui.trafficRows).toHaveCount(3);

    // A recording dropped on the page opens the same way, and the page stays (no navigation to the file).
    const url = page.url();
    await dropFile(page, 'recording.mcap', fs.readFileSync(path.join(dir, 'recording.mcap')));
    await expect(ui.trafficRows).toHaveCount(12);
    await expect(page.getByTestId('offline-file')).toContainText('test-host:hub.sock on test-host');
    await expect(page.getByTestId('open-error')).toHaveCount(0);
    expect(page.url()).toBe(url);
  } finally {
    await session.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Record when attached: written by serve from its monitor connection, and the UI says copies can be missed there', async ({ page }) => {
  const hub = await ServeSession.start();
  const attached = await ServeSession.start(() => ['--attach', hub.socket]);
  try {
    await page.goto(attached.url.href);
    await hub.listen('B');
    await page.getByTestId('record-toggle').click();
    await expect(page.getByTestId('record-status')).toContainText('recorded from a monitor connection');
    await hub.send('A', 'B', 'over the monitor');
    await expect(page.getByTestId('record-status')).toHaveAttribute('data-messages', '1');
    await page.setViewportSize({ width: 1024, height: 640 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'recording-attached-1024.png') });
    await page.getByTestId('record-toggle').click();
    const file = path.join(attached.directory, 'attached.mcap');
    await download(page, file, () => page.getByTestId('record-download').click());
    const messages = (await collect((await readMcapCapture(file)).records)).filter((record) => record.type === 'message');
    expect(messages.map((message) => Buffer.from(message.payload).toString())).toEqual(['over the monitor']);
  } finally {
    await attached.close();
    await hub.close();
  }
});

test('a recording dropped on the live view is refused with what to run instead, and the page stays on the live hub', async ({ session, ui }) => {
  const { page } = ui;
  await session.listen('logger');
  await session.send('sensor', 'logger', 'before the drop');
  await expect(ui.trafficRows).toHaveCount(1);
  const url = page.url();
  await dropFile(page, 'capture.mcap', Buffer.from('whatever is in it'));
  await expect(page.getByTestId('open-error')).toContainText('run relayscope serve --open FILE');
  expect(page.url()).toBe(url);
  await session.send('sensor', 'logger', 'after the drop');
  await expect(ui.trafficRows).toHaveCount(2);
});
