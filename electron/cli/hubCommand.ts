import { AddressError, defaultSocket, formatSocketAddress, listen, maxFrameLength, parseHostPort, parseSocketAddress, RelayHub, type HubListener, type SocketAddress } from '../hub';
import type { FlagValues } from './args';
import { clockMillis } from './format';
import { note, untilSignal, writeOut } from './io';

/** Runs a hub on every requested address until SIGINT or SIGTERM; returns the exit code. */
export async function runHub(flags: FlagValues): Promise<number> {
  const addresses = hubAddresses(flags);
  const mode = flags.octal('mode');
  const slowConsumerPolicy = flags.choice('slow-consumer', ['disconnect', 'drop'] as const, 'disconnect');
  const maxConnections = flags.integer('max-connections', 1);
  const maxPayload = flags.integer('max-frame', 1);
  const queueLimit = flags.integer('queue-bytes', 1);
  const idleTimeoutMs = flags.integer('idle-timeout', 0);
  const token = flags.string('token') ?? process.env.RELAYSCOPE_TOKEN;

  // The frame length is a u32 that also covers the largest header, so the payload limit stays below 4 GiB by that much.
  const largestPayload = 0xffffffff - maxFrameLength(0);
  if (maxPayload !== undefined && maxPayload > largestPayload) throw flags.usage(`--max-frame can be at most ${largestPayload} bytes`);

  // Registered before anything listens, so a signal during startup still closes what was opened.
  const stop = untilSignal();

  const hub = new RelayHub({
    maxConnections,
    maxPayload,
    queueLimit,
    idleTimeoutMs,
    slowConsumerPolicy,
    token: token || undefined,
    log: (line) => writeOut(`${clockMillis()} ${line}\n`),
  });

  const listeners: HubListener[] = [];
  try {
    for (const address of addresses) listeners.push(await listen(hub, address, { mode, warn: (line) => note(`warning: ${line}`) }));
  } catch (err) {
    await shutDown(hub, listeners);
    throw err;
  }
  // Announced only once every address is bound, so a hub that fails to start never claimed to listen.
  for (const listener of listeners) writeOut(`relayscope hub listening on ${listenerDescription(listener)}\n`);

  await stop;
  await shutDown(hub, listeners);
  writeOut('relayscope hub stopped\n');
  return 0;
}

function hubAddresses(flags: FlagValues): SocketAddress[] {
  try {
    const addresses = flags.strings('socket').map(parseSocketAddress);
    const tcp = flags.string('tcp');
    if (tcp !== undefined) addresses.push(parseHostPort(tcp));
    if (addresses.length === 0) addresses.push(parseSocketAddress(defaultSocket()));
    return addresses;
  } catch (err) {
    if (err instanceof AddressError) throw flags.usage(err.message);
    throw err;
  }
}

/** The address as clients should write it; a TCP port 0 becomes the port actually bound. */
function listenerDescription(listener: HubListener): string {
  const { address } = listener;
  if (address.kind === 'tcp' && listener.port !== undefined) return formatSocketAddress({ ...address, port: listener.port });
  return listener.description;
}

/** Says BYE to every connection and lets it drain, then stops listening and removes the socket files. */
async function shutDown(hub: RelayHub, listeners: readonly HubListener[]): Promise<void> {
  await hub.close();
  await Promise.all(listeners.map((listener) => listener.close()));
}
