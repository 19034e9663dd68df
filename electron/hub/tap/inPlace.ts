/**
 * Tapping a live server's socket file in place (`--tap-in-place PATH`, `relayscope tap --in-place`):
 * the server's socket is moved aside in the same directory under a name that says Relayscope holds it,
 * the tap's own socket takes the original path with the original owner and mode, and on exit the
 * server's socket is put back. Plain fs and net: the caller supplies the listener (the tap).
 *
 * Moving a socket file never touches the server's listening socket or the connections it already
 * accepted: the kernel finds a socket by path only at connect(). Every step that changes the path is
 * a single rename() or link(), so a client connecting meanwhile reaches either the server or the tap,
 * never "no such file".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connectSocket, socketPathLengthProblem } from '../../sockets/socketAddress';

export class InPlaceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InPlaceError';
  }
}

/** The command that puts back a socket a killed tap left aside; the README and the refusals show it. */
export function restoreCommand(socketPath: string): string {
  return `relayscope tap --restore ${socketPath}`;
}

const ASIDE_MARK = '.relayscope-tap-';
/** Suffix of the name the tap's socket is bound under before it is renamed over the original path. */
const STAGING_SUFFIX = '.listen';

/** Where the server's socket goes while `pid` taps it: ".NAME.relayscope-tap-PID" beside it. */
export function asidePathFor(socketPath: string, pid = process.pid): string {
  return path.join(path.dirname(socketPath), `.${path.basename(socketPath)}${ASIDE_MARK}${pid}`);
}

/** Files a tap of `socketPath` left beside it: the server's socket moved aside, and a staging name if it died while binding. */
export function leftoversOf(socketPath: string): { aside: { path: string; pid: number }[]; staging: string[] } {
  const prefix = `.${path.basename(socketPath)}${ASIDE_MARK}`;
  const aside: { path: string; pid: number }[] = [];
  const staging: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(socketPath));
  } catch {
    return { aside, staging };
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const full = path.join(path.dirname(socketPath), name);
    if (/^\d+$/.test(rest)) aside.push({ path: full, pid: Number(rest) });
    else if (rest.endsWith(STAGING_SUFFIX) && /^\d+$/.test(rest.slice(0, -STAGING_SUFFIX.length))) staging.push(full);
  }
  return { aside, staging };
}

/** What the tap's listener is asked for: bind `stagingPath` with `mode` and forward every connection to `upstream`. */
export interface InPlaceListenRequest {
  stagingPath: string;
  upstream: string;
  mode: number;
}

/** The server's socket held aside; restore() puts it back (synchronous, so it also runs in an exit handler). */
export interface InPlaceHold {
  readonly path: string;
  readonly asidePath: string;
  /** Puts the server's socket back at `path`; idempotent. Returns a warning when it could not be done exactly. */
  restore(): string | null;
}

/**
 * Takes `socketPath` over: checks it is a live socket we may move, has `listenAt` bind the tap's
 * socket at a staging name, gives that the original owner, then moves the server's socket aside and
 * the tap's into place. Nothing is changed when it throws (InPlaceError for every refusal).
 */
export async function holdInPlace(socketPath: string, listenAt: (request: InPlaceListenRequest) => Promise<void>): Promise<InPlaceHold> {
  const original = await checkTappable(socketPath);
  const asidePath = asidePathFor(socketPath);
  const stagingPath = `${asidePath}${STAGING_SUFFIX}`;
  for (const candidate of [asidePath, stagingPath]) {
    const tooLong = socketPathLengthProblem(candidate);
    if (tooLong !== null) throw new InPlaceError(`cannot tap ${socketPath} in place: the name it is moved aside to is too long (${tooLong})`);
  }
  await listenAt({ stagingPath, upstream: asidePath, mode: original.mode & 0o777 });
  const bound = lstatOrNull(stagingPath);
  try {
    if (bound === null || !bound.isSocket()) throw new InPlaceError(`cannot tap ${socketPath} in place: the tap's socket ${stagingPath} was not created`);
    giveOwner(stagingPath, bound, original, socketPath);
    moveAsideAndReplace(socketPath, asidePath, stagingPath);
  } catch (err) {
    fs.rmSync(stagingPath, { force: true });
    throw err;
  }
  return new Hold(socketPath, asidePath, bound.ino);
}

