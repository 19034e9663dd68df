import * as path from 'node:path';
import { AddressError, formatSocketAddress, parseSocketAddress, type SocketAddress } from '../../sockets/socketAddress';

export const TAP_FRAMINGS = ['raw', 'lines', 'u32be', 'http'] as const;
/** How a tap cuts each direction's bytes into messages for the view (tapFraming.ts); the bytes passed on are never changed. */
export type TapFramingName = (typeof TAP_FRAMINGS)[number];

/** `--tap LISTEN=UPSTREAM[,framing=F]` */
export interface TapSpec {
  listen: SocketAddress;
  upstream: SocketAddress;
  framing: TapFramingName;
}

/** `--tap-in-place PATH[,framing=F]`: an existing server's socket file to take over (inPlace.ts). */
export interface InPlaceTapSpec {
  /** Absolute, so the socket is put back where it was whatever the working directory is by then. */
  path: string;
  framing: TapFramingName;
}

const FRAMING_SUFFIX = /,framing=([a-z0-9]+)$/;

export function isTapFraming(name: string): name is TapFramingName {
  return (TAP_FRAMINGS as readonly string[]).includes(name);
}

/**
 * Parses `LISTEN=UPSTREAM`, optionally ending in `,framing=F` (which wins over `defaultFraming`, the
 * `--tap-framing` flag's). Each address is a path, @name or tcp://HOST:PORT; the first `=` splits
 * them. Throws AddressError saying what is wrong.
 */
export function parseTapSpec(text: string, defaultFraming: TapFramingName = 'raw'): TapSpec {
  const { rest, framing } = splitFraming(text, defaultFraming);
  const equals = rest.indexOf('=');
  if (equals <= 0 || equals === rest.length - 1) throw new AddressError(`"${text}" is not LISTEN=UPSTREAM (e.g. /tmp/docker-tap.sock=/run/docker.sock, or @tap=tcp://127.0.0.1:8080,framing=http)`);
  const listen = parseSocketAddress(rest.slice(0, equals));
  const upstream = parseSocketAddress(rest.slice(equals + 1));
  if (formatSocketAddress(listen) === formatSocketAddress(upstream)) throw new AddressError(`"${text}": the tap cannot listen on the address it forwards to`);
  return { listen, upstream, framing };
}

/** Parses `PATH[,framing=F]` for `--tap-in-place`; throws AddressError for anything but a socket path. */
export function parseInPlaceSpec(text: string, defaultFraming: TapFramingName = 'raw'): InPlaceTapSpec {
  const { rest, framing } = splitFraming(text, defaultFraming);
  const address = parseSocketAddress(rest);
  if (address.kind !== 'path') throw new AddressError(`"${text}": an in-place tap takes over a socket file, and ${formatSocketAddress(address)} is not a path`);
  return { path: path.resolve(address.path), framing };
}

/** The `,framing=F` a spec may end in, checked, and the text before it. */
function splitFraming(text: string, defaultFraming: TapFramingName): { rest: string; framing: TapFramingName } {
  const suffix = FRAMING_SUFFIX.exec(text);
  if (suffix === null) return { rest: text, framing: defaultFraming };
  if (!isTapFraming(suffix[1])) throw new AddressError(`"${text}": framing=${suffix[1]} is not one of ${TAP_FRAMINGS.join(', ')}`);
  return { rest: text.slice(0, suffix.index), framing: suffix[1] };
}
