import * as fs from 'node:fs';
import { ConnectError, RelayError } from '../client/errors';
import { UsageError } from './args';
import { note } from './io';

/** The hub's own words for a RelayError ("no module "X" is connected"), without the code-name prefix. */
export function errorMessage(err: unknown): string {
  if (err instanceof RelayError) return err.detail;
  if (err instanceof ConnectError) return `${err.message}: ${connectAdvice(err)}`;
  return err instanceof Error ? err.message : String(err);
}

/** What to do about a failed connect, by its cause: every error line should say that as well as what went wrong. */
export function connectAdvice(err: ConnectError): string {
  const isPath = !err.socket.startsWith('@') && !err.socket.startsWith('tcp://');
  switch (err.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      if (isPath && fs.existsSync(err.socket) && !fs.lstatSync(err.socket).isSocket()) return `${err.socket} is not a socket; give the hub's address with --socket`;
      return `start one (relayscope hub${err.socket.startsWith('tcp://') ? ` --tcp ${err.socket.slice('tcp://'.length)}` : ` --socket ${err.socket}`}), or give the running hub's address with --socket or $RELAYSCOPE_SOCKET (relayscope socket prints the default)`;
    case 'EACCES':
    case 'EPERM':
      return "the socket's mode or its directory keeps you out: run as the hub's user, or start the hub with --mode 660 to let its group in";
    case 'EPROTO':
      return 'is something other than a Relayscope hub listening there?';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'check the host name';
    default:
      return 'check the address, and that the hub is running and reachable from here';
  }
}

/** Prints the one-line error and returns the exit code for it: 2 for a usage error, else 1. */
export function report(err: unknown): number {
  if (err instanceof UsageError) {
    note(`${err.message}; see relayscope ${err.command === null ? '' : `${err.command} `}--help`);
    return 2;
  }
  note(errorMessage(err));
  return 1;
}
