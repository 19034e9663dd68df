import { RelayClient } from '../../electron/client';
import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures';

/** Messages A → B every millisecond or so, so the live tail moves between any two frames. */
async function streamRows(socket: string): Promise<{ stop: () => Promise<void> }> {
  const client = await RelayClient.connect({ id: 'A', socket, reconnect: false });
  let n = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < 20; i++) client.send('B', `row ${n++}`);
  }, 1);
  return {
    stop: async () => {
      clearInterval(timer);
      await client.close();
    },
  };
}

/**
 * Sets the table's scrollTop (`change`, e.g. "-= 20000") and returns how far from the end it is in
 * each of the ten frames after. A string: it runs in the page, and test/ is type-checked against
 * Node's typings (no requestAnimationFrame).
 */
async function jumpAndWatch(page: Page, change: string): Promise<number[]> {
  return (await page.evaluate(`(async () => {
    const element = document.querySelector('.traffic-scroller');
    element.scrollTop ${change};
    const fromEnd = [];
    for (let frame = 0; frame < 10; frame++) {
      await new Promise((resolve) => requestAnimationFrame(resolve));
      fromEnd.push(element.scrollHeight - element.clientHeight - element.scrollTop);
    }
    return fromEnd;
  })()`)) as number[];
}

// A scroll reaches the table as a scroll event in the next frame, after the live tail had moved it
// back to the end in the same frame, or, once handled, the row the tail had at the top pulled the
// table back to it: the table stayed at the end (bench:ui's scroll back found it so). Back at the
// end, that row pulled it up again.
test('a jump up (the scrollbar thumb dragged) takes the table away from the live tail while rows keep coming, and one to the end back to it', async ({ session, ui }) => {
  const { page } = ui;
  await session.listen('B');
  const stream = await streamRows(session.socket);
  try {
    const scroller = page.locator('.traffic-scroller');
    await expect.poll(async () => Number(await scroller.getAttribute('aria-rowcount'))).toBeGreaterThan(2000);
    const follow = page.getByRole('button', { name: /follow the live tail/ });
    for (let turn = 0; turn < 8; turn++) {
      await expect(follow).toHaveCount(0);
      // How far from the end the table is in each of the ten frames after the jump up: never nearer than the jump took it.
      const up = await jumpAndWatch(page, '-= 20000');
      expect(Math.min(...up), `turn ${turn} up: ${up.join(' ')} px from the end`).toBeGreaterThanOrEqual(19_980);
      await expect(follow).toBeVisible();
      // Back to the end the same way: the table follows the tail again, not the row it had at the top.
      const down = await jumpAndWatch(page, '= element.scrollHeight');
      expect(down[down.length - 1], `turn ${turn} down: ${down.join(' ')} px from the end`).toBeLessThan(400);
      await expect(follow).toHaveCount(0);
    }
  } finally {
    await stream.stop();
  }
});
