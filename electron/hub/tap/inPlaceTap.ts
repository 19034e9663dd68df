import type { RelayHub } from '../RelayHub';
import { holdInPlace, type InPlaceHold } from './inPlace';
import type { TapHandle } from './tapListener';
import type { TapFramingName } from './tapSpec';

/** An in-place tap: the hub's tap listening at the server's path, the server's socket held aside. */
export interface InPlaceTap {
  readonly path: string;
  readonly asidePath: string;
  readonly tap: TapHandle;
  /** Puts the server's socket back, then closes the tap and the connections through it. */
  close(): Promise<void>;
}

/**
 * `--tap-in-place PATH` (hub, serve, `relayscope tap --in-place`): a tap of `hub` takes over PATH
 * (inPlace.ts), forwarding to the server's socket moved aside. However the tap ends (close(), the
 * hub closing, the window closing, the process exiting) the server's socket goes back; only a kill
 * that runs no code leaves it aside, for `relayscope tap --restore PATH`.
 */
export async function addInPlaceTap(hub: RelayHub, socketPath: string, framing: TapFramingName, warn: (line: string) => void = () => {}): Promise<InPlaceTap> {
  const bound: { tap?: TapHandle } = {};
  let hold: InPlaceHold;
  try {
    hold = await holdInPlace(socketPath, async ({ stagingPath, upstream, mode }) => {
      bound.tap = await hub.addTap({ listen: { kind: 'path', path: stagingPath }, upstream: { kind: 'path', path: upstream }, framing, mode, warn });
    });
  } catch (err) {
    // Refused after the tap was bound (e.g. the owner could not be given): nothing of it may stay open.
    await bound.tap?.close();
    throw err;
  }
  const opened = bound.tap as TapHandle;
  const restore = (): void => {
    const problem = hold.restore();
    if (problem !== null) warn(problem);
  };
  // Synchronous, so it also runs when the process exits on an uncaught error.
  process.once('exit', restore);
  void opened.closed.then(() => {
    restore();
    process.removeListener('exit', restore);
  });
  return {
    path: socketPath,
    asidePath: hold.asidePath,
    tap: opened,
    async close() {
      // Back first: a client connecting while the tap closes reaches the server, not a closed socket.
      restore();
      process.removeListener('exit', restore);
      await opened.close();
    },
  };
}
