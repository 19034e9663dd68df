import * as path from 'node:path';
import { expect, test } from './support/fixtures';

test('the status bar moves the hub to another socket, and modules connect there', async ({ session, ui }) => {
  const moved = path.join(path.dirname(session.socket), 'moved.sock');
  await ui.page.getByTestId('sockets-edit').click();
  await ui.page.getByTestId('sockets-input').fill(`${session.socket}, ${moved}`);
  await ui.page.getByTestId('sockets-apply').click();
  await expect(ui.page.getByTestId('sockets-edit')).toContainText(moved);

  await session.listenAt(moved, 'M');
  await expect(ui.moduleRow('M')).toBeVisible();

  await ui.page.getByTestId('sockets-edit').click();
  await ui.page.getByTestId('sockets-input').fill('tcp://nowhere');
  await ui.page.getByTestId('sockets-apply').click();
  await expect(ui.page.getByTestId('sockets-error')).toContainText('INVALID_ADDRESS');
});
