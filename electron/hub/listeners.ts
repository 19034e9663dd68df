import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { abstractSocketHelper } from '../sockets/abstractSocket';
import { peerCredentials } from '../sockets/peerCredentials';
import { peerProcess } from '../sockets/peerProcess';
import { findTcpPeerProcess, findTcpPeerSocket, type TcpPeerOwner } from '../sockets/tcpPeerOwner';
import { policyNeedsIdentity } from './accessPolicy';
import { ensurePrivateDir, PrivateDirError } from '../sockets/privateDir';
import type { ConnectionOrigin } from './HubConnection';
import type { RelayHub } from './RelayHub';
import { connectSocket, formatSocketAddress, isLoopbackHost, MAX_SOCKET_PATH_BYTES, privateSocketDir, socketPathLengthProblem, type SocketAddress } from '../sockets/socketAddress';

export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

/** Only the owner may connect. */
const DEFAULT_MODE = 0o600;

export interface ListenOptions {
  /** File mode of a Unix socket path; 0o600 by default (only the owner may connect). */
  mode?: number;
  /** Called with warnings a user should see (e.g. a stale socket file removed). */
  warn?: (line: string) => void;
  /** Takes each accepted connection instead of hub.attach: a plain listener's acceptor (electron/hub/plain/). */
  accept?: (socket: net.Socket, origin: ConnectionOrigin) => void;
  /** What other users can do on a listener open to them, for its warning (a plain listener's differs: no HELLO, no token). */
  openRule?: string;
  /** Accepted sockets stay writable after their peer's end (a tap passes half-closes on: electron/hub/tap/). */
  allowHalfOpen?: boolean;
}

/** One listening address feeding a hub. Closing it stops accepting and removes its socket file. */
export class HubListener {
  private closed = false;

  constructor(
    readonly address: SocketAddress,
    private readonly server: net.Server,
    /** Device and inode of the socket file we created, so close() never unlinks someone else's. */
    private readonly fileIdentity: { dev: number; ino: number } | null,
    /** Other local users can connect (see reachableByOthers). */
    readonly open: boolean,
  ) {}

  get description(): string {
    return formatSocketAddress(this.address);
  }

  /** The bound TCP port (useful when listening on port 0). */
  get port(): number | undefined {
    const bound = this.server.address();
    return typeof bound === 'object' && bound !== null ? bound.port : undefined;
  }

