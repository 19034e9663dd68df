import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttachedHubBackend } from '../../electron/bridge/AttachedHubBackend';
import { LocalHubBackend } from '../../electron/bridge/LocalHubBackend';
import { RelayClient } from '../../electron/client';
import { closeQuestion, confirmClose, type CloseQuestion } from '../../electron/shell/closeConfirmation';
import { Cleanup } from '../support/cleanup';
import { makeTempDir, removeTempDir } from '../support/tempDir';

describe('the close question', () => {
  const local = { listeners: ['/run/user/1000/relayscope.sock'], attachedTo: null };

  it('is not asked when no module is connected', () => {
    expect(closeQuestion(local, [])).toBeNull();
  });

  it('is not asked when attached to a hub that keeps running after the window closes', () => {
    expect(closeQuestion({ listeners: ['/tmp/hub.sock'], attachedTo: '/tmp/hub.sock' }, ['a', 'b'])).toBeNull();
  });

  it('names the hub and the modules that closing would disconnect', () => {
    expect(closeQuestion(local, ['sensor'])).toEqual({
      message: 'Stop the hub? 1 module is connected.',
      detail: 'Closing Relayscope stops the hub on /run/user/1000/relayscope.sock and disconnects sensor.',
      buttons: ['Stop the hub and close', 'Cancel'],
    });
    const many = closeQuestion(local, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
    expect(many?.message).toBe('Stop the hub? 7 modules are connected.');
    expect(many?.detail).toContain('disconnects m1, m2, m3, m4, m5, and 2 more.');
  });
});

describe('confirming the close against a real hub', () => {
  let cleanup: Cleanup;
  let socket: string;
  let backend: LocalHubBackend;
  let asked: CloseQuestion[];

  beforeEach(async () => {
    cleanup = new Cleanup();
    const dir = makeTempDir();
    cleanup.add(() => removeTempDir(dir));
    socket = path.join(dir, 'hub.sock');
    backend = await LocalHubBackend.start([{ kind: 'path', path: socket }]);
    cleanup.add(() => backend.close());
    asked = [];
  });

  afterEach(() => cleanup.run());

  const answer = (approve: boolean) => async (question: CloseQuestion) => {
    asked.push(question);
    return approve;
  };

  async function connectModule(id: string): Promise<void> {
    const client = await RelayClient.connect({ id, socket, reconnect: false });
    cleanup.add(() => client.close());
  }

  it('closes without asking while no module is connected', async () => {
    expect(await confirmClose(backend, answer(false))).toBe(true);
    expect(asked).toEqual([]);
  });

  it('asks while a module is connected, and follows the answer', async () => {
    await connectModule('sensor');
    expect(await confirmClose(backend, answer(false))).toBe(false);
    expect(await confirmClose(backend, answer(true))).toBe(true);
    expect(asked.map((question) => question.detail)).toEqual([
      `Closing Relayscope stops the hub on ${socket} and disconnects sensor.`,
      `Closing Relayscope stops the hub on ${socket} and disconnects sensor.`,
    ]);
  });

  it('does not ask when attached as a monitor, even with modules connected', async () => {
    await connectModule('sensor');
    const attached = await AttachedHubBackend.attach({ socket });
    cleanup.add(() => attached.close());
    expect(await confirmClose(attached, answer(false))).toBe(true);
    expect(asked).toEqual([]);
  });
});
