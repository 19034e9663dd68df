import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalHubBackend } from '../../electron/bridge/LocalHubBackend';
import { RelayClient } from '../../electron/client';
import { ErrorCode, formatSocketAddress, HelloFlag, type HubListener, type SocketAddress } from '../../electron/hub';
import { reachableByOthers } from '../../electron/hub/listeners';
import { abstractSocketHelper } from '../../electron/sockets/abstractSocket';
import { useListenerFixture } from '../support/listenerFixture';
import { uniqueSuffix } from '../support/tempDir';

const helperBuilt = abstractSocketHelper() !== null;

const fx = useListenerFixture();

const tcpLoopback: SocketAddress = { kind: 'tcp', host: '127.0.0.1', port: 0 };
const boundTcp = (listener: HubListener): SocketAddress => ({ kind: 'tcp', host: '127.0.0.1', port: listener.port as number });

describe('listeners other users can reach', () => {
  it('are abstract names, TCP, and paths whose mode lets group or others connect', () => {
    expect(reachableByOthers({ kind: 'abstract', name: 'x' })).toMatch(/no permissions/);
    expect(reachableByOthers(tcpLoopback)).toMatch(/any local user can connect/);
    expect(reachableByOthers({ kind: 'tcp', host: '0.0.0.0', port: 1 })).toMatch(/network/);
    expect(reachableByOthers({ kind: 'path', path: '/x' })).toBeNull();
    expect(reachableByOthers({ kind: 'path', path: '/x' }, 0o640)).toBeNull();
    expect(reachableByOthers({ kind: 'path', path: '/x' }, 0o660)).toMatch(/mode 0660/);
    expect(reachableByOthers({ kind: 'path', path: '/x' }, 0o606)).toMatch(/mode 0606/);
  });

  it('are marked open and announced with a warning when listened on; a 0600 path is neither', async () => {
    const hub = fx.newHub();
    const warnings: string[] = [];
    const warn = (line: string): void => void warnings.push(line);
    const tcp = await fx.listenTracked(hub, tcpLoopback, { warn });
    const shared = await fx.listenTracked(hub, { kind: 'path', path: path.join(fx.dir, 'shared.sock') }, { mode: 0o666, warn });
    const own = await fx.listenTracked(hub, { kind: 'path', path: path.join(fx.dir, 'own.sock') }, { warn });
    expect([tcp.open, shared.open, own.open]).toEqual([true, true, false]);
    expect(warnings).toEqual([
      `${tcp.description} is open to other users (TCP has no permissions: any local user can connect): without a token other users can register modules and message yours, and their monitors are refused (give the hub a token with --token-file or $RELAYSCOPE_TOKEN to admit monitors that carry it)`,
      `${shared.description} is open to other users (its mode 0666 lets other users connect): without a token other users can register modules and message yours, and their monitors are refused (give the hub a token with --token-file or $RELAYSCOPE_TOKEN to admit monitors that carry it)`,
    ]);
  });

  it.runIf(helperBuilt)('include abstract names, announced the same way', async () => {
    const warnings: string[] = [];
    const listener = await fx.listenTracked(fx.newHub({ token: 't' }), { kind: 'abstract', name: `rs-open-${uniqueSuffix()}` }, { warn: (line) => void warnings.push(line) });
    expect(listener.open).toBe(true);
    expect(warnings).toEqual([`${listener.description} is open to other users (abstract socket names have no permissions: any local user can connect): every HELLO must carry the token`]);
  });
});

