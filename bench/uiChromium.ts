import type { LaunchOptions } from '@playwright/test';

/**
 * The system Chromium (Debian's `chromium` package), launched the same way by the end-to-end tests
 * (playwright.config.ts) and the UI load benchmark (bench/uiLoad.ts). Playwright's own browser
 * downloads are never used.
 */
export const CHROMIUM_EXECUTABLE = '/usr/lib/chromium/chromium';

export const CHROMIUM_LAUNCH_OPTIONS: LaunchOptions = {
  executablePath: CHROMIUM_EXECUTABLE,
  // --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start. The rest
  // keep the browser from doing background work (updates, sync, network probes) that would add
  // noise to the benchmark and outbound traffic to the tests.
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
};
