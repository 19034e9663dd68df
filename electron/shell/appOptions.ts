import * as path from 'node:path';
import { CommandError, FlagValues, parseCommandArgs, UsageError } from '../cli/args';
import { APP_FLAGS, hubFlags } from '../cli/commandSpecs';
import { type BackendTarget, backendTargetFromFlags } from '../serve/backendTarget';

/** What the desktop app was asked to do, from its command line and environment. */
export interface AppOptions {
  /**
   * Its own hub (the hub flags, read by hubSetupFromFlags as `relayscope hub` and `serve` read them),
   * the hub at --attach S, or the recording --open FILE (made absolute) in the offline view.
   */
  target: BackendTarget;
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

const HUB_FLAG_NAMES = Object.keys(hubFlags)
  .map((name) => `--${name}`)
  .join(' ');

export const APP_USAGE = `Relayscope takes the flags of relayscope serve but --port and --page-token-file (relayscope serve --help): the hub flags (${HUB_FLAG_NAMES}) to run its hub, --attach S [--token-file FILE] to watch a hub run elsewhere, or --open FILE to show a recording; --record FILE.mcap records a live hub from the start`;

/**
 * The arguments meant for the app: Electron's argv starts with the executable, followed by the app
 * directory when it was launched as `electron APP_DIR` (process.defaultApp) rather than packaged.
 */
export function userArguments(argv: readonly string[], launchedWithAppDir: boolean): string[] {
  return argv.slice(launchedWithAppDir ? 2 : 1);
}

/**
 * Parses the app's arguments with serve's flag specs and serve's rules (backendTargetFromFlags), so
 * every flag means what it means there and is refused with the same message. Without --socket,
 * --tcp or --attach the hub listens on defaultSocket(env) ($RELAYSCOPE_SOCKET first); the token
 * defaults to $RELAYSCOPE_TOKEN.
 */
export function parseAppOptions(args: readonly string[], env: NodeJS.ProcessEnv = process.env): AppOptions {
  const ignored: string[] = [];
  try {
    const flags = new FlagValues('relayscope', parseCommandArgs({ name: 'relayscope', summary: '', synopsis: '', flags: APP_FLAGS }, args, ignored));
    const target = backendTargetFromFlags(flags, env);
    return { target: target.kind === 'open' ? { kind: 'open', file: path.resolve(target.file) } : target, ignored };
  } catch (err) {
    // CommandError: a token file that cannot be read or is open to other users.
    if (err instanceof UsageError || err instanceof CommandError) throw new AppOptionsError(err.message);
    throw err;
  }
}
