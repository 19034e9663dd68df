import { defineConfig } from '@playwright/test';
import { CHROMIUM_LAUNCH_OPTIONS } from './bench/uiChromium';

// End-to-end tests of the monitor UI in browser mode: each test runs its own `relayscope serve`
// (hub included), real module processes, and the built UI (dist/renderer) in the system Chromium.
// Kept apart from vitest, which only collects test/**/*.test.ts.
export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '*.spec.ts',
  globalSetup: './test/e2e/support/globalSetup.ts',
  outputDir: 'test-results/e2e',
  // One test at a time: each starts a hub, a server, module processes and a browser page, and the
  // CI machine has two cores.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  use: {
    headless: true,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: CHROMIUM_LAUNCH_OPTIONS,
  },
});
