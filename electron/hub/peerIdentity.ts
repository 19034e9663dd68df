import type { ConnectionOrigin, PlainFramingName } from './HubConnection';

/** Who is behind a connection, as STATS, join events and recordings show it; a field is absent when unknown. */
export interface PeerIdentity {
  pid?: number;
  uid?: number;
  gid?: number;
  exe?: string;
  cmdline?: string[];
  framing?: PlainFramingName;
  /** A side of a tapped connection (electron/hub/tap/): the program that connected to the tap, or the server it forwards to. */
  tap?: 'client' | 'upstream';
  /** For a tap's client: the module ID of the upstream it is passed on to. */
  tapUpstream?: string;
}

/** The identity recorded at accept (listeners.ts), with only the fields that are known. */
export function peerIdentity(origin: ConnectionOrigin): PeerIdentity {
  const identity: PeerIdentity = {};
  const user = peerUser(origin);
  if (user.pid !== undefined) identity.pid = user.pid;
  if (user.uid !== undefined) identity.uid = user.uid;
  if (user.gid !== undefined) identity.gid = user.gid;
  const found = origin.process ?? origin.tcpOwner?.process;
  if (found?.exe !== undefined) identity.exe = found.exe;
  if (found?.cmdline !== undefined) identity.cmdline = found.cmdline;
  if (origin.plain !== undefined) identity.framing = origin.plain.framing;
  if (origin.tap !== undefined) identity.tap = origin.tap.side;
  if (origin.tap?.upstream !== undefined) identity.tapUpstream = origin.tap.upstream;
  return identity;
}

/** The peer's pid, uid and gid as far as known: SO_PEERCRED for a Unix socket, /proc for a loopback TCP peer. */
export function peerUser(origin: ConnectionOrigin): { pid?: number; uid?: number; gid?: number } {
  return origin.credentials ?? origin.tcpOwner ?? {};
}

/** The detail of a JOIN EVENT (PROTOCOL.md 8.2): that identity as a JSON object, empty when nothing is known. */
export function joinDetail(origin: ConnectionOrigin): string {
  const identity = peerIdentity(origin);
  return Object.keys(identity).length === 0 ? '' : JSON.stringify(identity);
}

/** Keyed by the type, so a framing added there must be added here. */
const PLAIN_FRAMINGS: Record<PlainFramingName, true> = { 'id-byte': true, line: true };

/**
 * The inverse of joinDetail, for whoever reads JOIN events back (monitors, recordings, exports): the
 * fields of the detail's JSON object that have their documented types; {} for a detail that is
 * none (an older hub, or nothing known), so a reader never fails on it.
 */
export function parseJoinDetail(detail: string): PeerIdentity {
  let value: unknown;
  try {
    value = JSON.parse(detail);
  } catch {
    return {};
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const object = value as Record<string, unknown>;
  const identity: PeerIdentity = {};
  const id = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  if (id(object.pid)) identity.pid = object.pid;
  if (id(object.uid)) identity.uid = object.uid;
  if (id(object.gid)) identity.gid = object.gid;
  if (typeof object.exe === 'string') identity.exe = object.exe;
  if (Array.isArray(object.cmdline) && object.cmdline.every((arg) => typeof arg === 'string')) identity.cmdline = object.cmdline;
  if (typeof object.framing === 'string' && Object.hasOwn(PLAIN_FRAMINGS, object.framing)) identity.framing = object.framing as PlainFramingName;
  if (object.tap === 'client' || object.tap === 'upstream') identity.tap = object.tap;
  if (typeof object.tapUpstream === 'string') identity.tapUpstream = object.tapUpstream;
  return identity;
}