describe('a monitor on an open listener', () => {
  // TCP carries no uid, so without a token nothing tells the hub's user from another.
  it('is refused with NOT_PERMITTED on loopback TCP when the hub has no token, while a module is welcomed', async () => {
    const address = boundTcp(await fx.listenTracked(fx.newHub(), tcpLoopback));
    const monitor = await fx.connectTracked(address);
    const refused = await monitor.hello('', { flags: HelloFlag.MONITOR });
    expect(refused.error).toMatchObject({
      code: ErrorCode.NOT_PERMITTED,
      message: `${formatSocketAddress(address)} is open to other users: a monitor must run as the hub's user, or the hub must have a token`,
    });
    await monitor.waitForClose();
    const module = await fx.connectTracked(address);
    expect((await module.hello('module')).welcome).toMatchObject({ id: 'module' });
  });

  it('is welcomed on loopback TCP with the token', async () => {
    const address = boundTcp(await fx.listenTracked(fx.newHub({ token: 'secret' }), tcpLoopback));
    const monitor = await fx.connectTracked(address);
    expect((await monitor.hello('', { flags: HelloFlag.MONITOR, token: 'secret' })).welcome?.id).toMatch(/^\$monitor-/);
  });

  it('is welcomed without a token on a 0600 path', async () => {
    const address: SocketAddress = { kind: 'path', path: path.join(fx.dir, 'own.sock') };
    await fx.listenTracked(fx.newHub(), address);
    const monitor = await fx.connectTracked(address);
    expect((await monitor.hello('', { flags: HelloFlag.MONITOR })).welcome?.id).toMatch(/^\$monitor-/);
  });

  // SO_PEERCRED shows this process runs as the hub's user; test/crossUser.test.ts has another user refused.
  it.runIf(helperBuilt)('is welcomed without a token on an abstract name when it runs as the hub user', async () => {
    const address: SocketAddress = { kind: 'abstract', name: `rs-open-${uniqueSuffix()}` };
    await fx.listenTracked(fx.newHub(), address);
    const monitor = await fx.connectTracked(address);
    expect((await monitor.hello('', { flags: HelloFlag.MONITOR })).welcome?.id).toMatch(/^\$monitor-/);
  });
});

describe.runIf(helperBuilt)('peer credentials', () => {
  it('are recorded at accept and shown in STATS as pid, uid and gid for Unix sockets, and absent for TCP', async () => {
    const hub = fx.newHub();
    const socketPath = path.join(fx.dir, 'creds.sock');
    await fx.listenTracked(hub, { kind: 'path', path: socketPath });
    const tcp = boundTcp(await fx.listenTracked(hub, tcpLoopback));
    const overTcp = await RelayClient.connect({ id: 'over-tcp', socket: formatSocketAddress(tcp), reconnect: false });
    fx.cleanup.add(() => overTcp.close());
    const monitor = await RelayClient.connect({ id: '', monitor: true, socket: socketPath, reconnect: false });
    fx.cleanup.add(() => monitor.close());

    const snapshot = await monitor.stats();
    expect(snapshot.monitors[0]).toMatchObject({ transport: 'unix', pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.() });
    const overTcpInfo = snapshot.modules.find((info) => info.id === 'over-tcp');
    expect(overTcpInfo).toMatchObject({ transport: 'tcp' });
    expect(overTcpInfo).not.toHaveProperty('uid');
  });
});

describe("the UI's hub:listen (LocalHubBackend.setListeners)", () => {
  async function backendOn(socket: string, token?: string): Promise<LocalHubBackend> {
    const backend = await LocalHubBackend.start([{ kind: 'path', path: socket }], { token });
    fx.cleanup.add(() => backend.close());
    return backend;
  }

  it('refuses to move a hub without a token onto TCP or an abstract name, and changes nothing', async () => {
    const socket = path.join(fx.dir, 'ui.sock');
    const backend = await backendOn(socket);
    await expect(backend.setListeners([socket, 'tcp://127.0.0.1:0'])).rejects.toMatchObject({
      code: 'NOT_PERMITTED',
      message: expect.stringContaining('refusing to listen on tcp://127.0.0.1:0 without a token'),
    });
    await expect(backend.setListeners([`@rs-ui-${uniqueSuffix()}`])).rejects.toMatchObject({ code: 'NOT_PERMITTED' });
    expect(backend.describe().listeners).toEqual([socket]);
  });

  it('moves a hub with a token onto TCP', async () => {
    const socket = path.join(fx.dir, 'ui.sock');
    const backend = await backendOn(socket, 'secret');
    const listeners = await backend.setListeners([socket, 'tcp://127.0.0.1:0']);
    expect(listeners).toHaveLength(2);
    expect(listeners[1]).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
  });
});
