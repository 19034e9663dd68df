import * as path from 'node:path';
import { LocalHubBackend } from '../bridge/LocalHubBackend';
import type { Recording } from '../hub/RelayHub';
import { InPlaceError, restoreLeftover } from '../hub/tap/inPlace';
import { addInPlaceTap } from '../hub/tap/inPlaceTap';
import { TAP_FRAMINGS } from '../hub/tap/tapSpec';
import { AddressError, formatSocketAddress, parseSocketAddress, privateSocketDir, type SocketAddress } from '../sockets/socketAddress';
import { CommandError, type FlagValues } from './args';
import { tailHub } from './clientCommands';
import { formatBytes } from './format';
import { note, untilSignal, writeOut } from './io';

/**
 * `relayscope tap UPSTREAM`: a hub whose job is one tap in front of UPSTREAM (issue 13, item 5). It
 * says where clients should connect, prints every chunk and event as `relayscope monitor` does (it
 * is a monitor of its own hub), records with --record, and on exit closes the tap, putting an
 * in-place tap's socket back. `--restore PATH` puts back what a killed in-place tap left aside.
 */
export async function runTap(flags: FlagValues): Promise<number> {
  const restore = flags.string('restore');
  if (restore !== undefined) return restoreAside(flags, restore);
  const upstreamText = flags.positional;
  if (upstreamText === undefined) throw flags.usage('tap needs UPSTREAM, the address of the server to tap (or --restore PATH)');
  const inPlace = flags.boolean('in-place');
  const listenText = flags.string('listen');
  if (inPlace && listenText !== undefined) throw flags.usage('--listen and --in-place both say where clients connect: give one of them');
  const framing = flags.choice('tap-framing', TAP_FRAMINGS, 'raw');
  const format = flags.choice('format', ['text', 'json'] as const, 'text');
  const upstream = address(flags, 'UPSTREAM', upstreamText);
  if (inPlace && upstream.kind !== 'path') throw flags.usage(`--in-place takes over a socket file; ${formatSocketAddress(upstream)} is not a path`);
  const listen = listenText === undefined ? defaultListen(upstream) : address(flags, '--listen', listenText);
  const hubSocket = address(flags, '--socket', flags.string('socket') ?? path.join(privateSocketDir(), `tap-${process.pid}.sock`));
  const record = flags.string('record');

  // Registered before anything listens, so a signal during startup still closes (and puts back) what was opened.
  const stop = untilSignal();
  const backend = await LocalHubBackend.start([hubSocket], { idleTimeoutMs: 0 }, { warn: (line) => note(`warning: ${line}`) });
  let close: () => Promise<void>;
  try {
    if (inPlace && upstream.kind === 'path') {
      const held = await addInPlaceTap(backend.hub, upstream.path, framing);
      close = () => held.close();
      writeOut(`relayscope tap: point clients at ${upstream.path} (tapped in place: the server's socket is at ${held.asidePath} until this tap exits)\n`);
    } else {
      const tap = await backend.hub.addTap({ listen, upstream, framing });
      close = () => tap.close();
      writeOut(`relayscope tap: point clients at ${formatSocketAddress(listen)}; it forwards to ${formatSocketAddress(upstream)}\n`);
    }
  } catch (err) {
    await backend.close();
    if (err instanceof InPlaceError) throw new CommandError(err.message);
    throw err;
  }
  const hubDescription = formatSocketAddress(hubSocket);
  writeOut(`relayscope tap: the monitor UI: relayscope serve --attach ${hubDescription}\n`);
  let recording: Recording | null = null;
  try {
    if (record !== undefined) {
      recording = await backend.hub.startRecording(record, { sockets: [hubDescription] });
      writeOut(`relayscope tap: recording to ${record}\n`);
    }
    return await tailHub({ socket: hubDescription, socketDescription: hubDescription, token: undefined }, format, stop);
  } finally {
    if (recording !== null) {
      const status = await recording.stop();
      writeOut(`recorded ${status.written} messages (${formatBytes(status.writtenBytes)} of payload) to ${recording.path}; missed ${status.missed}\n`);
    }
    await close();
    await backend.close();
  }
}

async function restoreAside(flags: FlagValues, socketPath: string): Promise<number> {
  if (flags.positional !== undefined || flags.has('in-place') || flags.has('listen') || flags.has('record')) throw flags.usage('--restore PATH takes no other argument');
  try {
    writeOut(`${await restoreLeftover(path.resolve(socketPath))}\n`);
  } catch (err) {
    if (err instanceof InPlaceError) throw new CommandError(err.message);
    throw err;
  }
  return 0;
}

function address(flags: FlagValues, what: string, text: string): SocketAddress {
  try {
    return parseSocketAddress(text);
  } catch (err) {
    if (err instanceof AddressError) throw flags.usage(`${what}: ${err.message}`);
    throw err;
  }
}

/** Without --listen: tap-NAME.sock in the private socket directory (only this user can connect there). */
function defaultListen(upstream: SocketAddress): SocketAddress {
  const name = upstream.kind === 'path' ? path.basename(upstream.path).replace(/\.sock$/, '') : upstream.kind === 'abstract' ? upstream.name : `tcp-${upstream.port}`;
  return { kind: 'path', path: path.join(privateSocketDir(), `tap-${name.replace(/[^A-Za-z0-9._-]/g, '_')}.sock`) };
}
