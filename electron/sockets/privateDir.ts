import * as fs from 'node:fs';
import * as path from 'node:path';

/** The private socket directory is missing its promise: someone else could own or enter it. */
export class PrivateDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrivateDirError';
  }
}

const PRIVATE_MODE = 0o700;
/** S_ISVTX, which fs.constants lacks: only an entry's owner may rename or remove it. */
const STICKY_BIT = 0o1000;

/**
 * Creates `dir` with mode 0700, or accepts it when it already is a real directory owned by this user
 * with mode 0700; throws PrivateDirError otherwise. This is what makes a socket in a shared temporary
 * directory safe: another user who created the directory first could read every HELLO (and its
 * token) sent to a socket in it, or replace the socket.
 */
export function ensurePrivateDir(dir: string): void {
  const uid = process.getuid?.() ?? -1;
  refuseReplaceableParent(dir);
  let created = false;
  try {
    fs.mkdirSync(dir, { mode: PRIVATE_MODE });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new PrivateDirError(`cannot create the socket directory ${dir}: ${(err as Error).message}`);
  }
  // Opened without following a symlink, so the checks (and the chmod) apply to the directory itself,
  // not to whatever a name planted by someone else points to.
  let fd: number;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOTDIR') throw refusal(dir, 'is not a directory (it is a symbolic link or a file)');
    throw new PrivateDirError(`cannot open the socket directory ${dir}: ${(err as Error).message}`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.uid !== uid) throw refusal(dir, `belongs to uid ${stat.uid}, not to you (uid ${uid})`);
    // A umask that removes owner bits would leave the new directory unusable; set the mode on the descriptor.
    if (created) fs.fchmodSync(fd, PRIVATE_MODE);
    else if ((stat.mode & 0o7777) !== PRIVATE_MODE) {
      const mode = (stat.mode & 0o7777).toString(8).padStart(4, '0');
      throw new PrivateDirError(
        `refusing to use the socket directory ${dir}: it has mode ${mode}, not 0700, so other users may reach or replace the socket in it. It is yours: run chmod 700 ${dir}, or remove it`,
      );
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * In a directory any user may write without the sticky bit (unlike /tmp), another user could rename
 * the private directory away and put their own in its place after the checks.
 */
function refuseReplaceableParent(dir: string): void {
  const parent = path.dirname(dir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(parent);
  } catch (err) {
    throw new PrivateDirError(`cannot use the socket directory ${dir}: ${(err as Error).message}`);
  }
  if ((stat.mode & 0o002) !== 0 && (stat.mode & STICKY_BIT) === 0) {
    throw new PrivateDirError(
      `refusing to use the socket directory ${dir}: ${parent} is writable by every user and has no sticky bit, so anyone could replace it; set XDG_RUNTIME_DIR or RELAYSCOPE_SOCKET, or pass --socket, to a directory only you can write`,
    );
  }
}

/** Not ours: whoever made it may be waiting for a hub's clients to send it their HELLO and token. */
function refusal(dir: string, problem: string): PrivateDirError {
  return new PrivateDirError(
    `refusing to use the socket directory ${dir}: it ${problem}. Another user may have created it to intercept your hub's traffic. Remove it (as its owner or root), or set XDG_RUNTIME_DIR or RELAYSCOPE_SOCKET, or pass --socket, to a directory only you can write`,
  );
}
