/**
 * What the UI's contract carries of a tapped connection and of the process behind a module, from a
 * hub in this process and from one attached to: a socat client through a tap to a python3 echo
 * server. Each chunk's message event has its direction and stream offset; the client's module its
 * pid, exe, uid with the user's name, its tap side and the upstream it is passed on to.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AttachedHubBackend } from '../../electron/bridge/AttachedHubBackend';
import { BridgeService } from '../../electron/bridge/BridgeService';
import type { WireEvent, WireSnapshot } from '../../electron/bridge/contract';
import type { HubBackend } from '../../electron/bridge/HubBackend';
import { LocalHubBackend } from '../../electron/bridge/LocalHubBackend';
import { startEchoServer } from '../tap/tapPeers';
import { Cleanup } from '../support/cleanup';
import { spawnTracked } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A hub in this process with a tap in front of a python3 echo server; `attached` watches it through a monitor connection instead. */
async function tappedBridge(attached: boolean) {
  const dir = makeTempDir();
  cleanup.add(() => removeTempDir(dir));
  const socket = path.join(dir, 'hub.sock');
  const local = await LocalHubBackend.start([{ kind: 'path', path: socket }]);
  cleanup.add(() => local.close());
  const upstream = path.join(dir, 'server.sock');
  await startEchoServer(cleanup, upstream);
  const listen = path.join(dir, 'tap.sock');
  await local.hub.addTap({ listen, upstream });
  let backend: HubBackend = local;
  if (attached) {
    const attachedBackend = await AttachedHubBackend.attach({ socket });
    cleanup.add(() => attachedBackend.close());
    backend = attachedBackend;
  }
  const service = new BridgeService(backend);
  const events: WireEvent[] = [];
  cleanup.add(service.subscribe((channel, data) => channel === 'hub:events' && events.push(...(data as WireEvent[]))));
  const snapshot = async (): Promise<WireSnapshot> => {
    const result = await service.call('hub:snapshot', null);
    if (!result.ok) throw new Error(result.error.message);
    return result.value as WireSnapshot;
  };
  return { listen, events, snapshot };
}

describe.each([
  ['a hub in this process', false],
  ['a hub attached to', true],
])('the contract from %s', (_name, attached) => {
  it('carries a tapped chunk’s direction and offset, and who is behind the tapped client', async () => {
    const t = await tappedBridge(attached);
    const client = spawnTracked(cleanup, 'socat', ['-', `UNIX-CONNECT:${t.listen}`]);
    client.child.stdin?.write('ping');
    await waitUntil(() => client.stdout() === 'ping', 'the echo');
    const id = `socat[${client.child.pid}]`;

    const modules = (await t.snapshot()).modules;
    expect(modules.find((module) => module.id === id)).toMatchObject({
      tap: 'client',
      tapUpstream: 'server.sock',
      pid: client.child.pid,
      exe: expect.stringMatching(/\/socat1?$/),
      uid: os.userInfo().uid,
      user: os.userInfo().username,
    });
    expect(modules.find((module) => module.id === 'server.sock')).toMatchObject({ tap: 'upstream' });

    client.child.stdin?.write('pong!');
    await waitUntil(() => client.stdout() === 'pingpong!', 'the second echo');
    const chunks = (): unknown[] => t.events.flatMap((event) => (event.type === 'message' ? [[event.source, event.destination, event.size, event.tap]] : []));
    await waitUntil(() => chunks().length === 4, 'four chunk events');
    expect(chunks()).toEqual([
      [id, 'server.sock', 4, { direction: 'to-upstream', offset: 0, partial: false }],
      ['server.sock', id, 4, { direction: 'to-client', offset: 0, partial: false }],
      [id, 'server.sock', 5, { direction: 'to-upstream', offset: 4, partial: false }],
      ['server.sock', id, 5, { direction: 'to-client', offset: 4, partial: false }],
    ]);
    client.child.stdin?.end();
  });
});
