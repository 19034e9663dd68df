import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { abstractSocketHelper } from './abstractSocket';

/** A hub address as users write it: a filesystem path, "@name" (Linux abstract), or "tcp://host:port". */
export type SocketAddress = { kind: 'path'; path: string } | { kind: 'abstract'; name: string } | { kind: 'tcp'; host: string; port: number };

export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

export function parseSocketAddress(text: string): SocketAddress {
  if (text === '') throw new AddressError('socket address is empty');
  if (text.startsWith('@')) {
    const name = text.slice(1);
    if (name === '' || Buffer.byteLength(name) > 106) throw new AddressError(`abstract socket name "${text}" must be 1 to 106 bytes after the @`);
    return { kind: 'abstract', name };
  }
  if (text.startsWith('tcp://')) return parseHostPort(text.slice('tcp://'.length), text);
  const resolved = path.resolve(text);
  const problem = socketPathLengthProblem(resolved);
  if (problem !== null) throw new AddressError(problem);
  return { kind: 'path', path: resolved };
}

/** sun_path holds 108 bytes including the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Why `file` cannot be a socket address, or null. A longer path would be cut short by bind() and
 * connect(): the hub would create a socket file under another name and no client could find it.
 */
export function socketPathLengthProblem(file: string): string | null {
  const bytes = Buffer.byteLength(file);
  if (bytes <= MAX_SOCKET_PATH_BYTES) return null;
  return `the socket path ${file} is ${bytes} bytes long, but a Unix socket address holds at most ${MAX_SOCKET_PATH_BYTES}; choose a shorter path (e.g. in $XDG_RUNTIME_DIR or /tmp)`;
}

/** Parses "host:port" or "[v6]:port" (the --tcp flag's form). */
export function parseHostPort(text: string, original = text): SocketAddress & { kind: 'tcp' } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new AddressError(`"${original}" is not HOST:PORT (e.g. 127.0.0.1:7777)`);
  return { kind: 'tcp', host: match[1] ?? (match[2] || '127.0.0.1'), port };
}

export function formatSocketAddress(address: SocketAddress): string {
  switch (address.kind) {
    case 'path':
      return address.path;
    case 'abstract':
      return `@${address.name}`;
    case 'tcp':
      return `tcp://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  }
}

/**
 * $RELAYSCOPE_SOCKET, else $XDG_RUNTIME_DIR/relayscope.sock, else relayscope.sock in
 * privateSocketDir(env) (normally /tmp/relayscope-$UID/relayscope.sock).
 */
export function defaultSocket(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RELAYSCOPE_SOCKET) return env.RELAYSCOPE_SOCKET;
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'relayscope.sock');
  return path.join(privateSocketDir(env), 'relayscope.sock');
}

/**
 * The directory the default socket lives in when there is no $XDG_RUNTIME_DIR: relayscope-$UID in
 * the temporary directory. A file directly in /tmp could be created first by any user (who would
 * then receive every client's HELLO and token), so the hub creates this directory with mode 0700 and
 * refuses it when someone else made it (privateDir.ts).
 */
export function privateSocketDir(env: NodeJS.ProcessEnv = process.env): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : os.userInfo().uid;
  return path.join(tempDir(env), `relayscope-${uid}`);
}

/** os.tmpdir()'s rule on POSIX (path.join drops any trailing slash), read from `env` so the C and Python clients can repeat it. */
function tempDir(env: NodeJS.ProcessEnv): string {
  return env.TMPDIR || env.TMP || env.TEMP || '/tmp';
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Opens a stream connection to `address`. Resolves once connected; rejects with the system error
 * (ENOENT, ECONNREFUSED…) otherwise.
 */
export function connectSocket(address: SocketAddress, timeoutMs = 5000): Promise<net.Socket> {
  if (address.kind === 'abstract') {
    const helper = abstractSocketHelper();
    if (helper !== null) {
      try {
        return Promise.resolve(new net.Socket({ fd: helper.connectAbstract(address.name), readable: true, writable: true }));
      } catch (err) {
        return Promise.reject(err);
      }
    }
  }
  return new Promise((resolve, reject) => {
    const socket = address.kind === 'tcp' ? net.connect({ host: address.host, port: address.port }) : net.connect({ path: address.kind === 'path' ? address.path : `\0${address.name}` });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`connect to ${formatSocketAddress(address)} timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
