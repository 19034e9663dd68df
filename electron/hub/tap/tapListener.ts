import type * as net from 'node:net';
import { connectSocket, formatSocketAddress, isLoopbackHost, parseSocketAddress, type SocketAddress } from '../../sockets/socketAddress';
import type { ConnectionOrigin, TapOrigin } from '../HubConnection';
import { type HubListener, ListenError, listen } from '../listeners';
import type { RelayHub } from '../RelayHub';
import { TapModule } from './TapModule';
import { TappedConnection } from './TappedConnection';
import { clientModuleId, upstreamModuleId } from './tapNames';
import type { TapFramingName } from './tapSpec';

/** Messages longer than this are shown as pieces (docs/PROTOCOL.md 15.3). */
export const TAP_DISPLAY_LIMIT = 1024 * 1024;

export interface TapOptions {
  /** Where clients connect: a path, @name or loopback tcp://HOST:PORT (string as users write it, or parsed). */
  listen: string | SocketAddress;
  /** The server the tap forwards to. */
  upstream: string | SocketAddress;
  /** How each direction is cut into messages for the view (default raw). */
  framing?: TapFramingName;
  /** File mode of a LISTEN path (default 0600). */
  mode?: number;
  warn?: (line: string) => void;
  /** How long to wait for the upstream to accept (default 5000 ms). */
  connectTimeoutMs?: number;
}

/** An open tap (RelayHub.addTap). */
export interface TapHandle {
  /** The listening address as clients reach it. */
  readonly listen: string;
  readonly upstream: string;
  /** The module ID standing for the upstream. */
  readonly upstreamId: string;
  readonly framing: TapFramingName;
  readonly stats: TapStats;
  /** Resolves once the tap is closed. */
  readonly closed: Promise<void>;
  /** Stops listening and closes every tapped connection, both sides. */
  close(): Promise<void>;
}

export interface TapStats {
  /** Connections accepted on LISTEN. */
  accepted: number;
  /** Passed on now. */
  open: number;
  /** Closed at once because the upstream could not be reached (or the hub refused the client's module). */
  refused: number;
  /** Pieces sent for messages longer than the display limit, in connections that have ended. */
  partialPieces: number;
}

export class TapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TapError';
  }
}

const REFUSES_SENDS = (): string => 'a tapped connection carries only what its two programs write; nothing can be sent to it';

/**
 * Listens on `listen`; every connection accepted there gets a connection to `upstream`, and the two
 * are joined (TappedConnection). The upstream is one module for the tap's life; each client is a
 * module for its connection's (tapNames.ts). When the upstream cannot be reached the client's
 * connection is closed at once and an error event (PEER_GONE) says why. KICK of a client
 * closes its connection; KICK of the upstream closes them all, and the upstream registers again.
 */
