/**
 * A live python3 echo server whose socket file is to be tapped in place, and the checks the in-place
 * tests make on it: the socket file's identity (inode, mode, owner), echo exchanges over a client kept
 * connected, and what is left in its directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import type { Cleanup } from '../support/cleanup';
import type { TrackedChild } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';
import { type EchoServer, startEchoServer } from './tapPeers';

/** An owner the test process is not (it runs as root, the only user that may give a socket another owner). */
export const OTHER_OWNER = { uid: 65534, gid: 65534 };
const asRoot = process.getuid?.() === 0;

export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface SocketIdentity {
  ino: number;
  mode: number;
  uid: number;
  gid: number;
}

export function socketIdentity(file: string): SocketIdentity {
  const stat = fs.lstatSync(file);
  expect(stat.isSocket()).toBe(true);
  return { ino: stat.ino, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid };
}

export interface LiveServer {
  dir: string;
  socket: string;
  server: EchoServer;
  original: SocketIdentity;
}

/** A live echo server in a new directory whose socket has mode 0660 and, when we are root, another user as owner. */
export async function liveServer(cleanup: Cleanup): Promise<LiveServer> {
  const dir = makeTempDir('rs-inplace-');
  cleanup.add(() => removeTempDir(dir));
  const socket = path.join(dir, 'server.sock');
  const server = await startEchoServer(cleanup, socket);
  fs.chmodSync(socket, 0o660);
  if (asRoot) fs.chownSync(socket, OTHER_OWNER.uid, OTHER_OWNER.gid);
  return { dir, socket, server, original: socketIdentity(socket) };
}

/** Sends `line` on an open lineClient connection and waits for its echo. */
export async function exchange(client: TrackedChild, line: string): Promise<void> {
  client.child.stdin?.write(`${line}\n`);
  await waitUntil(() => client.stdout().includes(`echo ${line}\n`), `the echo of "${line}"`);
}

/** The directory holds only these names (no socket left aside, no staging file). */
export function expectOnly(dir: string, names: string[]): void {
  expect(fs.readdirSync(dir).sort()).toEqual([...names].sort());
}
