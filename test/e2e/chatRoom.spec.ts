/**
 * The chat room of the third background article, its server replaced by `relayscope serve --plain
 * line=tcp://… --max-connections 3`. The article has no client program: its users typed into a
 * terminal program over TCP; socat plays them here. Three chat, a fourth is told "too many users",
 * and the monitor (which holds no connection of the hub's three) shows each with its process's pid.
 */
import type { Page } from '@playwright/test';
import { Cleanup } from '../support/cleanup';
import { spawnTracked, type TrackedChild } from '../support/processes';
import { waitUntil } from '../support/waitUntil';
import { expect, screenshotPath, test } from './support/fixtures';
import { MonitorUi } from './support/monitorUi';
import { ServeSession } from './support/serveSession';

const LINE_LISTENER = /^relayscope hub listening on tcp:\/\/127\.0\.0\.1:(\d+) for line programs$/;

async function openMonitor(page: Page, session: ServeSession): Promise<MonitorUi> {
  await page.goto(session.url.href);
  await expect(page.getByTestId('status-bar')).toBeVisible();
  return new MonitorUi(page);
}

test('three TCP users chat through --plain line, a fourth hears "too many users", and the monitor and list show their pids', async ({ page }, testInfo) => {
  const cleanup = new Cleanup();
  const session = await ServeSession.start((dir) => ['--socket', `${dir}/hub.sock`, '--plain', 'line=tcp://127.0.0.1:0', '--max-connections', '3']);
  cleanup.add(() => session.close());
  try {
    const port = (LINE_LISTENER.exec(await session.serve.waitForStdout(LINE_LISTENER)) as RegExpExecArray)[1];
    const ui = await openMonitor(page, session);
    const join = (name: string): TrackedChild => {
      const user = spawnTracked(cleanup, 'socat', ['-', `TCP:127.0.0.1:${port}`]);
      user.child.stdin?.write(`/nick ${name}\n`);
      return user;
    };
    const users = { alice: join('alice'), bob: join('bob'), dave: join('dave') };

    for (const [name, user] of Object.entries(users)) {
      // The pid is the socat process's own, found from /proc/net/tcp and its descriptors: the process column names it, the transport column has the peer's address.
      await expect(ui.moduleRow(name).locator('td').nth(1)).toHaveText(new RegExp(`^socat ${user.child.pid} · `));
      await expect(ui.moduleRow(name).locator('td').nth(2)).toHaveText(/^tcp 127\.0\.0\.1:\d+$/);
    }

    for (const [name, user] of Object.entries(users)) user.child.stdin?.write(`hello from ${name}\n`);
    for (const [name, user] of Object.entries(users)) {
      const others = Object.keys(users).filter((other) => other !== name);
      await waitUntil(() => others.every((other) => user.stdout().includes(`${other}: hello from ${other}\n`)), `${name} reads the other two`);
      expect(user.stdout()).not.toContain(`${name}: `);
    }

    const fourth = spawnTracked(cleanup, 'socat', ['-t', '1', '-', `TCP:127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect((await fourth.exited).stdout).toBe('! too many users: the hub allows 3 connections\n');
    // relayscope list is a connection too, so the full room turns it away as well.
    await expect(session.cli('list')).rejects.toThrow(/too many connections: the hub allows 3/);
    await expect(ui.moduleRows).toHaveCount(3);
    await page.screenshot({ path: screenshotPath(testInfo, 'chat-room-three-users'), fullPage: true });

    users.dave.child.stdin?.end();
    await expect(ui.moduleRow('dave')).toHaveAttribute('data-connected', 'false');
    const listed = JSON.parse(await session.cli('list', '--format', 'json')) as { modules: { id: string; pid?: number; framing?: string; transport: string }[] };
    // Sorted by ID: the list is in join order, and the three socat users connect at once.
    const modules = listed.modules.map(({ id, pid, framing, transport }) => ({ id, pid, framing, transport })).sort((a, b) => a.id.localeCompare(b.id));
    expect(modules).toEqual([
      { id: 'alice', pid: users.alice.child.pid, framing: 'line', transport: 'tcp' },
      { id: 'bob', pid: users.bob.child.pid, framing: 'line', transport: 'tcp' },
    ]);
  } finally {
    await cleanup.run();
  }
});
