/**
 * `node dist/bench/uiOpen.js` (after npm run build): opening a 1,000,000-message recording in the
 * monitor UI (`relayscope serve --open`) in the system Chromium, headless. Writes the capture (64 B
 * messages among 8 modules, 10 µs apart), starts serve on it and measures: the time from loading the
 * page to the first traffic rows, to the first window fully loaded (100,000 messages), until the
 * background scan has counted the whole file (the timeline's total), a jump to the middle on the
 * timeline until its rows show, and frame times while scrolling the table; the page's JS heap and
 * serve's RSS. It prints a table and asserts nothing.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from '@playwright/test';
import { McapCaptureWriter } from '../electron/capture/McapCaptureWriter';
import { CHROMIUM_LAUNCH_OPTIONS } from './uiChromium';

const REPO_ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(REPO_ROOT, 'bin', 'relayscope.js');
const COUNT = Number(process.env.BENCH_OPEN_MESSAGES ?? 1_000_000);
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

async function writeCapture(file: string): Promise<number> {
  const info = { hub: 'bench', sockets: [], host: 'bench', startTime: Date.now() * 1000 - COUNT * 10, relayscopeVersion: 'bench', missed: 0, countersAtStart: null, countersAtEnd: null };
  const start = performance.now();
  const writer = await McapCaptureWriter.create(file, info);
  const payload = new TextEncoder().encode('{"reading":12.5,"unit":"C","sensor":"bench-sensor-0001","seq":0000000}');
  for (let i = 0; i < COUNT; i++) {
    writer.write({
      type: 'message',
      time: info.startTime + i * 10,
      kind: 'unicast',
      source: `m${i % 8}`,
      destination: `m${(i + 1) % 8}`,
      correlationId: i,
      injected: false,
      payload: payload.subarray(0, 64),
    });
    if (writer.pending > 50_000) await writer.flushed();
  }
  await writer.close();
  return performance.now() - start;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-open-bench-'));
  const file = path.join(dir, 'million.mcap');
  const runtimeDir = path.join(dir, 'run');
  fs.mkdirSync(runtimeDir, { mode: 0o700 });
  const writeMs = await writeCapture(file);
  const serve = spawn(process.execPath, [CLI, 'serve', '--open', file, '--port', '0'], { env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir }, stdio: ['ignore', 'pipe', 'inherit'] });
  const browser = await chromium.launch(CHROMIUM_LAUNCH_OPTIONS);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      serve.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /open (http:\/\/\S+)/.exec(out);
        if (match) resolve(match[1]);
      });
      serve.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const cdp = await page.context().newCDPSession(page);
    const loadStart = performance.now();
    await page.goto(url);
    await page.getByTestId('traffic-row').first().waitFor();
    const firstRowsMs = performance.now() - loadStart;
    await page.locator('[data-testid="match-count"][data-row-count="100000"]').waitFor({ timeout: 120_000 });
    const windowMs = performance.now() - loadStart;
    await page.locator(`[data-testid="timeline-summary"][data-messages="${COUNT}"]`).waitFor({ timeout: 300_000 });
    const scanMs = performance.now() - loadStart;
    const serveRssAfterScan = rssOf(serve.pid as number);

    // Frame times while scrolling through the loaded window.
    // A string: this file compiles against Node's typings, without the DOM's.
    const frames = (await page.evaluate(`(async () => {
      const scroller = document.querySelector('.traffic-scroller');
      const deltas = [];
      let last = performance.now();
      for (let i = 0; i < 120; i++) {
        scroller.scrollTop += scroller.clientHeight * 3;
        await new Promise((resolve) => requestAnimationFrame(resolve));
        const now = performance.now();
        deltas.push(now - last);
        last = now;
      }
      deltas.sort((a, b) => a - b);
      return { median: deltas[Math.floor(deltas.length / 2)], p95: deltas[Math.floor(deltas.length * 0.95)], max: deltas[deltas.length - 1] };
    })()`)) as { median: number; p95: number; max: number };

    const seekStart = performance.now();
    const timeline = page.getByTestId('timeline');
    const box = await timeline.boundingBox();
    if (box === null) throw new Error('no timeline');
    const before = await page.getByTestId('timeline-window-start').textContent();
    await timeline.click({ position: { x: box.width / 2, y: box.height / 2 } });
    await page
      .getByTestId('timeline-window-start')
      .filter({ hasNotText: before ?? '' })
      .waitFor();
    await page.getByTestId('traffic-row').first().waitFor();
    const seekMs = performance.now() - seekStart;
    await page.locator('[data-testid="match-count"][data-row-count="100000"]').waitFor({ timeout: 120_000 });
    const seekWindowMs = performance.now() - seekStart;

    const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
    const serveRss = rssOf(serve.pid as number);
    console.log(`\nOpening a recording of ${fmt(COUNT)} messages of 64 B (${fmt(fs.statSync(file).size / 1e6, 1)} MB, written in ${fmt(writeMs)} ms) with relayscope serve --open, in Chromium:`);
    const rows: [string, string][] = [
      ['page load → first rows', `${fmt(firstRowsMs)} ms`],
      ['page load → first window loaded (100,000 rows)', `${fmt(windowMs)} ms`],
      [`page load → whole file scanned (timeline shows ${fmt(COUNT)})`, `${fmt(scanMs)} ms`],
      ['timeline jump to the middle → its first rows', `${fmt(seekMs)} ms`],
      ['timeline jump → its window loaded', `${fmt(seekWindowMs)} ms`],
      ['frame while scrolling (median / p95 / max)', `${fmt(frames.median, 1)} / ${fmt(frames.p95, 1)} / ${fmt(frames.max, 1)} ms`],
      ['page JS heap (100,000 rows loaded)', `${fmt(heap.usedSize / 1e6)} MB`],
      ['serve RSS after the scan / at the end', `${fmt(serveRssAfterScan / 1e6)} / ${fmt(serveRss / 1e6)} MB`],
    ];
    for (const [what, value] of rows) console.log(`  ${what.padEnd(62)} ${value}`);
  } finally {
    await browser.close();
    serve.kill('SIGTERM');
    await new Promise((resolve) => serve.once('exit', resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
