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
  let rest = text;
  let framing = defaultFraming;
  const suffix = FRAMING_SUFFIX.exec(rest);
  if (suffix !== null) {
    if (!isTapFraming(suffix[1])) throw new AddressError(`"${text}": framing=${suffix[1]} is not one of ${TAP_FRAMINGS.join(', ')}`);
    framing = suffix[1];
    rest = rest.slice(0, suffix.index);
  }
  const equals = rest.indexOf('=');
  if (equals <= 0 || equals === rest.length - 1) throw new AddressError(`"${text}" is not LISTEN=UPSTREAM (e.g. /tmp/docker-tap.sock=/run/docker.sock, or @tap=tcp://127.0.0.1:8080,framing=http)`);
  const listen = parseSocketAddress(rest.slice(0, equals));
  const upstream = parseSocketAddress(rest.slice(equals + 1));
  if (formatSocketAddress(listen) === formatSocketAddress(upstream)) throw new AddressError(`"${text}": the tap cannot listen on the address it forwards to`);
  return { listen, upstream, framing };
}
