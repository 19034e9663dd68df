import { AttachedHubBackend } from '../bridge/AttachedHubBackend';
import { LocalHubBackend } from '../bridge/LocalHubBackend';
import { OfflineBackend } from '../bridge/OfflineBackend';
import { ListenError } from '../hub/listeners';
import { connectSocket, formatSocketAddress, type SocketAddress } from '../sockets/socketAddress';
import type { AppOptions } from './appOptions';

export type BackendChoice =
  | { outcome: 'started local hub'; backend: LocalHubBackend }
  | { outcome: 'attached'; backend: AttachedHubBackend }
  | { outcome: 'opened recording'; backend: OfflineBackend }
  /** Another hub already serves `address`: the user decides whether to attach to it as a monitor. */
  | { outcome: 'live hub found'; address: string; reason: string };

/**
 * Opens the recording when asked to (--open); attaches when asked to (--attach); otherwise starts a hub on every requested address. When that
 * fails because something already answers on one of them, returns 'live hub found' instead of
 * failing, so the app can offer to watch that hub. Any other failure is thrown (ListenError for an
 * address that cannot be bound, ConnectError when attaching fails). `warn` gets warnings a user
 * should see, e.g. a stale socket file removed.
 */
export async function chooseBackend(options: AppOptions, warn?: (line: string) => void): Promise<BackendChoice> {
  if (options.open !== undefined) return { outcome: 'opened recording', backend: await OfflineBackend.open(options.open) };
  if (options.attach !== null) return { outcome: 'attached', backend: await attachBackend(options.attach, options.token) };
  try {
    const backend = await LocalHubBackend.start(options.addresses, { token: options.token }, { warn });
    return { outcome: 'started local hub', backend };
  } catch (err) {
    if (!(err instanceof ListenError)) throw err;
    // ListenError covers other causes too (not a socket, permission denied), so ask the addresses themselves.
    const live = await firstAnswering(options.addresses);
    if (live === null) throw err;
    return { outcome: 'live hub found', address: formatSocketAddress(live), reason: err.message };
  }
}

export function attachBackend(address: string, token: string | undefined): Promise<AttachedHubBackend> {
  return AttachedHubBackend.attach({ socket: address, token });
}

async function firstAnswering(addresses: readonly SocketAddress[]): Promise<SocketAddress | null> {
  for (const address of addresses) {
    try {
      const socket = await connectSocket(address, 1000);
      socket.destroy();
      return address;
    } catch {
      // Nothing there: try the next one.
    }
  }
  return null;
}
