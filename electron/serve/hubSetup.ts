import * as fs from 'node:fs';
import type { FlagValues } from '../cli/args';
import { type FederationOptions, federationNameProblem } from '../hub/federation/federationOptions';
import { tokenFromFlags } from '../cli/tokenFlags';
import { type AccessPolicy, accessPolicy } from '../hub/accessPolicy';
import { moduleIdProblem } from '../protocol/moduleIdRules';
import { maxFrameLength } from '../protocol/protocol';
import { type PlainListenerSpec, parsePlainSpec } from '../hub/plain/plainListener';
import type { RelayHubOptions } from '../hub/RelayHub';
import { type InPlaceTap, type InPlaceTapSpec, parseInPlaceSpec, parseTapSpec, TAP_FRAMINGS, type TapHandle, type TapSpec } from '../hub/tap';
import { AddressError, defaultSocket, parseHostPort, parseSocketAddress, type SocketAddress } from '../sockets/socketAddress';
import { parseIdList, UnknownIdError } from '../sockets/userDatabase';

/** Hub flag names that only make sense when this process runs the hub (not with --attach). */
export const HUB_ONLY_FLAGS = [
  'tcp',
  'max-connections',
  'max-frame',
  'queue-bytes',
  'idle-timeout',
  'handshake-timeout',
  'takeover-probe',
  'memory-budget',
  'mode',
  'slow-consumer',
  'plain',
  'tap',
  'tap-in-place',
  'tap-framing',
  'allow-uid',
  'allow-gid',
  'owner',
  'nats',
  'bus',
  'hub-name',
  'nats-creds',
  'nats-token',
] as const;

/** What the hub flags (`relayscope hub --help`) ask for: where to listen and how the hub behaves. */
export interface HubSetup {
  addresses: SocketAddress[];
  /** `--plain FRAMING=ADDRESS`: listeners for programs that speak no Relayscope protocol (electron/hub/plain/). */
  plain: PlainListenerSpec[];
  /** `--tap LISTEN=UPSTREAM`: connections to pass on to an existing server and watch (electron/hub/tap/). */
  taps: TapSpec[];
  /** `--tap-in-place PATH`: existing servers' socket files to take over and put back on exit (electron/hub/tap/inPlace.ts). */
  inPlace: InPlaceTapSpec[];
  hubOptions: RelayHubOptions;
  /** File mode of socket paths. */
  mode: number | undefined;
}

/**
 * Reads the hub flags; throws UsageError for a bad value. The log callback is left to the caller.
 * `env` gives the default socket and token ($RELAYSCOPE_SOCKET, $RELAYSCOPE_TOKEN).
 */
export function hubSetupFromFlags(flags: FlagValues, env: NodeJS.ProcessEnv = process.env): HubSetup {
  const addresses = hubAddresses(flags, env);
  const mode = flags.octal('mode');
  const slowConsumerPolicy = flags.choice('slow-consumer', ['disconnect', 'drop'] as const, 'disconnect');
  const maxConnections = flags.integer('max-connections', 1);
  const maxPayload = flags.integer('max-frame', 1);
  const queueLimit = flags.integer('queue-bytes', 1);
  const idleTimeoutMs = flags.integer('idle-timeout', 0);
  const handshakeTimeoutMs = flags.integer('handshake-timeout', 1);
  const takeoverProbeMs = flags.integer('takeover-probe', 1);
  const memoryBudget = flags.integer('memory-budget', 1024 * 1024);
  const token = tokenFromFlags(flags, env);
  const access = accessFromFlags(flags);
  const federation = federationFromFlags(flags);

  // The frame length is a u32 that also covers the largest header, so the payload limit stays below 4 GiB by that much.
  const largestPayload = 0xffffffff - maxFrameLength(0);
  if (maxPayload !== undefined && maxPayload > largestPayload) throw flags.usage(`--max-frame can be at most ${largestPayload} bytes`);

  let plain: PlainListenerSpec[];
  try {
    plain = flags.strings('plain').map(parsePlainSpec);
  } catch (err) {
    if (err instanceof AddressError) throw flags.usage(`--plain: ${err.message}`);
    throw err;
  }

  const tapFraming = flags.choice('tap-framing', TAP_FRAMINGS, 'raw');
  let taps: TapSpec[];
  try {
    taps = flags.strings('tap').map((text) => parseTapSpec(text, tapFraming));
  } catch (err) {
    if (err instanceof AddressError) throw flags.usage(`--tap: ${err.message}`);
    throw err;
  }
  let inPlace: InPlaceTapSpec[];
  try {
    inPlace = flags.strings('tap-in-place').map((text) => parseInPlaceSpec(text, tapFraming));
  } catch (err) {
    if (err instanceof AddressError) throw flags.usage(`--tap-in-place: ${err.message}`);
    throw err;
  }

  return {
    addresses,
    plain,
    taps,
    inPlace,
    mode,
    hubOptions: { maxConnections, maxPayload, queueLimit, idleTimeoutMs, handshakeTimeoutMs, takeoverProbeMs, memoryBudget, slowConsumerPolicy, token, access, federation },
  };
}

