import * as path from 'node:path';
import { AddressError, defaultSocket, formatSocketAddress, parseHostPort, parseSocketAddress, type SocketAddress } from '../sockets/socketAddress';

/** What the desktop app was asked to do, from its command line and environment. */
export interface AppOptions {
  /** Where the app's own hub listens; unused when attaching. */
  addresses: SocketAddress[];
  /** Attach as a monitor to the hub at this address (as users write it) instead of starting one. */
  attach: string | null;
  token: string | undefined;
  /** Show this recording (.mcap, .pcapng, .jsonl) in the offline view; no hub runs. Absent otherwise. */
  open?: string;
  /** Arguments the app does not know. Chromium switches (e.g. --no-sandbox) arrive in argv too, so they are reported, not refused. */
  ignored: string[];
}

/** A command line the app cannot act on; main.ts shows the message and exits with 2. */
export class AppOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppOptionsError';
  }
}

export const APP_USAGE =
  'Relayscope takes [--socket PATH|@NAME|tcp://HOST:PORT]... [--tcp HOST:PORT] [--token T] to run its hub, --attach SOCKET [--token T] to watch a hub run elsewhere, or --open FILE to show a recording';

const VALUE_FLAGS = ['socket', 'tcp', 'attach', 'token', 'open'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

/**
 * The arguments meant for the app: Electron's argv starts with the executable, followed by the app
 * directory when it was launched as `electron APP_DIR` (process.defaultApp) rather than packaged.
 */
export function userArguments(argv: readonly string[], launchedWithAppDir: boolean): string[] {
  return argv.slice(launchedWithAppDir ? 2 : 1);
}

/**
 * Parses `--socket S` (repeatable), `--tcp HOST:PORT`, `--attach S` and `--token T` (also as
 * `--flag=value`). Without --socket, --tcp or --attach the hub listens on defaultSocket(env)
 * ($RELAYSCOPE_SOCKET first); the token defaults to $RELAYSCOPE_TOKEN.
 */
export function parseAppOptions(args: readonly string[], env: NodeJS.ProcessEnv = process.env): AppOptions {
  const values: Record<ValueFlag, string[]> = { socket: [], tcp: [], attach: [], token: [], open: [] };
  const ignored: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const flag = match !== null && (VALUE_FLAGS as readonly string[]).includes(match[1]) ? (match[1] as ValueFlag) : null;
    if (flag === null || match === null) {
      ignored.push(arg);
      continue;
    }
    let value = match[2];
    if (value === undefined) {
      value = args[i + 1];
      if (value === undefined || value.startsWith('--')) throw new AppOptionsError(`--${flag} needs a value`);
      i++;
    }
    values[flag].push(value);
  }
  for (const flag of ['tcp', 'attach', 'token', 'open'] as const) {
    if (values[flag].length > 1) throw new AppOptionsError(`--${flag} can be given only once`);
  }
  const [tcp] = values.tcp;
  const [attach] = values.attach;
  const token = values.token[0] ?? (env.RELAYSCOPE_TOKEN || undefined);
  const [open] = values.open;
  if (open !== undefined) {
    if (attach !== undefined || values.socket.length > 0 || tcp !== undefined)
      throw new AppOptionsError('--open shows a recording and runs no hub, so it cannot be combined with --attach, --socket or --tcp');
    return { addresses: [], attach: null, token, open: path.resolve(open), ignored };
  }
  try {
    if (attach !== undefined) {
      if (values.socket.length > 0 || tcp !== undefined) throw new AppOptionsError('--attach uses a hub that runs elsewhere, so it cannot be combined with --socket or --tcp');
      return { addresses: [], attach: formatSocketAddress(parseSocketAddress(attach)), token, ignored };
    }
    const addresses = values.socket.map(parseSocketAddress);
    if (tcp !== undefined) addresses.push(parseHostPort(tcp));
    if (addresses.length === 0) addresses.push(parseSocketAddress(defaultSocket(env)));
    return { addresses, attach: null, token, ignored };
  } catch (err) {
    if (err instanceof AddressError) throw new AppOptionsError(err.message);
    throw err;
  }
}
