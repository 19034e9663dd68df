import * as path from 'node:path';
import { MAX_MODULE_ID_BYTES, moduleIdProblem } from '../../protocol/moduleIdRules';
import type { SocketAddress } from '../../sockets/socketAddress';
import type { ConnectionOrigin } from '../HubConnection';

/** Characters kept from an executable's or a socket's name; anything else becomes '_' (module IDs hold no whitespace or controls). */
const UNSAFE = /[^\p{L}\p{N}._+:@-]/gu;
/** Room left for "[pid]" and a "#n" suffix within the 64-byte ID limit. */
const BASE_BYTES = 40;

/**
 * The module ID of a tapped connection's client (docs/PROTOCOL.md 15.2): `EXE[PID]` after the
 * peer's executable and pid (SO_PEERCRED and /proc at accept), e.g. `curl[4123]`; `tap-N` when the
 * executable is unknown (another user's process, TCP). `taken` says which IDs are in use; a second
 * connection of the same process gets `curl[4123]#2`.
 */
export function clientModuleId(origin: ConnectionOrigin, serial: number, taken: (id: string) => boolean): string {
  const pid = origin.credentials?.pid;
  const exe = origin.process?.exe;
  const base = pid !== undefined && exe !== undefined ? `${fitName(path.basename(exe))}[${pid}]` : `tap-${serial}`;
  return unique(moduleIdProblem(base) === null ? base : `tap-${serial}`, taken);
}

/** The module ID of a tap's upstream: the socket file's name (`docker.sock`), `@name`, or `HOST:PORT`; `#n` added when taken. */
export function upstreamModuleId(address: SocketAddress, taken: (id: string) => boolean): string {
  const name = address.kind === 'path' ? path.basename(address.path) : address.kind === 'abstract' ? `@${address.name}` : `${address.host}:${address.port}`;
  const base = fitName(name);
  return unique(moduleIdProblem(base) === null ? base : 'upstream', taken);
}

function fitName(name: string): string {
  let safe = name.replace(UNSAFE, '_');
  while (Buffer.byteLength(safe) > BASE_BYTES) safe = [...safe].slice(0, -1).join('');
  return safe === '' ? '_' : safe;
}

function unique(base: string, taken: (id: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const id = `${base}#${n}`;
    if (Buffer.byteLength(id) <= MAX_MODULE_ID_BYTES && !taken(id)) return id;
  }
}
