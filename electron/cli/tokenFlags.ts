import * as fs from 'node:fs';
import { CommandError, type FlagValues } from './args';
import { note } from './io';

/**
 * The token a command was given: --token-file FILE, else --token T, else $RELAYSCOPE_TOKEN; undefined
 * when there is none. --token works but warns: a command line is readable by every local user (ps,
 * /proc/PID/cmdline), so the token it carries is not a secret.
 */
export function tokenFromFlags(flags: FlagValues, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = flags.string('token-file');
  const given = flags.string('token');
  if (file !== undefined && given !== undefined) throw flags.usage('give either --token or --token-file, not both');
  if (file !== undefined) return readTokenFile(file);
  if (given !== undefined) {
    note('warning: --token shows the token to every user on this machine (ps lists command lines); use --token-file FILE or $RELAYSCOPE_TOKEN instead');
    return given || undefined;
  }
  return env.RELAYSCOPE_TOKEN || undefined;
}

/** The file's content without its final line break; refused when other users could read or change it. */
function readTokenFile(file: string): string {
  let fd: number;
  try {
    // Non-blocking, so that a FIFO put in its place is refused below instead of hanging the open.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw new CommandError(`cannot read the token file ${file}: ${(err as Error).message}`);
  }
  try {
    // Checked on the descriptor that is read, so the file cannot be swapped between the check and the read.
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new CommandError(`the token file ${file} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      throw new CommandError(
        `the token file ${file} has mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}: other users can read or change it, so its token is no secret. Run: chmod 600 ${file}`,
      );
    }
    const token = fs.readFileSync(fd, 'utf8').replace(/\r?\n$/, '');
    if (token === '') throw new CommandError(`the token file ${file} is empty`);
    return token;
  } finally {
    fs.closeSync(fd);
  }
}