class Hold implements InPlaceHold {
  private restored = false;

  constructor(
    readonly path: string,
    readonly asidePath: string,
    /** Inode of the tap's socket file, to know it is still the one at `path`. */
    private readonly tapIno: number,
  ) {}

  restore(): string | null {
    if (this.restored) return null;
    this.restored = true;
    const now = lstatOrNull(this.path);
    if (now !== null && now.ino !== this.tapIno) {
      return `${this.path} was replaced while it was tapped (the server made a new socket?); it is left as it is, and the old socket stays at ${this.asidePath}`;
    }
    try {
      // One rename replaces the tap's socket file with the server's: no moment without a file at the path.
      fs.renameSync(this.asidePath, this.path);
      return null;
    } catch (err) {
      return `could not put ${this.path} back (${(err as Error).message}); restore it with: ${restoreCommand(this.path)}`;
    }
  }
}

interface SocketFile {
  mode: number;
  uid: number;
  gid: number;
}

/** Refuses a path that is not a live socket, one a previous tap left aside, or one in a directory we may not change. */
async function checkTappable(socketPath: string): Promise<SocketFile> {
  const stat = lstatOrNull(socketPath);
  if (stat === null) throw new InPlaceError(`cannot tap ${socketPath} in place: there is no such file`);
  if (!stat.isSocket()) throw new InPlaceError(`cannot tap ${socketPath} in place: it is not a socket`);
  const { aside } = leftoversOf(socketPath);
  if (aside.length > 0) {
    const running = aside.find((file) => processIsAlive(file.pid));
    if (running !== undefined) throw new InPlaceError(`${socketPath} is already tapped in place by process ${running.pid} (its server's socket is at ${running.path}); stop that tap first`);
    throw new InPlaceError(`a previous tap of ${socketPath} did not put it back: the server's socket is still at ${aside[0].path}; restore it with: ${restoreCommand(socketPath)}`);
  }
  const live = await answers(socketPath);
  if (live !== true) throw new InPlaceError(`cannot tap ${socketPath} in place: no server is listening on it (connect: ${live}); it is a stale socket file`);
  const dir = path.dirname(socketPath);
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw new InPlaceError(`cannot tap ${socketPath} in place: you may not rename files in ${dir} (no write permission); run as its owner or root`);
  }
  return { mode: stat.mode, uid: stat.uid, gid: stat.gid };
}

/** The tap's socket gets the server's owner and group, so the same users may connect; only root (or that owner, for a group of theirs) can give it. */
function giveOwner(stagingPath: string, bound: fs.Stats, original: SocketFile, socketPath: string): void {
  if (bound.uid === original.uid && bound.gid === original.gid) return;
  try {
    // lchown: a symlink renamed over the staging name is changed itself, not what it points at.
    fs.lchownSync(stagingPath, original.uid, original.gid);
  } catch (err) {
    throw new InPlaceError(
      `cannot tap ${socketPath} in place: its owner is uid ${original.uid} gid ${original.gid}, and only root (or that user, for one of their groups) can give the tap's socket that owner (${(err as NodeJS.ErrnoException).code}); run the tap as root or as uid ${original.uid}`,
    );
  }
}

/**
 * link() the server's socket to the aside name, then rename() the tap's over the original path: the
 * path always leads somewhere. Where a hard link is not allowed (fs.protected_hardlinks on a socket
 * of another user) the server's socket is renamed aside instead, leaving the path absent for the
 * moment between two renames.
 */
function moveAsideAndReplace(socketPath: string, asidePath: string, stagingPath: string): void {
  let linked = true;
  try {
    fs.linkSync(socketPath, asidePath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw renameRefusal(socketPath, err);
    linked = false;
    try {
      fs.renameSync(socketPath, asidePath);
    } catch (renameErr) {
      throw renameRefusal(socketPath, renameErr);
    }
  }
  try {
    fs.renameSync(stagingPath, socketPath);
  } catch (err) {
    if (linked) fs.rmSync(asidePath, { force: true });
    else fs.renameSync(asidePath, socketPath);
    throw renameRefusal(socketPath, err);
  }
}

function renameRefusal(socketPath: string, err: unknown): InPlaceError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'EACCES' || code === 'EPERM' ? `you may not rename it (${code}: in a sticky directory such as /tmp only its owner or root may); run as its owner or root` : (err as Error).message;
  return new InPlaceError(`cannot tap ${socketPath} in place: ${why}`);
}

