import type * as net from 'node:net';
import * as path from 'node:path';
import { moduleIdProblem } from '../../protocol/moduleIdRules';
import { peerName } from '../../sockets/peerCredentials';
import { AddressError, formatSocketAddress, isLoopbackHost, parseSocketAddress, type SocketAddress } from '../../sockets/socketAddress';
import type { ConnectionOrigin, PlainFramingName } from '../HubConnection';
import { type HubListener, ListenError, type ListenOptions, listen } from '../listeners';
import type { RelayHub } from '../RelayHub';
import { IdByteFraming, idByteRefusal } from './idByteFraming';
import { LineFraming } from './lineFraming';
import { PlainConnection } from './PlainConnection';

export const PLAIN_FRAMINGS: readonly PlainFramingName[] = ['id-byte', 'line'];

/** `--plain FRAMING=ADDRESS` */
export interface PlainListenerSpec {
  framing: PlainFramingName;
  address: SocketAddress;
}

export interface PlainListenOptions extends Omit<ListenOptions, 'accept' | 'openRule'> {
  /** How long a line client's first line may take to say `/nick NAME` (default 5000 ms; keep it under the hub's handshake timeout). */
  nickWaitMs?: number;
}

/** Parses `FRAMING=ADDRESS`; throws AddressError with what is wrong. */
export function parsePlainSpec(text: string): PlainListenerSpec {
  const equals = text.indexOf('=');
  const framing = text.slice(0, Math.max(0, equals));
  if (equals < 0 || !(PLAIN_FRAMINGS as readonly string[]).includes(framing))
    throw new AddressError(`"${text}" is not FRAMING=ADDRESS with FRAMING one of ${PLAIN_FRAMINGS.join(', ')} (e.g. id-byte=./server_socket, line=tcp://127.0.0.1:9000)`);
  return { framing: framing as PlainFramingName, address: parseSocketAddress(text.slice(equals + 1)) };
}

/** One-byte IDs handed to id-byte clients that bound no usable name, in this order. */
const ASSIGNABLE_IDS = [...'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', ...Array.from({ length: 0x7f - 0x21 }, (_, i) => String.fromCharCode(0x21 + i))].filter(
  (id, index, all) => all.indexOf(id) === index && moduleIdProblem(id) === null,
);

/** Per hub: IDs handed out to connections that have not registered yet, and the last line-<n>. */
interface PlainState {
  assigned: Set<string>;
  lineSerial: number;
}
const states = new WeakMap<RelayHub, PlainState>();

function stateOf(hub: RelayHub): PlainState {
  let state = states.get(hub);
  if (state === undefined) {
    state = { assigned: new Set(), lineSerial: 0 };
    states.set(hub, state);
  }
  return state;
}

/**
 * Listens on the spec's address for programs that speak the framing instead of the protocol: each
 * connection becomes a module of the hub (PlainConnection), marked with its framing in STATS, the
 * events and recordings. No token is asked (the programs cannot send one), so a TCP address must be
 * loopback; who may connect is the address's business, as for any listener (file mode, 2.6).
 */
export async function listenPlain(hub: RelayHub, spec: PlainListenerSpec, options: PlainListenOptions = {}): Promise<HubListener> {
  const { address, framing } = spec;
  if (address.kind === 'tcp' && !isLoopbackHost(address.host))
    throw new ListenError(`refusing a plain listener on ${formatSocketAddress(address)}: plain programs send no token, so only loopback TCP is allowed`);
  const state = stateOf(hub);
  const nickWaitMs = options.nickWaitMs ?? 5000;
  const accept = (socket: net.Socket, origin: ConnectionOrigin): void => {
    if (framing === 'line') {
      const line = new LineFraming({ defaultId: () => nextLineId(hub, state), nickWaitMs, maxPayload: hub.limits.maxPayload, maxConnections: hub.limits.maxConnections });
      hub.attach(new PlainConnection(socket, line, hub.limits.maxPayload, hub.log), { ...origin, plain: { framing, refuses: null } });
      return;
    }
    const id = idByteId(hub, state, socket, origin);
    if (id === null) {
      hub.log(`refused an id-byte connection on ${origin.listener}: every one-byte module ID is in use`);
      socket.destroy();
      return;
    }
    const stream = new PlainConnection(socket, new IdByteFraming(id), hub.limits.maxPayload, hub.log);
    stream.once('close', () => state.assigned.delete(id));
    hub.attach(stream, { ...origin, plain: { framing, refuses: idByteRefusal(id) } });
  };
  const rule = 'its programs register modules without a token and can message yours';
  return listen(hub, address, { ...options, accept, openRule: rule });
}

/**
 * The classic relay's rule: the first character of the name the client bound its own socket to
 * (the file name of a path: the article's clients bind "A" and "B"). A client that bound nothing,
 * or a name whose first character is no one-byte module ID, gets the first free assignable ID,
 * announced in the log.
 */
function idByteId(hub: RelayHub, state: PlainState, socket: net.Socket, origin: ConnectionOrigin): string | null {
  const bound = peerName(socket);
  const name = bound === null ? null : bound.kind === 'path' ? path.basename(bound.name.toString('latin1')) : bound.name.toString('latin1');
  const first = name === null || name.length === 0 ? null : name[0];
  if (first !== null && first.charCodeAt(0) > 0x20 && first.charCodeAt(0) < 0x7f && moduleIdProblem(first) === null) return first;
  const id = ASSIGNABLE_IDS.find((candidate) => !hub.modules.has(candidate) && !state.assigned.has(candidate));
  if (id === undefined) return null;
  state.assigned.add(id);
  const who = origin.credentials === undefined ? '' : ` (pid ${origin.credentials.pid})`;
  const why = name === null ? 'bound no socket name' : `bound "${name}", whose first character is no one-byte module ID`;
  hub.log(`id-byte client on ${origin.listener}${who} ${why}: assigned module ID "${id}"`);
  return id;
}

function nextLineId(hub: RelayHub, state: PlainState): string {
  let id: string;
  do id = `line-${++state.lineSerial}`;
  while (hub.modules.has(id));
  return id;
}
