import * as path from 'node:path';
import { test as base, expect, type TestInfo } from '@playwright/test';
import { MonitorUi } from './monitorUi';
import { ServeSession } from './serveSession';

const SCREENSHOT_DIR = path.resolve(__dirname, '..', '..', '..', 'test-results', 'e2e-screenshots');

export interface MonitorFixtures {
  /** This test's own `relayscope serve` and hub, with the module processes it starts. */
  session: ServeSession;
  /** A page that opened the session's token URL and landed on the UI. */
  ui: MonitorUi;
}

/**
 * Every test gets a fresh serve + hub and a page on it. The page's end state is saved as
 * test-results/e2e-screenshots/NAME.png (pass or fail), and an uncaught error in the page fails the test.
 */
export const test = base.extend<MonitorFixtures>({
  // Playwright reads the fixtures a fixture needs from its first parameter, which must be a destructuring pattern.
  // biome-ignore lint/correctness/noEmptyPattern: Playwright requires the pattern even when it needs no fixture.
  session: async ({}, use) => {
    const session = await ServeSession.start();
    try {
      await use(session);
    } finally {
      await session.close();
    }
  },

  ui: async ({ page, session }, use, testInfo) => {
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error.stack ?? error)));
    await page.goto(session.url.href);
    // The page takes the token from the fragment and removes it from the address.
    await expect(page).toHaveURL(`${session.origin}/`);
    await expect(page.getByTestId('status-bar')).toBeVisible();
    await use(new MonitorUi(page));
    await page.screenshot({ path: screenshotPath(testInfo), fullPage: true });
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  },
});

export { expect };

export function screenshotPath(testInfo: TestInfo, name = slug(testInfo.title)): string {
  return path.join(SCREENSHOT_DIR, `${name}.png`);
}

function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