export async function openTap(hub: RelayHub, options: TapOptions): Promise<TapHandle> {
  const listenAddress = typeof options.listen === 'string' ? parseSocketAddress(options.listen) : options.listen;
  const upstream = typeof options.upstream === 'string' ? parseSocketAddress(options.upstream) : options.upstream;
  const upstreamName = formatSocketAddress(upstream);
  if (listenAddress.kind === 'tcp' && !isLoopbackHost(listenAddress.host))
    throw new ListenError(`refusing a tap on ${formatSocketAddress(listenAddress)}: whoever connects reaches ${upstreamName} as you, so only loopback TCP is allowed`);
  if (formatSocketAddress(listenAddress) === upstreamName) throw new TapError(`a tap cannot listen on ${upstreamName}, the address it forwards to`);
  const framing = options.framing ?? 'raw';
  const displayLimit = Math.min(TAP_DISPLAY_LIMIT, hub.limits.maxPayload);
  const connections = new Set<TappedConnection>();
  const stats: TapStats = { accepted: 0, open: 0, refused: 0, partialPieces: 0 };
  const pendingIds = new Set<string>();
  const taken = (id: string): boolean => hub.modules.has(id) || hub.monitorsById.has(id) || pendingIds.has(id);
  let serial = 0;
  let closing = false;
  let listener: HubListener | null = null;

  const upstreamOrigin = (): ConnectionOrigin => ({
    transport: upstream.kind === 'path' ? 'unix' : upstream.kind,
    listener: upstreamName,
    requireToken: false,
    tap: { side: 'upstream', refuses: REFUSES_SENDS } satisfies TapOrigin,
  });
  let upstreamModule: TapModule;
  const registerUpstream = async (): Promise<void> => {
    const module = new TapModule(hub, upstreamModuleId(upstream, taken), (reason) => {
      for (const connection of connections) connection.destroy(`the upstream's module was closed: ${reason}`);
      if (!closing && !reason.includes('shut')) void registerUpstream();
    });
    upstreamModule = module;
    hub.attach(module, upstreamOrigin());
    const refusal = await module.registered;
    if (refusal !== null) throw new TapError(`the hub refused the tap's upstream module "${module.id}": ${refusal}`);
  };
  await registerUpstream();

  const accept = (client: net.Socket, origin: ConnectionOrigin): void => {
    stats.accepted++;
    const id = clientModuleId(origin, ++serial, taken);
    pendingIds.add(id);
    client.pause();
    client.on('error', () => {
      // Until the two are joined; TappedConnection handles errors from then on.
    });
    void connectUpstream(id).then(async (socket) => {
      if (socket === null || closing || client.destroyed) {
        pendingIds.delete(id);
        socket?.destroy();
        client.destroy();
        stats.refused++;
        return;
      }
      let connection: TappedConnection | null = null;
      const module = new TapModule(hub, id, (reason) => connection?.destroy(`closed by the hub: ${reason}`));
      hub.attach(module, { ...origin, tap: { side: 'client', upstream: upstreamModule.id, refuses: REFUSES_SENDS } });
      const refusal = await module.registered;
      pendingIds.delete(id);
      if (refusal !== null) {
        hub.log(`tap ${formatSocketAddress(listenAddress)}: closed ${id}'s connection: the hub refused its module: ${refusal}`);
        socket.destroy();
        client.destroy();
        stats.refused++;
        return;
      }
      socket.setNoDelay?.(true);
      const joined = new TappedConnection({
        hub,
        client,
        upstream: socket,
        clientId: id,
        upstreamId: upstreamModule.id,
        framing,
        displayLimit,
        upstreamFailed: (message) => hub.tapFailed(id, message),
        onClose: (reason) => {
          connections.delete(joined);
          stats.open--;
          stats.partialPieces += joined.partialPieces;
          module.leave(reason);
        },
      });
      connection = joined;
      connections.add(joined);
      stats.open++;
      client.resume();
    });
  };

  const connectUpstream = async (id: string): Promise<net.Socket | null> => {
    try {
      const socket = await connectSocket(upstream, options.connectTimeoutMs ?? 5000);
      // Set before any byte arrives, so an end from the upstream leaves the client's direction open.
      socket.allowHalfOpen = true;
      return socket;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ECONNREFUSED' ? 'connection refused (nothing listens there)' : code === 'ENOENT' ? 'no such socket' : (error as Error).message;
      hub.tapFailed(
        id,
        `${id} connected to the tap on ${formatSocketAddress(listenAddress)}, but ${upstreamName} could not be reached: ${code ?? ''}${code ? ': ' : ''}${why}; the client's connection was closed`,
      );
      return null;
    }
  };

  listener = await listen(hub, listenAddress, {
    mode: options.mode,
    warn: options.warn,
    accept,
    allowHalfOpen: true,
    openRule: `whoever connects reaches ${upstreamName} through the tap, as you`,
  }).catch(async (error: Error) => {
    closing = true;
    upstreamModule.leave('the tap could not listen');
    throw error;
  });

  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  const boundListener = listener;
  return {
    listen: boundListener.description,
    upstream: upstreamName,
    get upstreamId() {
      return upstreamModule.id;
    },
    framing,
    stats,
    closed,
    async close() {
      if (closing) return closed;
      closing = true;
      await boundListener.close();
      for (const connection of connections) connection.destroy('the tap was closed');
      upstreamModule.leave('the tap was closed');
      resolveClosed();
      return closed;
    },
  };
}
