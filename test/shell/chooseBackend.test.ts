import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCaptureWriter } from '../../electron/capture/captureFiles';
import { ListenError } from '../../electron/hub';
import { attachBackend, chooseBackend, type BackendChoice } from '../../electron/shell/chooseBackend';
import type { BackendTarget } from '../../electron/serve/backendTarget';
import { parseAppOptions } from '../../electron/shell/appOptions';
import { Cleanup } from '../support/cleanup';
import { startHub } from '../support/hubFixture';
import { makeTempDir, removeTempDir } from '../support/tempDir';

function hubOn(socket: string): BackendTarget {
  return parseAppOptions(['--socket', socket], {}).target;
}

/** A socket file with nothing listening, as a hub killed with SIGKILL leaves behind. */
async function staleSocketFile(file: string): Promise<void> {
  const server = net.createServer();
  const boundName = `${file}.bound`;
  await new Promise<void>((resolve) => server.listen(boundName, resolve));
  fs.linkSync(boundName, file);
  // Closing unlinks only the name it bound; the link stays, with nobody behind it.
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('choosing the backend', () => {
  let cleanup: Cleanup;
  let dir: string;

  beforeEach(() => {
    cleanup = new Cleanup();
    dir = makeTempDir();
    cleanup.add(() => removeTempDir(dir));
  });

  afterEach(() => cleanup.run());

  function closeWhenDone(choice: BackendChoice): BackendChoice {
    if (choice.outcome !== 'live hub found') cleanup.add(() => choice.backend.close());
    return choice;
  }
  it('opens a recording with --open and runs no hub; a missing file is an error naming it', async () => {
    const file = path.join(dir, 'rec.jsonl');
    const writer = await createCaptureWriter(file, { hub: 'h', sockets: [], host: 'x', startTime: 1, relayscopeVersion: 't', missed: 0, countersAtStart: null, countersAtEnd: null });
    writer.write({ type: 'message', time: 2, kind: 'unicast', source: 'A', destination: 'B', correlationId: 0, injected: false, payload: Buffer.from('hi') });
    await writer.close();
    const choice = closeWhenDone(await chooseBackend({ kind: 'open', file }));
    expect(choice.outcome).toBe('opened recording');
    if (choice.outcome === 'opened recording') expect(choice.backend.describe()).toMatchObject({ listeners: [], attachedTo: null, offline: { file } });
    await expect(chooseBackend({ kind: 'open', file: path.join(dir, 'gone.mcap') })).rejects.toThrow(`${path.join(dir, 'gone.mcap')}: no such file`);
  });

  it('starts a local hub that modules can reach when the socket is free', async () => {
    const socket = path.join(dir, 'hub.sock');
    const choice = closeWhenDone(await chooseBackend(hubOn(socket)));
    expect(choice.outcome).toBe('started local hub');
    expect(fs.statSync(socket).isSocket()).toBe(true);
    if (choice.outcome === 'started local hub') {
      expect(choice.backend.describe()).toEqual({ listeners: [socket], attachedTo: null });
      expect(choice.announcements).toEqual([`relayscope hub listening on ${socket}`]);
    }
  });

  it('reports a live hub found, without touching it, when a hub already answers on the socket', async () => {
    const live = await startHub(cleanup);
    const socket = live.address.kind === 'path' ? live.address.path : '';
    const choice = await chooseBackend(hubOn(socket));
    expect(choice).toMatchObject({ outcome: 'live hub found', address: socket, reason: expect.stringContaining('already listening'), token: undefined });
    // The running hub still accepts modules on its socket.
    await live.register('still-served');
    expect(live.hub.moduleIds()).toContain('still-served');
  });

  it('attaches as a monitor to the live hub it found, when the user agrees', async () => {
    const live = await startHub(cleanup);
    await live.register('worker');
    const socket = live.address.kind === 'path' ? live.address.path : '';
    const backend = await attachBackend(socket, undefined);
    cleanup.add(() => backend.close());
    expect(backend.describe()).toEqual({ listeners: [socket], attachedTo: socket });
    expect((await backend.snapshot()).modules.map((m) => m.id)).toEqual(['worker']);
  });

  it('removes a stale socket file and starts a local hub in its place', async () => {
    const socket = path.join(dir, 'hub.sock');
    await staleSocketFile(socket);
    const warnings: string[] = [];
    const choice = closeWhenDone(await chooseBackend(hubOn(socket), { warn: (line) => warnings.push(line) }));
    expect(choice.outcome).toBe('started local hub');
    expect(warnings).toEqual([`removed stale socket file ${socket} (nothing was listening on it)`]);
  });

  it('fails with the ListenError when the address cannot be used and no hub answers there', async () => {
    const file = path.join(dir, 'not-a-socket');
    fs.writeFileSync(file, 'data');
    await expect(chooseBackend(hubOn(file))).rejects.toThrow(ListenError);
    expect(fs.readFileSync(file, 'utf8')).toBe('data');
  });

  it('attaches directly with --attach, and fails with a clear error when nothing answers there', async () => {
    const live = await startHub(cleanup);
    const socket = live.address.kind === 'path' ? live.address.path : '';
    const choice = closeWhenDone(await chooseBackend({ kind: 'attach', socket, token: undefined, record: undefined }));
    expect(choice.outcome).toBe('attached');
    const missing = path.join(dir, 'missing.sock');
    await expect(chooseBackend({ kind: 'attach', socket: missing, token: undefined, record: undefined })).rejects.toThrow(missing);
  });
});
