/**
 * Every error line says what is wrong and what to do: a hub's socket in a missing directory, a path
 * longer than sun_path (refused before bind, no file left behind), a directory it may not write, an
 * address in use, and clients facing no hub, a file that is no socket, or a closed TCP port.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Cleanup } from '../support/cleanup';
import { CliProcesses, ensureFreshBuild } from '../support/cliProcess';
import { createThrowawayUser, crossUserUnavailable, runAs } from '../support/otherUsers';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'relayscope.js');

/** A TCP port nothing listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('error messages', () => {
  let dir: string;
  let cli: CliProcesses;
  let cleanup: Cleanup;

  beforeAll(() => ensureFreshBuild(), 180_000);

  beforeEach(() => {
    dir = makeTempDir();
    cli = new CliProcesses();
    cleanup = new Cleanup();
  });

  afterEach(async () => {
    await cli.stopAll();
    await cleanup.run();
    removeTempDir(dir);
  });

  it('hub in a directory that does not exist says so and how to create it', async () => {
    const socket = path.join(dir, 'missing', 'x.sock');
    const result = await cli.run(['hub', '--socket', socket]);
    expect(result.exit.code).toBe(1);
    expect(result.stderr).toBe(
      `relayscope: cannot listen on ${socket}: the directory ${path.dirname(socket)} does not exist; create it (mkdir -p ${path.dirname(socket)}) or choose a path in an existing directory\n`,
    );
  });

  it('hub under a file that is no directory says so', async () => {
    fs.writeFileSync(path.join(dir, 'file'), '');
    const result = await cli.run(['hub', '--socket', path.join(dir, 'file', 'x.sock')]);
    expect(result.exit.code).toBe(1);
    expect(result.stderr).toContain(`${path.join(dir, 'file')} is not a directory`);
  });

  it('refuses a socket path longer than sun_path before binding, and leaves no file behind', async () => {
    const socket = path.join(dir, `${'s'.repeat(120 - dir.length)}.sock`);
    for (const args of [
      ['hub', '--socket', socket],
      ['list', '--socket', socket],
    ]) {
      const result = await cli.run(args);
      expect(result.exit.code).toBe(2);
      expect(result.stderr).toContain(`the socket path ${socket} is ${Buffer.byteLength(socket)} bytes long, but a Unix socket address holds at most 107; choose a shorter path`);
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it.skipIf(crossUserUnavailable() !== null)('hub in a directory the user may not write says permission denied and what to do', async () => {
    const user = createThrowawayUser(cleanup);
    // Others may enter the directory but not create files in it.
    fs.chmodSync(dir, 0o755);
    const socket = path.join(dir, 'x.sock');
    const hub = runAs(cleanup, user, [CLI, 'hub', '--socket', socket]);
    const result = await hub.exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `relayscope: cannot listen on ${socket}: permission denied: you may not create files in ${dir}; choose a directory you can write (relayscope socket prints the default)\n`,
    );
  });

  it('hub on a TCP address in use says another program holds it', async () => {
    const first = cli.start(['hub', '--tcp', '127.0.0.1:0']);
    const line = await first.waitForStdout(/^relayscope hub listening on tcp:/);
    const address = line.slice('relayscope hub listening on tcp://'.length);
    const second = await cli.run(['hub', '--tcp', address]);
    expect(second.exit.code).toBe(1);
    expect(second.stderr).toContain(`cannot listen on tcp://${address}: the address is already in use by another program; stop it or choose another address`);
  });

  it('clients facing no hub say how to start one or point at the running one', async () => {
    const socket = path.join(dir, 'none.sock');
    const missing = await cli.run(['list', '--socket', socket]);
    expect(missing.exit.code).toBe(1);
    expect(missing.stderr).toBe(
      `relayscope: no hub is listening on ${socket} (ENOENT): start one (relayscope hub --socket ${socket}), or give the running hub's address with --socket or $RELAYSCOPE_SOCKET (relayscope socket prints the default)\n`,
    );

    const port = await closedPort();
    const tcp = await cli.run(['send', '--socket', `tcp://127.0.0.1:${port}`, '--as', 'A', '--to', 'B', 'x']);
    expect(tcp.exit.code).toBe(1);
    expect(tcp.stderr).toContain(`no hub is listening on tcp://127.0.0.1:${port} (ECONNREFUSED): start one (relayscope hub --tcp 127.0.0.1:${port})`);

    const notSocket = await cli.run(['list', '--socket', dir]);
    expect(notSocket.exit.code).toBe(1);
    expect(notSocket.stderr).toContain(`${dir} is not a socket; give the hub's address with --socket`);
  });
});
