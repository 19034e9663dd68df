import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { CommandError } from '../cli/args';

/**
 * `serve --page-token-file FILE`: the page token kept in FILE, so that a serve restarted with the same
 * --port and FILE is reopened by the same bookmark, and a tab left open reconnects by itself. FILE
 * is created (mode 0600, 32 random bytes in hex) when missing; an existing one must be a regular
 * file only its owner can read or change, as the token is the only thing between the bus and any
 * other local user or web page. It holds the page's token, not a hub's (that is --token-file).
 */

/** What the page accepts (renderer/src/transport/pageToken.ts) and at least 128 bits of it. */
const PAGE_TOKEN = /^[0-9a-f]{32,256}$/i;
const NEW_TOKEN_BYTES = 32;

export interface PageToken {
  token: string;
  /** True when this call wrote FILE. */
  created: boolean;
}

export function loadPageTokenFile(file: string): PageToken {
  const existing = readPageToken(file);
  if (existing !== null) return { token: existing, created: false };
  const token = randomBytes(NEW_TOKEN_BYTES).toString('hex');
  let fd: number;
  try {
    // O_EXCL: never writes through a file (or link) that appeared since the read found none.
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  } catch (err) {
    // Another serve wrote it in between: use what it wrote.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const written = readPageToken(file);
      if (written !== null) return { token: written, created: false };
    }
    throw new CommandError(`cannot create the page token file ${file}: ${(err as Error).message}`);
  }
  try {
    fs.writeSync(fd, `${token}\n`);
  } finally {
    fs.closeSync(fd);
  }
  return { token, created: true };
}

/** The token in `file`, null when there is no such file; refused when it is not private or holds no token. */
function readPageToken(file: string): string | null {
  let fd: number;
  try {
    // Non-blocking, so that a FIFO in its place is refused below instead of hanging the open.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CommandError(`cannot read the page token file ${file}: ${(err as Error).message}`);
  }
  try {
    // Checked on the descriptor that is read, so the file cannot be swapped between the check and the read.
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new CommandError(`the page token file ${file} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      throw new CommandError(
        `the page token file ${file} has mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}: other users can read or change it, so its token is no secret. Run: chmod 600 ${file}`,
      );
    }
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
      throw new CommandError(`the page token file ${file} belongs to uid ${stat.uid}, not to you: that user can read the token`);
    }
    const token = fs.readFileSync(fd, 'utf8').trim();
    if (!PAGE_TOKEN.test(token)) {
      throw new CommandError(`the page token file ${file} holds no page token: it must hold 32 to 256 hex digits. Delete it and serve writes a new one`);
    }
    return token;
  } finally {
    fs.closeSync(fd);
  }
}
