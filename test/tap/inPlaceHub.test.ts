/**
 * `--tap-in-place PATH` on `relayscope hub` and `relayscope serve` (issue 13, item 2): a live python3
 * echo server's socket (mode 0660, another owner) is taken over by the real hub process, new clients
 * go through the tap and show in the monitor, and SIGTERM/SIGINT put the server's very socket file
 * (same inode, mode, owner) back. Refusals: a path that is no socket, one a killed hub left aside
 * (naming `relayscope tap --restore PATH`), and, run as another user, one in a directory that user may
 * not change.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliHarness } from '../support/cliHarness';
import { createThrowawayUser, crossUserUnavailable, runAs } from '../support/otherUsers';
import { uniqueSuffix } from '../support/tempDir';
import { escapeRegExp, exchange, expectOnly, liveServer, socketIdentity } from './liveSocket';
import { concurrentClients, lineClient } from './tapPeers';

const { cli, cleanup } = cliHarness();
const CLI = path.join(__dirname, '..', '..', 'bin', 'relayscope.js');
const crossUser = crossUserUnavailable();

describe('hub and serve --tap-in-place', () => {
  it('hub --tap-in-place: new clients are tapped and monitored, SIGTERM puts the socket back exactly', async () => {
    const { dir, socket, server, original } = await liveServer(cleanup);
    const earlier = lineClient(cleanup, socket);
    await exchange(earlier, 'before');

    const hubSocket = path.join(dir, 'hub.sock');
    const hub = cli.start(['hub', '--socket', hubSocket, '--tap-in-place', socket, '--tap-framing', 'lines']);
    const announced = await hub.waitForStdout(/tapping .* in place/);
    const aside = path.join(dir, `.server.sock.relayscope-tap-${hub.pid}`);
    expect(announced).toContain(`relayscope hub tapping ${socket} in place`);
    expect(announced).toContain(`framing lines: its server's socket is at ${aside} until this hub exits`);
    const tapSocket = socketIdentity(socket);
    expect(tapSocket.ino).not.toBe(original.ino);
    expect({ ...tapSocket, ino: original.ino }).toEqual(original);
    expect(socketIdentity(aside)).toEqual(original);

    const monitor = cli.start(['monitor', '--socket', hubSocket]);
    await monitor.waitForStderr(/monitoring /);
    const tapped = lineClient(cleanup, socket);
    await exchange(tapped, 'through-the-hub-tap');
    await monitor.waitForStdout(/through-the-hub-tap/);
    await exchange(earlier, 'not-through-the-tap');
    tapped.child.stdin?.end();
    await tapped.exited;

    hub.signal('SIGTERM');
    expect((await hub.waitForExit()).code).toBe(0);
    expect(monitor.stdout).not.toMatch(/not-through-the-tap/);
    expect(socketIdentity(socket)).toEqual(original);
    expectOnly(dir, ['server.sock']);
    await exchange(earlier, 'after');
    const direct = concurrentClients(cleanup, socket, 1, 64 * 1024);
    expect((await direct.exited).stdout).toBe('ok 0\n');
    expect(server.accepted()).toBe(3);
  });

  it('serve --tap-in-place twice: both servers are tapped, SIGINT puts both sockets back exactly', async () => {
    const first = await liveServer(cleanup);
    const second = await liveServer(cleanup);
    const serve = cli.start(['serve', '--socket', `@rs-inplace-${uniqueSuffix()}`, '--tap-in-place', first.socket, '--tap-in-place', `${second.socket},framing=http`]);
    await serve.waitForStdout(new RegExp(`tapping ${escapeRegExp(first.socket)} in place .*framing raw`), 15_000);
    await serve.waitForStdout(new RegExp(`tapping ${escapeRegExp(second.socket)} in place .*framing http`));
    for (const { socket } of [first, second]) {
      const through = concurrentClients(cleanup, socket, 2, 256 * 1024);
      expect((await through.exited).stdout.split('\n').sort()).toEqual(['', 'ok 0', 'ok 1']);
    }
    serve.signal('SIGINT');
    expect((await serve.waitForExit()).code).toBe(0);
    for (const { dir, socket, original } of [first, second]) {
      expect(socketIdentity(socket)).toEqual(original);
      expectOnly(dir, ['server.sock']);
    }
  });

  it('refuses a path that is no socket, and one a killed hub left aside with the restore command; restore puts it back', async () => {
    const { dir, socket, original } = await liveServer(cleanup);
    const notSocket = path.join(dir, 'notes.txt');
    fs.writeFileSync(notSocket, 'not a socket');
    const refusedFile = await cli.run(['hub', '--socket', `@rs-inplace-${uniqueSuffix()}`, '--tap-in-place', notSocket]);
    expect(refusedFile.exit.code).toBe(1);
    expect(refusedFile.stderr).toMatch(/cannot tap .*notes\.txt in place: it is not a socket/);
    const refusedTcp = await cli.run(['hub', '--tap-in-place', 'tcp://127.0.0.1:9']);
    expect(refusedTcp.exit.code).toBe(2);
    expect(refusedTcp.stderr).toMatch(/--tap-in-place: .*takes over a socket file, and tcp:\/\/127\.0\.0\.1:9 is not a path/);

    const killed = cli.start(['hub', '--socket', `@rs-inplace-${uniqueSuffix()}`, '--tap-in-place', socket]);
    await killed.waitForStdout(/in place/);
    killed.signal('SIGKILL');
    await killed.waitForExit();
    const aside = path.join(dir, `.server.sock.relayscope-tap-${killed.pid}`);
    expect(socketIdentity(aside)).toEqual(original);

    const hubSocket = path.join(dir, 'second-hub.sock');
    const refused = await cli.run(['hub', '--socket', hubSocket, '--tap-in-place', socket]);
    expect(refused.exit.code).toBe(1);
    expect(refused.stderr).toContain(`a previous tap of ${socket} did not put it back`);
    expect(refused.stderr).toContain(`restore it with: relayscope tap --restore ${socket}`);
    // The refused hub closed what it had opened: its own socket is gone, the aside socket untouched.
    expectOnly(dir, ['notes.txt', 'server.sock', path.basename(aside)]);

    const restored = await cli.run(['tap', '--restore', socket]);
    expect(restored.exit.code, restored.stderr).toBe(0);
    expect(socketIdentity(socket)).toEqual(original);
    expectOnly(dir, ['notes.txt', 'server.sock']);
  });

  it.skipIf(crossUser !== null)('refuses, as another user, a socket in a directory that user may not change, changing nothing', async () => {
    const { dir, socket, original } = await liveServer(cleanup);
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(socket, 0o666);
    const user = createThrowawayUser(cleanup);
    const hub = runAs(cleanup, user, [CLI, 'hub', '--socket', `@rs-inplace-${uniqueSuffix()}`, '--tap-in-place', socket]);
    const result = await hub.exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot tap ${socket} in place: you may not rename files in ${dir} (no write permission); run as its owner or root`);
    expect(socketIdentity(socket)).toEqual({ ...original, mode: 0o666 });
    expectOnly(dir, ['server.sock']);
  });
});
