import { userName } from '../sockets/userDatabase';
import type { ConnectionOrigin } from './HubConnection';
import { peerIdentity, peerUser } from './peerIdentity';

/**
 * Who may connect and which module IDs belong to whom (`--allow-uid`, `--allow-gid`, `--owner`;
 * docs/SECURITY.md, PROTOCOL.md 14.4), by the peer's identity as the kernel reports it.
 */
export interface AccessPolicy {
  /** Users admitted; null when --allow-uid was not given. */
  allowUids: ReadonlySet<number> | null;
  /** Groups admitted (the peer's gid, SO_PEERCRED's one gid); null when --allow-gid was not given. */
  allowGids: ReadonlySet<number> | null;
  /** Module ID → the only uid that may register it. */
  owners: ReadonlyMap<string, number>;
}

export function accessPolicy(options: { allowUids?: readonly number[]; allowGids?: readonly number[]; owners?: ReadonlyMap<string, number> }): AccessPolicy {
  return {
    allowUids: options.allowUids === undefined || options.allowUids.length === 0 ? null : new Set(options.allowUids),
    allowGids: options.allowGids === undefined || options.allowGids.length === 0 ? null : new Set(options.allowGids),
    owners: options.owners ?? new Map(),
  };
}

/** Whether the hub must know a connection's uid before it takes the connection in (a TCP peer's is looked up first). */
export function policyNeedsIdentity(policy: AccessPolicy | null): boolean {
  return policy !== null && (policy.allowUids !== null || policy.allowGids !== null || policy.owners.size > 0);
}

/**
 * Why the peer may not connect at all, or null. The hub's own user is always admitted (it can read
 * the hub's memory anyway); a peer whose uid is unknown (no native helper, a TCP peer /proc could
 * not place) is refused, since the rule cannot be checked.
 */
export function admissionProblem(policy: AccessPolicy | null, origin: ConnectionOrigin, hubUid: number | undefined): string | null {
  if (policy === null || (policy.allowUids === null && policy.allowGids === null)) return null;
  // A tap's upstream side is a connection the hub itself made to the server it was told to tap.
  if (origin.tap?.side === 'upstream') return null;
  const { uid, gid } = peerUser(origin);
  if (uid === undefined) return `the hub admits only some users (${describeRule(policy)}) and could not tell who is behind this ${origin.transport} connection on ${origin.listener}`;
  if (uid === hubUid || policy.allowUids?.has(uid) || (gid !== undefined && policy.allowGids?.has(gid))) return null;
  return `${describePeer(origin)} may not connect to ${origin.listener}: the hub admits ${describeRule(policy)}`;
}

/** Why the peer may not register `id`, which --owner reserves for another user, or null. */
export function ownerProblem(policy: AccessPolicy | null, id: string, origin: ConnectionOrigin): string | null {
  const owner = policy?.owners.get(id);
  if (owner === undefined) return null;
  const { uid } = peerUser(origin);
  if (uid === owner) return null;
  const who = uid === undefined ? `a peer whose uid is unknown (${origin.transport} on ${origin.listener})` : describePeer(origin);
  return `module ID "${id}" is reserved for ${describeUser(owner)} (--owner); ${who} may not register it`;
}

/** "uid 65534 (nobody), gid 65534, pid 4123, /usr/bin/python3.11": who was refused, for the ERROR, the log and the monitor's EVENT. */
export function describePeer(origin: ConnectionOrigin): string {
  const identity = peerIdentity(origin);
  const parts = [identity.uid === undefined ? 'uid unknown' : describeUser(identity.uid)];
  if (identity.gid !== undefined) parts.push(`gid ${identity.gid}`);
  if (identity.pid !== undefined) parts.push(`pid ${identity.pid}`);
  if (identity.exe !== undefined) parts.push(identity.exe);
  return parts.join(', ');
}

function describeUser(uid: number): string {
  const name = userName(uid);
  return name === null ? `uid ${uid}` : `uid ${uid} (${name})`;
}

function describeRule(policy: AccessPolicy): string {
  const rules: string[] = ['its own user'];
  if (policy.allowUids !== null) rules.push(`uid ${[...policy.allowUids].join(', ')}`);
  if (policy.allowGids !== null) rules.push(`gid ${[...policy.allowGids].join(', ')}`);
  return rules.join('; ');
}
