import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CliProcesses } from '../support/cliProcess';
import { expect, screenshotPath, test } from './support/fixtures';
import { MonitorUi } from './support/monitorUi';
import { ServeSession } from './support/serveSession';

test('attached: when the hub stops the UI says so at once, keeps the modules as last known, and says when it is back', async ({ page }, testInfo) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-outage-'));
  const socket = path.join(dir, 'hub.sock');
  const processes = new CliProcesses();
  const startHub = async () => {
    const hub = processes.start(['hub', '--socket', socket]);
    await hub.waitForStdout(`relayscope hub listening on ${socket}`, 10_000);
    return hub;
  };
  const hub = await startHub();
  const attached = await ServeSession.start(() => ['--attach', socket]);
  try {
    const ui = new MonitorUi(page);
    await page.goto(attached.url.href);
    await attached.listenAt(socket, 'B');
    await expect(ui.moduleRow('B')).toHaveAttribute('data-connected', 'true');
    await expect(page.getByTestId('hub-link')).toHaveCount(0);

    await hub.stop();
    // The backend (serve) is still there; the hub behind it is not.
    await expect(ui.statusBar.getByTestId('connection-state')).toHaveText('backend: connected');
    await expect(page.getByTestId('hub-link')).toContainText('hub: UNREACHABLE');
    await expect(page.getByTestId('modules-panel')).toHaveAttribute('data-stale', 'true');
    await expect(page.getByTestId('modules-stale')).toContainText('hub unreachable since');
    await expect(page.getByTestId('kick-button').first()).toBeDisabled();
    // The traffic table notes it among the system rows (hidden until that kind is shown).
    await page.getByTestId('kind-toggle').filter({ hasText: 'system' }).click();
    await expect(page.getByText(/lost the hub/)).toBeVisible();
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: screenshotPath(testInfo, 'hub-outage-1280x720') });

    await startHub();
    await expect(page.getByTestId('hub-link')).toHaveCount(0, { timeout: 10_000 });
    await expect(page.getByTestId('modules-panel')).toHaveAttribute('data-stale', 'false');
    await expect(page.getByText(/reconnected to the hub; messages relayed while it was unreachable were not seen/)).toBeVisible();
  } finally {
    await attached.close();
    await processes.stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
