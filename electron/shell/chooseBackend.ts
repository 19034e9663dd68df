import { AttachedHubBackend } from '../bridge/AttachedHubBackend';
import { LocalHubBackend } from '../bridge/LocalHubBackend';
import { OfflineBackend } from '../bridge/OfflineBackend';
import { ListenError } from '../hub/listeners';
import { connectSocket, formatSocketAddress, type SocketAddress } from '../sockets/socketAddress';
import { type BackendTarget, hubAnnouncements } from '../serve/backendTarget';

export type BackendChoice =
  /** `announcements`: where it listens and what it taps, the lines serve prints. */
  | { outcome: 'started local hub'; backend: LocalHubBackend; announcements: string[] }
  | { outcome: 'attached'; backend: AttachedHubBackend }
  | { outcome: 'opened recording'; backend: OfflineBackend }
  /** Another hub already serves `address`: the user decides whether to attach to it as a monitor. */
  | { outcome: 'live hub found'; address: string; reason: string; token: string | undefined };

/** Where the hub's lines go: `warn` gets warnings a user should see (e.g. a stale socket file removed), `log` the hub's log (connections, federation). */
export interface BackendReports {
  warn?: (line: string) => void;
  log?: (line: string) => void;
}

/**
 * Opens the recording when asked to (--open); attaches when asked to (--attach); otherwise starts a
 * hub as serve does, on every requested address with the plain listeners and taps of the hub flags.
 * When that fails because something already answers on one of the addresses, returns 'live hub
 * found' instead of failing, so the app can offer to watch that hub. Any other failure is thrown
 * (ListenError for an address that cannot be bound, ConnectError when attaching fails).
 */
export async function chooseBackend(target: BackendTarget, { warn, log }: BackendReports = {}): Promise<BackendChoice> {
  if (target.kind === 'open') return { outcome: 'opened recording', backend: await OfflineBackend.open(target.file) };
  if (target.kind === 'attach') return { outcome: 'attached', backend: await attachBackend(target.socket, target.token) };
  const { setup } = target;
  try {
    const backend = await LocalHubBackend.start(setup.addresses, { ...setup.hubOptions, log }, { mode: setup.mode, warn }, setup);
    return { outcome: 'started local hub', backend, announcements: hubAnnouncements(backend, setup) };
  } catch (err) {
    if (!(err instanceof ListenError)) throw err;
    // ListenError covers other causes too (not a socket, permission denied), so ask the addresses themselves.
    const live = await firstAnswering(setup.addresses);
    if (live === null) throw err;
    return { outcome: 'live hub found', address: formatSocketAddress(live), reason: err.message, token: setup.hubOptions.token };
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
