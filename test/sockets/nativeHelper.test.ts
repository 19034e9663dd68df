import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { abstractSocketHelper } from '../../electron/sockets/abstractSocket';
import { peerCredentials } from '../../electron/sockets/peerCredentials';
import { Cleanup } from '../support/cleanup';
import { makeTempDir, removeTempDir, uniqueSuffix } from '../support/tempDir';

const SOURCE = path.join(__dirname, '..', '..', 'native', 'abstract_socket.c');
/** node_api.h as installed with Node (what node-gyp would otherwise download). */
const NODE_INCLUDE = path.join(path.dirname(process.execPath), '..', 'include', 'node');
const helper = abstractSocketHelper();

let cleanup: Cleanup;
beforeEach(() => {
  cleanup = new Cleanup();
});
afterEach(async () => {
  await cleanup.run();
});

/** Accepts one connection at `address` (a path, or an abstract name through the helper); resolves with both ends. */
async function connectedPair(address: { path: string } | { abstract: string }): Promise<{ client: net.Socket; accepted: net.Socket }> {
  let accept!: (socket: net.Socket) => void;
  const accepted = new Promise<net.Socket>((resolve) => (accept = resolve));
  const server = net.createServer(accept);
  cleanup.add(() => new Promise((resolve) => server.close(resolve)));
  await new Promise<void>((resolve) => ('path' in address ? server.listen(address.path, resolve) : server.listen({ fd: helper!.listenAbstract(address.abstract) }, resolve)));
  const client = 'path' in address ? net.connect(address.path) : new net.Socket({ fd: helper!.connectAbstract(address.abstract), readable: true, writable: true });
  cleanup.add(() => client.destroy());
  if ('path' in address) await new Promise((resolve) => client.once('connect', resolve));
  const other = await accepted;
  cleanup.add(() => other.destroy());
  return { client, accepted: other };
}

const self = { pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.() };

describe.runIf(helper !== null)('the native helper', () => {
  it('compiles without warnings under -Wall -Wextra', () => {
    const gcc = spawnSync('gcc', ['-std=gnu11', '-Wall', '-Wextra', '-fsyntax-only', `-I${NODE_INCLUDE}`, SOURCE], { encoding: 'utf8' });
    expect(gcc.error).toBeUndefined();
    expect(gcc.stderr).toBe('');
    expect(gcc.status).toBe(0);
  });

  it('reads SO_PEERCRED on both ends of a socket path: this process, seen from either side', async () => {
    const dir = makeTempDir();
    cleanup.add(() => removeTempDir(dir));
    const { client, accepted } = await connectedPair({ path: path.join(dir, 'pair.sock') });
    expect(peerCredentials(client)).toEqual(self);
    expect(peerCredentials(accepted)).toEqual(self);
  });

  it('reads SO_PEERCRED on an abstract socket', async () => {
    const { client, accepted } = await connectedPair({ abstract: `rs-cred-${uniqueSuffix()}` });
    expect(peerCredentials(client)).toEqual(self);
    expect(peerCredentials(accepted)).toEqual(self);
  });

  it('throws a system error for a descriptor that is not a socket, and peerCredentials() says null', () => {
    const fd = fs.openSync(SOURCE, 'r');
    cleanup.add(() => fs.closeSync(fd));
    expect(() => helper!.peerCredentials(fd)).toThrow(/getsockopt/);
    expect(peerCredentials(new net.Socket())).toBeNull();
  });
});
