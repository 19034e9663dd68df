import * as fs from 'node:fs';
import type * as net from 'node:net';
import { peerCredentials } from '../sockets/peerCredentials';
import type { SocketAddress } from '../sockets/socketAddress';
import { ConnectError } from './errors';

/** Names one more uid whose hub the client talks to (besides its own and root's); see allowedHubUid. */
export const ALLOW_HUB_UID_ENV = 'RELAYSCOPE_ALLOW_HUB_UID';

/** $RELAYSCOPE_ALLOW_HUB_UID as a uid, undefined when unset; throws RangeError when it is not a number. */
export function allowedHubUid(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env[ALLOW_HUB_UID_ENV];
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text)) throw new RangeError(`${ALLOW_HUB_UID_ENV} must be a numeric uid, not "${text}"`);
  return Number(text);
}

/**
 * Throws ConnectError unless the process listening on a Unix socket (path or @name) runs as this
 * user, as root, or as `allowedUid`. Called before HELLO is written: a socket someone else created
 * where the hub was expected (the default one in /tmp, a stale path, an abstract name anyone may
 * bind) would otherwise receive the token and whatever the client sends next.
 *
 * SO_PEERCRED says who listens; without the native helper a path falls back to the socket file's
 * owner, and an abstract name cannot be checked at all (PROTOCOL.md 2.5). TCP carries no uid: a
 * token is what protects it.
 */
export function checkHubOwner(socket: net.Socket, address: SocketAddress, socketName: string, allowedUid: number | undefined): void {
  const ownUid = process.getuid?.();
  if (address.kind === 'tcp' || ownUid === undefined) return;
  const credentials = peerCredentials(socket);
  let found: { uid: number; who: string } | null = credentials === null ? null : { uid: credentials.uid, who: `the hub there runs as uid ${credentials.uid} (pid ${credentials.pid})` };
  if (found === null && address.kind === 'path') {
    try {
      const uid = fs.statSync(address.path).uid;
      found = { uid, who: `the socket file belongs to uid ${uid}` };
    } catch {
      // Gone since connect(): the hub closing; the handshake will report that.
    }
  }
  if (found === null || found.uid === ownUid || found.uid === 0 || found.uid === allowedUid) return;
  throw new ConnectError(
    `refusing to send HELLO to ${socketName}: ${found.who}, not you (uid ${ownUid}) or root. Another user may have put it there to receive your messages and token; if you trust uid ${found.uid}, set ${ALLOW_HUB_UID_ENV}=${found.uid}`,
    socketName,
    'EPERM',
  );
}