/**
 * `relayscope tap --restore PATH`: puts back the server's socket a tap left aside when it was killed.
 * Checks the tap is gone, the aside socket is live and nothing listens at PATH (the killed tap's own
 * socket file, if there, is dead); returns what it did.
 */
export async function restoreLeftover(socketPath: string): Promise<string> {
  const { aside, staging } = leftoversOf(socketPath);
  if (aside.length === 0) throw new InPlaceError(`nothing to restore: no socket of ${socketPath} is held aside (no .${path.basename(socketPath)}${ASIDE_MARK}PID beside it)`);
  if (aside.length > 1) throw new InPlaceError(`more than one socket of ${socketPath} is held aside (${aside.map((file) => file.path).join(', ')}); move the live one back by hand with mv`);
  const [held] = aside;
  if (processIsAlive(held.pid)) throw new InPlaceError(`the tap holding ${socketPath} (process ${held.pid}) is still running: stop it (kill ${held.pid}) and it puts the socket back itself`);
  const heldLive = await answers(held.path, socketPath);
  if (heldLive !== true)
    throw new InPlaceError(`the server's socket held aside at ${held.path} is not live (connect: ${heldLive}): its server has exited. Remove it (rm ${held.path}) and let the server make a new one`);
  const current = lstatOrNull(socketPath);
  if (current !== null && current.ino === lstatOrNull(held.path)?.ino) {
    // The tap died between linking the server's socket aside and moving its own in: the path was never changed.
    fs.unlinkSync(held.path);
    for (const file of staging) fs.rmSync(file, { force: true });
    return `${socketPath} was never replaced; removed the second name ${held.path} a tap (process ${held.pid}) had given it`;
  }
  if (current !== null) {
    if (!current.isSocket()) throw new InPlaceError(`${socketPath} is now a file that is not a socket; refusing to replace it (the server's socket is at ${held.path})`);
    // Probed, not looked up by name: the server held aside is listed under this very name.
    if ((await probe(socketPath)) === true) throw new InPlaceError(`something is listening on ${socketPath} again; refusing to replace it (the server's socket is at ${held.path})`);
  }
  // Replaces the dead tap socket in one step, as the tap's own restore does.
  fs.renameSync(held.path, socketPath);
  for (const file of staging) fs.rmSync(file, { force: true });
  return `restored ${socketPath} (the server's socket, held aside at ${held.path} by process ${held.pid})`;
}

/**
 * true when a server listens at `socketPath`, else why not (ECONNREFUSED: a stale file). A listening
 * socket bound under `boundAs` (the name the server gave it) is looked up in /proc/net/unix first, which the server never notices;
 * only when none is found (a server that bound a relative name, or no /proc) is a connection tried,
 * which the server sees as a client that connects and closes at once.
 */
async function answers(socketPath: string, boundAs = socketPath): Promise<true | string> {
  return boundListeners().has(boundAs) ? true : probe(socketPath);
}

/** Connects to `socketPath` and closes at once: true when that worked, else the error code. */
async function probe(socketPath: string): Promise<true | string> {
  try {
    const socket = await connectSocket({ kind: 'path', path: socketPath }, 2000);
    socket.destroy();
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
}

/** __SO_ACCEPTCON in /proc/net/unix's Flags column: the socket is listening. */
const ACCEPTING = 0x10000;

/** The names listening Unix sockets were bound under (as bound: renaming the file later does not change them). */
function boundListeners(): Set<string> {
  const names = new Set<string>();
  let table: string;
  try {
    table = fs.readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return names;
  }
  for (const line of table.split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path
    const fields = line.trim().split(/\s+/);
    if (fields.length >= 8 && (Number.parseInt(fields[3], 16) & ACCEPTING) !== 0) names.add(fields.slice(7).join(' '));
  }
  return names;
}

function processIsAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lstatOrNull(file: string): fs.Stats | null {
  try {
    return fs.lstatSync(file);
  } catch {
    return null;
  }
}
