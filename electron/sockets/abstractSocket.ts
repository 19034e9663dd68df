import * as fs from 'node:fs';
import * as path from 'node:path';

/** The native helper built from native/abstract_socket.c (see there for why it exists). */
export interface AbstractSocketHelper {
  /** Binds and listens on the abstract name; returns the listening descriptor. */
  listenAbstract(name: string, backlog?: number): number;
  /** Connects to the abstract name; returns the connected descriptor. */
  connectAbstract(name: string): number;
  /** SO_PEERCRED of a connected Unix socket descriptor (path or abstract): the process at the other end. */
  peerCredentials(fd: number): { pid: number; uid: number; gid: number };
  /** getpeername() of a connected Unix socket descriptor: the address the peer bound, null when it bound none. */
  peerName(fd: number): { kind: 'path' | 'abstract'; name: Buffer } | null;
}

let cached: AbstractSocketHelper | null | undefined;

/** The helper, or null where it was not built (non-Linux, or no compiler at install time). */
export function abstractSocketHelper(): AbstractSocketHelper | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.platform !== 'linux') return cached;
  // From electron/sockets (sources under test) and from dist/electron/sockets (built), the package root is two or three levels up.
  for (const root of [path.join(__dirname, '..', '..'), path.join(__dirname, '..', '..', '..')]) {
    const file = path.join(root, 'build', 'Release', 'abstract_socket.node');
    if (fs.existsSync(file)) {
      cached = require(file) as AbstractSocketHelper;
      break;
    }
  }
  return cached;
}
