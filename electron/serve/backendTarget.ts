import type { LocalHubBackend } from '../bridge/LocalHubBackend';
import type { FlagValues } from '../cli/args';
import { tokenFromFlags } from '../cli/tokenFlags';
import { AddressError, formatSocketAddress, parseSocketAddress } from '../sockets/socketAddress';
import { HUB_ONLY_FLAGS, type HubSetup, hubSetupFromFlags, inPlaceAnnouncement, tapAnnouncement } from './hubSetup';

/**
 * What `relayscope serve` and the desktop app show, read from the same flags: a hub of their own (the
 * hub flags), one running elsewhere (--attach S) or a recording (--open FILE); --record FILE records a
 * live one from the start.
 */
export type BackendTarget =
  | { kind: 'hub'; setup: HubSetup; record: string | undefined }
  /** `socket` as formatSocketAddress writes it (a relative path made absolute). */
  | { kind: 'attach'; socket: string; token: string | undefined; record: string | undefined }
  | { kind: 'open'; file: string };

/** Reads --attach, --open, --record and the hub flags; throws UsageError for a combination that makes no sense or a bad value. */
export function backendTargetFromFlags(flags: FlagValues, env: NodeJS.ProcessEnv = process.env): BackendTarget {
  const attach = flags.string('attach');
  const open = flags.string('open');
  const record = flags.string('record');
  if (record !== undefined && open !== undefined) throw flags.usage('--record records a live hub, and --open runs none');
  if (record !== undefined && !record.toLowerCase().endsWith('.mcap'))
    throw flags.usage(`--record ${record}: a recording is written as MCAP, so FILE ends in .mcap (convert it afterwards with relayscope convert)`);
  if (open !== undefined && attach !== undefined) throw flags.usage('--open shows a recording and --attach a live hub: give one of them');
  if (open !== undefined) {
    const hubOnly = givenHubFlag(flags);
    if (hubOnly !== undefined) throw flags.usage(`--${hubOnly} configures a hub, and --open runs none`);
    return { kind: 'open', file: open };
  }
  if (attach !== undefined) {
    const hubOnly = givenHubFlag(flags);
    if (hubOnly !== undefined) throw flags.usage(`--${hubOnly} configures a hub this process runs, so it cannot be combined with --attach`);
    let socket: string;
    try {
      socket = formatSocketAddress(parseSocketAddress(attach));
    } catch (err) {
      if (err instanceof AddressError) throw flags.usage(`--attach: ${err.message}`);
      throw err;
    }
    return { kind: 'attach', socket, token: tokenFromFlags(flags, env), record };
  }
  return { kind: 'hub', setup: hubSetupFromFlags(flags, env), record };
}

/** The lines that say where a started hub listens and what it taps, as `serve` prints them. */
export function hubAnnouncements(backend: LocalHubBackend, setup: HubSetup): string[] {
  return [
    ...backend.describe().listeners.map((listener) => `relayscope hub listening on ${listener}`),
    ...backend.plainListeners.map((listener, i) => `relayscope hub listening on ${listener.description} for ${setup.plain[i].framing} programs`),
    ...backend.taps.map(tapAnnouncement),
    ...backend.inPlaceTaps.map(inPlaceAnnouncement),
  ];
}

/** The first flag given that only a hub of this process would use. */
function givenHubFlag(flags: FlagValues): string | undefined {
  return HUB_ONLY_FLAGS.find((name) => flags.has(name)) ?? (flags.has('socket') ? 'socket' : undefined);
}
