import { defaultSocket, formatSocketAddress, parseSocketAddress } from '../sockets/socketAddress';
import type { FlagValues } from './args';
import { writeOut } from './io';

/**
 * `relayscope socket`: the address every command uses without --socket, so scripts and docs can
 * name it ("$(relayscope socket)") without repeating the $RELAYSCOPE_SOCKET / $XDG_RUNTIME_DIR rules.
 */
export async function runSocket(flags: FlagValues): Promise<number> {
  const text = defaultSocket();
  try {
    writeOut(`${formatSocketAddress(parseSocketAddress(text))}\n`);
  } catch (err) {
    throw flags.usage(`$RELAYSCOPE_SOCKET "${text}": ${(err as Error).message}`);
  }
  return 0;
}
