/**
 * Who is behind each module, as the modules panel shows it, with programs that were never written
 * for Relayscope: the classic relay's clientA (gcc-built, on --plain id-byte), a socat line client
 * (--plain line), socat through a tap to a python3 echo server (--tap), and a Relayscope module
 * (relayscope listen). Each shows its executable, pid and user, its framing as a badge, the tap
 * client the upstream it is passed on to; the tapped chunks show their direction and offset.
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { Cleanup } from '../support/cleanup';
import { spawnTracked, type TrackedChild } from '../support/processes';
import { waitUntil } from '../support/waitUntil';
import { startEchoServer } from '../tap/tapPeers';
import { expect, screenshotPath, test } from './support/fixtures';
import { MonitorUi } from './support/monitorUi';
import { ServeSession } from './support/serveSession';

const CLASSIC = path.resolve(__dirname, '..', '..', 'examples', 'classic');
/** The README's screenshot is refreshed with UPDATE_SCREENSHOTS=1; other runs leave the committed one alone. */
const README_SCREENSHOT = path.resolve(__dirname, '..', '..', 'docs', 'screenshots', 'modules-panel.png');
const USER = os.userInfo().username;

test('the modules panel shows the process, user and framing of an id-byte client, a line client, a tapped connection and a Relayscope module', async ({ page }, testInfo) => {
  const cleanup = new Cleanup();
  const session = await ServeSession.start((dir) => [
    '--socket',
    `${dir}/hub.sock`,
    '--plain',
    `id-byte=${dir}/server_socket`,
    '--plain',
    `line=${dir}/line.sock`,
    '--tap',
    `${dir}/tap.sock=${dir}/server.sock`,
  ]);
  cleanup.add(() => session.close());
  try {
    const dir = session.directory;
    await session.serve.waitForStdout(/tapping .*server\.sock/);
    await startEchoServer(cleanup, path.join(dir, 'server.sock'));
    execFileSync('gcc', ['-o', path.join(dir, 'clientA'), path.join(CLASSIC, 'clientA.c')], { stdio: 'pipe' });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(session.url.href);
    const ui = new MonitorUi(page);

    // clientA binds "A" in its directory and connects to server_socket there; it writes after 10 s.
    const classic = spawnTracked(cleanup, path.join(dir, 'clientA'), [], { cwd: dir });
    const line = spawnTracked(cleanup, 'socat', ['-', `UNIX-CONNECT:${dir}/line.sock`]);
    line.child.stdin?.write('/nick chat\n');
    const tapped = spawnTracked(cleanup, 'socat', ['-', `UNIX-CONNECT:${dir}/tap.sock`]);
    tapped.child.stdin?.write('hello\n');
    await waitUntil(() => tapped.stdout() === 'hello\n', 'the echo through the tap');
    tapped.child.stdin?.write('again\n');
    await waitUntil(() => tapped.stdout() === 'hello\nagain\n', 'the second echo');
    const sensor = await session.listen('sensor');
    const tapId = `socat[${tapped.child.pid}]`;

    const expectProcess = async (id: string, exe: string, child: TrackedChild) => expect(ui.moduleRow(id).getByTestId('module-process')).toHaveText(`${exe} ${child.child.pid} · ${USER}`);
    await expectProcess('A', 'clientA', classic);
    await expectProcess('chat', 'socat', line);
    await expectProcess(tapId, 'socat', tapped);
    await expect(ui.moduleRow('sensor').getByTestId('module-process')).toHaveText(new RegExp(`^node(js)? ${sensor.pid} · ${USER}$`));
    // The hub connected to the server: the kernel says who connects, not who accepts.
    await expect(ui.moduleRow('server.sock').getByTestId('module-process')).toHaveText('unknown');
    await expect(ui.moduleRow('server.sock').getByTestId('module-process')).toHaveAttribute('title', /the hub connected to this server/);

    await expect(ui.moduleRow('A').getByTestId('framing-badge')).toHaveText('id-byte');
    await expect(ui.moduleRow('chat').getByTestId('framing-badge')).toHaveText('line');
    await expect(ui.moduleRow(tapId).getByTestId('framing-badge')).toHaveText('tap → server.sock');
    await expect(ui.moduleRow('server.sock').getByTestId('framing-badge')).toHaveText('tap upstream');
    await expect(ui.moduleRow('sensor').getByTestId('framing-badge')).toHaveCount(0);
    // The full path and the arguments are in the tooltip and in the detail an ID opens.
    await expect(ui.moduleRow('chat').getByTestId('module-process')).toHaveAttribute('title', /\/socat1?, args: socat - UNIX-CONNECT:/);
    await ui.moduleRow('A').getByTestId('module-open').click();
    const detail = page.getByTestId('module-detail');
    await expect(detail.locator('[data-fact="executable"]')).toHaveText(path.join(dir, 'clientA'));
    await expect(detail.locator('[data-fact="arguments"]')).toHaveText(path.join(dir, 'clientA'));
    await expect(detail.locator('[data-fact="uid"]')).toHaveText(`${os.userInfo().uid} (${USER})`);
    await expect(detail.locator('[data-fact="speaks"]')).toHaveText('id-byte (a --plain listener)');
    await page.screenshot({ path: screenshotPath(testInfo, 'modules-identity-detail-1280') });
    await ui.moduleRow('A').getByTestId('module-open').click();
    await expect(detail).toHaveCount(0);

    // Each chunk through the tap is a row with its direction and its offset in that direction's stream.
    const toServer = ui.trafficRowsFrom(tapId, 'server.sock');
    await expect(toServer).toHaveCount(2);
    await expect(toServer.getByTestId('row-tap-direction')).toHaveText(['to server', 'to server']);
    await expect(toServer.getByTestId('row-tap-offset')).toHaveText(['@0 ', '@6 ']);
    await expect(ui.trafficRowsFrom('server.sock', tapId).getByTestId('row-tap-direction')).toHaveText(['to client', 'to client']);
    await ui.trafficRowsFrom('server.sock', tapId).nth(1).click();
    await expect(page.getByTestId('detail-tap-direction')).toHaveText('server → client (the server wrote it)');
    await expect(page.getByTestId('detail-tap-bytes')).toHaveText('bytes 6–11 (6 bytes)');

    await page.screenshot({ path: screenshotPath(testInfo, 'modules-identity-1280') });
    if (process.env.UPDATE_SCREENSHOTS === '1') await page.getByTestId('modules-panel').screenshot({ path: README_SCREENSHOT });
    await page.setViewportSize({ width: 1024, height: 640 });
    // At 1024 px the ID and process columns stay in the panel; the counters scroll sideways.
    const panel = await page.getByTestId('modules-panel').boundingBox();
    const cell = await ui.moduleRow(tapId).getByTestId('module-process').boundingBox();
    expect(cell !== null && panel !== null && cell.x + cell.width <= panel.x + panel.width).toBe(true);
    await page.screenshot({ path: screenshotPath(testInfo, 'modules-identity-1024') });
  } finally {
    await cleanup.run();
  }
});
