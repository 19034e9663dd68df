import type * as net from 'node:net';
import { abstractSocketHelper } from './abstractSocket';

/** Who is at the other end of a Unix socket, as the kernel recorded it when the connection was made. */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** The address a Unix socket's peer bound its own end to (getpeername): raw bytes, as the kernel has them. */
export interface PeerName {
  kind: 'path' | 'abstract';
  name: Buffer;
}

/**
 * SO_PEERCRED of a connected Unix socket (path or abstract name); null where it cannot be read: the
 * native helper is not built, or the socket has no descriptor (it is closed, or not a Unix socket).
 * Node has no API for it; the descriptor is libuv's, reached through the socket's internal handle.
 */
export function peerCredentials(socket: net.Socket): PeerCredentials | null {
  const helper = abstractSocketHelper();
  const fd = socketFd(socket);
  if (helper === null || fd === null) return null;
  try {
    return helper.peerCredentials(fd);
  } catch {
    return null;
  }
}

/** getpeername() of a connected Unix socket; null when the peer bound nothing, or it cannot be read (as above). */
export function peerName(socket: net.Socket): PeerName | null {
  const helper = abstractSocketHelper();
  const fd = socketFd(socket);
  if (helper === null || fd === null) return null;
  try {
    return helper.peerName(fd);
  } catch {
    return null;
  }
}

function socketFd(socket: net.Socket): number | null {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}