  /** Stops accepting at once; connections already accepted belong to the hub and stay open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Not awaiting server.close()'s callback: it waits for every accepted connection to end, which is the hub's business.
    this.server.close();
    if (this.address.kind === 'path' && this.fileIdentity !== null) {
      try {
        const now = fs.lstatSync(this.address.path);
        if (now.dev === this.fileIdentity.dev && now.ino === this.fileIdentity.ino) fs.unlinkSync(this.address.path);
      } catch {
        // Already gone: nothing to clean up.
      }
    }
  }
}

/**
 * Why other local users can connect to `address` when it is listened on with `mode`, or null when
 * only this user (and root) can: abstract names and TCP carry no permissions, a path has its mode.
 */
export function reachableByOthers(address: SocketAddress, mode = DEFAULT_MODE): string | null {
  switch (address.kind) {
    case 'tcp':
      return isLoopbackHost(address.host) ? 'TCP has no permissions: any local user can connect' : 'it is reachable from the network';
    case 'abstract':
      return 'abstract socket names have no permissions: any local user can connect';
    case 'path':
      // connect() on a socket file needs write permission on it.
      return (mode & 0o022) !== 0 ? `its mode ${mode.toString(8).padStart(4, '0')} lets other users connect` : null;
  }
}

/**
 * Listens on `address` and attaches each accepted connection to `hub`.
 * A socket path with a live listener behind it is never taken over; a stale one is removed.
 * A non-loopback TCP address requires the hub to have a token.
 * A listener other users can reach is announced through options.warn, and on it a monitor needs the
 * token unless SO_PEERCRED shows it runs as the hub's user (Handshake).
 */
export async function listen(hub: RelayHub, address: SocketAddress, options: ListenOptions = {}): Promise<HubListener> {
  const description = formatSocketAddress(address);
  let requireToken = false;
  if (address.kind === 'tcp' && !isLoopbackHost(address.host)) {
    if (!hub.hasToken)
      throw new ListenError(
        `refusing to listen on ${description} without a token: anyone who can reach that address could read and inject into the bus (set one with --token-file or RELAYSCOPE_TOKEN)`,
      );
    requireToken = true;
  }
  const openBecause = reachableByOthers(address, options.mode);
  const hubUid = process.getuid?.();
  const origin: Omit<ConnectionOrigin, 'peer'> = { transport: address.kind === 'path' ? 'unix' : address.kind, listener: description, requireToken };
  const accept = options.accept ?? ((socket: net.Socket, connection: ConnectionOrigin) => hub.attach(socket, connection));
  const server = net.createServer({ allowHalfOpen: options.allowHalfOpen ?? false }, (socket) => {
    if (address.kind === 'tcp') {
      const tcpOwner: TcpPeerOwner = {};
      const connection = { ...origin, peer: `${socket.remoteAddress}:${socket.remotePort}`, tcpOwner, monitorRequiresToken: openBecause !== null };
      const found = tcpPeerSocket(socket, tcpOwner);
      void found.then((inode) => (inode === null ? undefined : findTcpPeerProcess(inode, tcpOwner)));
      if (policyNeedsIdentity(hub.access)) {
        // Nothing is read from the socket until it is accepted: a peer the policy must place waits for its uid.
        socket.on('error', () => {});
        void found.then(() => (socket.destroyed ? undefined : accept(socket, connection)));
      } else accept(socket, connection);
      return;
    }
    // Read once at accept (not on the relay path): who connected, for STATS and for the monitor rule.
    const credentials = peerCredentials(socket) ?? undefined;
    const peer = credentials === undefined ? undefined : peerProcess(credentials.pid);
    accept(socket, { ...origin, credentials, process: peer, monitorRequiresToken: openBecause !== null && (credentials === undefined || credentials.uid !== hubUid) });
  });
  server.maxConnections = Number.MAX_SAFE_INTEGER;

  const listener = await bind(server, address, description, options, openBecause !== null);
  origin.listener = listener.description;
  if (openBecause !== null) {
    const rule =
      options.openRule ??
      (hub.hasToken
        ? 'every HELLO must carry the token'
        : 'without a token other users can register modules and message yours, and their monitors are refused (give the hub a token with --token-file or $RELAYSCOPE_TOKEN to admit monitors that carry it)');
    options.warn?.(`${listener.description} is open to other users (${openBecause}): ${rule}`);
  }
  return listener;
}

/** The socket's entry in /proc for a loopback peer (tcpPeerOwner.ts); any other peer has none here. */
function tcpPeerSocket(socket: net.Socket, owner: TcpPeerOwner): Promise<number | null> {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (remoteAddress === undefined || remotePort === undefined || localAddress === undefined || localPort === undefined) return Promise.resolve(null);
  if (!isLoopbackHost(remoteAddress.replace(/^::ffff:/i, ''))) return Promise.resolve(null);
  return findTcpPeerSocket({ address: remoteAddress, port: remotePort }, { address: localAddress, port: localPort }, owner);
}

async function bind(server: net.Server, address: SocketAddress, description: string, options: ListenOptions, open: boolean): Promise<HubListener> {
  switch (address.kind) {
    case 'tcp': {
      await bindServer(server, () => server.listen({ host: address.host, port: address.port }), description);
      // Port 0 asks the system for a port: name the listener after the one it gave.
      const bound = server.address();
      const port = typeof bound === 'object' && bound !== null ? bound.port : address.port;
      return new HubListener({ ...address, port }, server, null, open);
    }
    case 'abstract':
      return listenAbstract(server, address, description, options, open);
    case 'path':
      return listenPath(server, address, description, options, open);
  }
}

async function listenAbstract(server: net.Server, address: SocketAddress & { kind: 'abstract' }, description: string, options: ListenOptions, open: boolean): Promise<HubListener> {
  const helper = abstractSocketHelper();
  if (helper === null) {
    options.warn?.(`the abstract-socket helper is not built, so ${description} is bound the way Node 20 does it and only Node clients can reach it (run "npm run build" with a C compiler installed)`);
    await bindServer(server, () => server.listen(`\0${address.name}`), description);
    return new HubListener(address, server, null, open);
  }
  let fd: number;
  try {
    fd = helper.listenAbstract(address.name, 511);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new ListenError(`${description} is already in use: another hub (or program) is listening there; stop it or choose another name`);
    throw new ListenError(`cannot listen on ${description}: ${(err as Error).message}`);
  }
  await bindServer(server, () => server.listen({ fd }), description);
  return new HubListener(address, server, null, open);
}

async function listenPath(server: net.Server, address: SocketAddress & { kind: 'path' }, description: string, options: ListenOptions, open: boolean): Promise<HubListener> {
  const mode = (options.mode ?? DEFAULT_MODE) & 0o777;
  const ownUid = process.getuid?.();
  // Checked before bind: a longer path is cut short and would leave a socket file of another name behind.
  const tooLong = socketPathLengthProblem(address.path);
  if (tooLong !== null) throw new ListenError(`cannot listen on ${description}: ${tooLong}`);
  if (path.dirname(address.path) === privateSocketDir()) {
    try {
      ensurePrivateDir(path.dirname(address.path));
    } catch (err) {
      if (err instanceof PrivateDirError) throw new ListenError(err.message);
      throw err;
    }
  }
  // libuv reports a missing directory as EACCES, so the directory is looked at first to say which it is.
  const directoryProblem = socketDirectoryProblem(path.dirname(address.path));
  if (directoryProblem !== null) throw new ListenError(`cannot listen on ${description}: ${directoryProblem}`);
  const existing = lstatOrNull(address.path);
  if (existing !== null) {
    if (!existing.isSocket()) throw new ListenError(`${description} exists and is not a socket; refusing to touch it`);
    // Neither probed nor removed: whoever listens there would see a connection from this hub, and a stale one is not ours to delete.
    if (ownUid !== undefined && existing.uid !== ownUid)
      throw new ListenError(`${description} is a socket of another user (uid ${existing.uid}); refusing to use or replace it: remove it as that user or root, or listen elsewhere`);
    if (await answers(address)) throw new ListenError(`a hub is already listening on ${description}; connect to it, or stop it first`);
    fs.unlinkSync(address.path);
    options.warn?.(`removed stale socket file ${description} (nothing was listening on it)`);
  }
  // libuv unlinks the name it bound when the server closes, whatever file is there by then. Binding a
  // private name and hard-linking it into place means close() only ever removes that private name,
  // and link() fails rather than replace a path someone else created meanwhile.
  const privateName = path.join(path.dirname(address.path), `.${path.basename(address.path)}.${process.pid}.${Date.now().toString(36)}`);
  const bindPath = Buffer.byteLength(privateName) <= MAX_SOCKET_PATH_BYTES ? privateName : address.path;
  // The mode comes from the umask alone, in force only for the synchronous bind() inside listen(), so
  // it is never set by path afterwards: a chmod() by name would follow a symlink someone renamed over
  // the name in between (in a directory others may write) and change a file of theirs choosing. The
  // umask is process-wide, so it is restored before any other JavaScript runs; only a file created by
  // a libuv worker thread in that same instant would get it too.
  await bindServer(
    server,
    () => {
      const previousUmask = process.umask(0o777 & ~mode);
      try {
        server.listen(bindPath);
      } finally {
        process.umask(previousUmask);
      }
    },
    description,
  );
  if (bindPath !== address.path) {
    try {
      fs.linkSync(bindPath, address.path);
    } catch (err) {
      server.close();
      throw new ListenError(`cannot listen on ${description}: ${(err as NodeJS.ErrnoException).code === 'EEXIST' ? 'another hub created it at the same moment' : (err as Error).message}`);
    } finally {
      fs.rmSync(bindPath, { force: true });
    }
  }
  // link() does not follow symlinks: if someone renamed another file over the private name, that file
  // is what got linked, and it is not this hub's socket.
  const stat = fs.lstatSync(address.path);
  if (!stat.isSocket() || (ownUid !== undefined && stat.uid !== ownUid) || (stat.mode & 0o777) !== mode) {
    server.close();
    fs.rmSync(address.path, { force: true });
    throw new ListenError(
      `cannot listen on ${description}: the socket was replaced while it was being bound (another user can write to ${path.dirname(address.path)}?); listen in a directory only you can write`,
    );
  }
  return new HubListener(address, server, { dev: stat.dev, ino: stat.ino }, open);
}

/** Why no socket file can be created in `dir`, with what to do about it, or null. */
function socketDirectoryProblem(dir: string): string | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return `the directory ${dir} does not exist; create it (mkdir -p ${dir}) or choose a path in an existing directory`;
    if ((err as NodeJS.ErrnoException).code === 'EACCES') return `permission denied: you may not look into ${dir} or a directory above it; choose a directory of your own`;
    return `cannot use the directory ${dir}: ${(err as Error).message}`;
  }
  if (!stat.isDirectory()) return `${dir} is not a directory`;
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    return `permission denied: you may not create files in ${dir}; choose a directory you can write (relayscope socket prints the default)`;
  }
  return null;
}

function lstatOrNull(file: string): fs.Stats | null {
  try {
    return fs.lstatSync(file);
  } catch {
    return null;
  }
}

/** True when something accepts connections at the address. */
async function answers(address: SocketAddress): Promise<boolean> {
  try {
    const socket = await connectSocket(address, 1000);
    socket.destroy();
    return true;
  } catch {
    return false;
  }
}

function bindServer(server: net.Server, start: () => void, description: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const reason =
        err.code === 'EADDRINUSE'
          ? 'the address is already in use by another program; stop it or choose another address'
          : err.code === 'EACCES'
            ? `permission denied${description.startsWith('tcp://') ? ' (ports below 1024 need root)' : ''}; choose another address`
            : err.message;
      reject(new ListenError(`cannot listen on ${description}: ${reason}`));
    };
    server.once('error', onError);
    server.once('listening', () => {
      server.removeListener('error', onError);
      resolve();
    });
    start();
  });
}