/** The line `hub` and `serve` print for a tap once it listens. */
export function tapAnnouncement(tap: TapHandle): string {
  return `relayscope hub tapping ${tap.upstream} (module ${tap.upstreamId}) for clients on ${tap.listen}, framing ${tap.framing}`;
}

/** The line `hub` and `serve` print for an in-place tap once it holds the path. */
export function inPlaceAnnouncement(held: InPlaceTap): string {
  return `relayscope hub tapping ${held.path} in place (module ${held.tap.upstreamId}), framing ${held.tap.framing}: its server's socket is at ${held.asidePath} until this hub exits`;
}

/** `--allow-uid LIST`, `--allow-gid LIST` (each repeatable, names or numbers) and `--owner ID=USER`; undefined when none is given. */
function accessFromFlags(flags: FlagValues): AccessPolicy | undefined {
  if (!flags.has('allow-uid') && !flags.has('allow-gid') && !flags.has('owner')) return undefined;
  const ids = (name: 'allow-uid' | 'allow-gid'): number[] => {
    try {
      return flags.strings(name).flatMap((list) => parseIdList(list, name === 'allow-uid' ? 'user' : 'group'));
    } catch (err) {
      if (err instanceof UnknownIdError) throw flags.usage(`--${name}: ${err.message}`);
      throw err;
    }
  };
  const owners = new Map<string, number>();
  for (const text of flags.strings('owner')) {
    const equals = text.lastIndexOf('=');
    const id = text.slice(0, Math.max(0, equals));
    if (equals <= 0 || equals === text.length - 1) throw flags.usage(`--owner takes ID=USER (a user name or uid), e.g. --owner sensor=alice, not "${text}"`);
    const problem = moduleIdProblem(id);
    if (problem !== null) throw flags.usage(`--owner ${text}: ${problem}`);
    let uid: number;
    try {
      [uid] = parseIdList(text.slice(equals + 1), 'user');
    } catch (err) {
      if (err instanceof UnknownIdError) throw flags.usage(`--owner ${text}: ${err.message}`);
      throw err;
    }
    if (owners.has(id) && owners.get(id) !== uid) throw flags.usage(`--owner gives module ID "${id}" to two users; an ID has one owner`);
    owners.set(id, uid);
  }
  return accessPolicy({ allowUids: ids('allow-uid'), allowGids: ids('allow-gid'), owners });
}

/** `--nats URL [--bus NAME] [--hub-name NAME] [--nats-creds FILE | --nats-token T]`; undefined without --nats. */
function federationFromFlags(flags: FlagValues): FederationOptions | undefined {
  const url = flags.string('nats');
  if (url === undefined) {
    const stray = (['bus', 'hub-name', 'nats-creds', 'nats-token'] as const).find((name) => flags.has(name));
    if (stray !== undefined) throw flags.usage(`--${stray} configures the bus, which needs --nats URL`);
    return undefined;
  }
  if (url.trim() === '') throw flags.usage('--nats needs a NATS server URL, e.g. nats://127.0.0.1:4222');
  const bus = flags.string('bus');
  const hubName = flags.string('hub-name');
  for (const [what, name] of [
    ['bus', bus],
    ['hub', hubName],
  ] as const) {
    const problem = name === undefined ? null : federationNameProblem(what, name);
    if (problem !== null) throw flags.usage(`--${what === 'bus' ? 'bus' : 'hub-name'}: ${problem}`);
  }
  const credsFile = flags.string('nats-creds');
  const token = flags.string('nats-token');
  if (credsFile !== undefined && token !== undefined) throw flags.usage('--nats-creds and --nats-token are two ways to log in: give one');
  let creds: Uint8Array | undefined;
  if (credsFile !== undefined) {
    try {
      creds = fs.readFileSync(credsFile);
    } catch (err) {
      throw flags.usage(`--nats-creds: cannot read ${credsFile}: ${(err as Error).message}`);
    }
  }
  return { url, bus, hubName, creds, token };
}

function hubAddresses(flags: FlagValues, env: NodeJS.ProcessEnv): SocketAddress[] {
  try {
    const addresses = flags.strings('socket').map(parseSocketAddress);
    const tcp = flags.string('tcp');
    if (tcp !== undefined) addresses.push(parseHostPort(tcp));
    if (addresses.length === 0) addresses.push(parseSocketAddress(defaultSocket(env)));
    return addresses;
  } catch (err) {
    if (err instanceof AddressError) throw flags.usage(err.message);
    throw err;
  }
}
