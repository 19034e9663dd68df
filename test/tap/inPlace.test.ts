/**
 * Tapping a live server's socket in place (issue 13, item 2): a python3 echo server's socket (given
 * another owner and mode 0660) is taken over by `relayscope tap --in-place` (one run stopped by SIGTERM,
 * one by SIGKILL); a client connected before keeps talking to the server untouched, new clients go through
 * the tap and show in the monitor, and the server's very socket file (same inode, mode, owner) is back
 * at its path after SIGTERM, and after SIGKILL once `relayscope tap --restore` has run. Paths that are
 * not a live socket, or that a killed tap left aside, are refused with a message saying what to do.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliHarness } from '../support/cliHarness';
import { runToCompletion } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';
import { escapeRegExp, exchange, expectOnly, liveServer, socketIdentity as identity } from './liveSocket';
import { concurrentClients, lineClient } from './tapPeers';

const { cli, cleanup } = cliHarness();

describe('tapping a live server in place', () => {
  it('tap --in-place: earlier clients are untouched, new ones are tapped and monitored, SIGTERM puts the socket back exactly', async () => {
    const { dir, socket, server, original } = await liveServer(cleanup);
    const earlier = lineClient(cleanup, socket);
    await waitUntil(() => earlier.stdout().includes('connected\n'), 'the earlier client to connect');
    await exchange(earlier, 'before');

    const hubSocket = path.join(dir, 'hub.sock');
    const hub = cli.start(['tap', '--in-place', socket, '--socket', hubSocket]);
    await hub.waitForStdout(new RegExp(`point clients at ${escapeRegExp(socket)}`));
    const aside = path.join(dir, `.server.sock.relayscope-tap-${hub.pid}`);
    const tapSocket = identity(socket);
    expect(tapSocket.ino).not.toBe(original.ino);
    expect({ ...tapSocket, ino: original.ino }).toEqual(original);
    expect(identity(aside)).toEqual(original);

    await exchange(earlier, 'during');
    const monitor = cli.start(['monitor', '--socket', hubSocket]);
    await monitor.waitForStderr(/monitoring /);
    const tapped = lineClient(cleanup, socket);
    await exchange(tapped, 'through-the-tap');
    await monitor.waitForStdout(/through-the-tap/);
    // The earlier connection goes to the server directly: the tap never sees it.
    await exchange(earlier, 'not-through-the-tap');
    await exchange(tapped, 'second-through-the-tap');
    await monitor.waitForStdout(/second-through-the-tap/);
    expect(monitor.stdout).not.toMatch(/not-through-the-tap/);
    tapped.child.stdin?.end();
    await tapped.exited;

    hub.signal('SIGTERM');
    expect((await hub.waitForExit()).code).toBe(0);
    expect(identity(socket)).toEqual(original);
    await exchange(earlier, 'after');
    const direct = concurrentClients(cleanup, socket, 1, 64 * 1024);
    expect((await direct.exited).stdout).toBe('ok 0\n');
    earlier.child.stdin?.end();
    await earlier.exited;
    await waitUntil(() => server.closed().length === 3, 'the server to see its three connections end');
    // No more: the tap found the server listening in /proc/net/unix, without a probe connection.
    expect(server.accepted()).toBe(3);
    expectOnly(dir, ['server.sock']);
  });

  it('tap --in-place killed with SIGKILL: a new tap is refused with the restore command, which puts the socket back exactly', async () => {
    const { dir, socket, original } = await liveServer(cleanup);
    const earlier = lineClient(cleanup, socket);
    await waitUntil(() => earlier.stdout().includes('connected\n'), 'the earlier client to connect');

    const tap = cli.start(['tap', '--in-place', socket]);
    await tap.waitForStdout(new RegExp(`point clients at ${escapeRegExp(socket)}`));
    const tapped = lineClient(cleanup, socket);
    await exchange(tapped, 'tailed-by-tap');
    await tap.waitForStdout(/tailed-by-tap/);
    tapped.child.stdin?.end();
    await tapped.exited;

    tap.signal('SIGKILL');
    await tap.waitForExit();
    const aside = path.join(dir, `.server.sock.relayscope-tap-${tap.pid}`);
    expect(identity(aside)).toEqual(original);
    await exchange(earlier, 'while-aside');

    const refused = await cli.run(['tap', '--in-place', socket]);
    expect(refused.exit.code).toBe(1);
    expect(refused.stderr).toContain(`relayscope tap --restore ${socket}`);

    const restored = await cli.run(['tap', '--restore', socket]);
    expect(restored.exit.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`restored ${socket}`);
    expect(identity(socket)).toEqual(original);
    expectOnly(dir, ['server.sock']);
    await exchange(earlier, 'after-restore');
    const direct = concurrentClients(cleanup, socket, 1, 64 * 1024);
    expect((await direct.exited).stdout).toBe('ok 0\n');
  });

  it('refuses a path that is no socket, a stale socket file and a missing one, changing nothing', async () => {
    const dir = makeTempDir('rs-inplace-');
    cleanup.add(() => removeTempDir(dir));
    const file = path.join(dir, 'plain.txt');
    fs.writeFileSync(file, 'not a socket');
    const stale = path.join(dir, 'stale.sock');
    // A server that exited without removing its socket file.
    const bound = await runToCompletion(cleanup, 'python3', ['-c', 'import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])', stale], null);
    expect(bound.code).toBe(0);
    const cases: [string, RegExp][] = [
      [file, /cannot tap .*plain\.txt in place: it is not a socket/],
      [stale, /cannot tap .*stale\.sock in place: no server is listening on it \(connect: ECONNREFUSED\); it is a stale socket file/],
      [path.join(dir, 'missing.sock'), /cannot tap .*missing\.sock in place: there is no such file/],
    ];
    for (const [target, message] of cases) {
      const result = await cli.run(['tap', '--in-place', target]);
      expect(result.exit.code).toBe(1);
      expect(result.stderr).toMatch(message);
    }
    expectOnly(dir, ['plain.txt', 'stale.sock']);
    const nothing = await cli.run(['tap', '--restore', stale]);
    expect(nothing.exit.code).toBe(1);
    expect(nothing.stderr).toMatch(/nothing to restore: no socket of .*stale\.sock is held aside/);
  });
});
