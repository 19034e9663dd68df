import * as path from 'node:path';
import { AttachedHubBackend } from '../bridge/AttachedHubBackend';
import { BridgeService } from '../bridge/BridgeService';
import type { HubBackend } from '../bridge/HubBackend';
import { LocalHubBackend } from '../bridge/LocalHubBackend';
import { OfflineBackend } from '../bridge/OfflineBackend';
import type { FlagValues } from '../cli/args';
import { clockMillis } from '../cli/format';
import { note, untilSignal, writeOut } from '../cli/io';
import { tokenFromFlags } from '../cli/tokenFlags';
import { ListenError } from '../hub/listeners';
import { AddressError, connectSocket, formatSocketAddress, parseSocketAddress, type SocketAddress } from '../sockets/socketAddress';
import { BrowserModeServer } from './BrowserModeServer';
import { loadPageTokenFile } from './pageTokenFile';
import { HUB_ONLY_FLAGS, hubSetupFromFlags, inPlaceAnnouncement, tapAnnouncement } from './hubSetup';

/** dist/renderer, from dist/electron/serve where this file runs. */
const RENDERER_DIR = path.resolve(__dirname, '..', '..', 'renderer');

/**
 * `relayscope serve`: runs a hub (or attaches to one with --attach) and serves the UI to a browser
 * on 127.0.0.1 until SIGINT or SIGTERM; returns the exit code.
 */
export async function runServe(flags: FlagValues): Promise<number> {
  const port = flags.integer('port', 0);
  if (port !== undefined && port > 65535) throw flags.usage(`--port must be at most 65535, not ${port}`);
  const attach = flags.string('attach');
  const open = flags.string('open');
  const record = flags.string('record');
  if (record !== undefined && open !== undefined) throw flags.usage('--record records a live hub, and --open runs none');
  if (record !== undefined && !record.toLowerCase().endsWith('.mcap'))
    throw flags.usage(`--record ${record}: a recording is written as MCAP, so FILE ends in .mcap (convert it afterwards with relayscope convert)`);
  if (open !== undefined && attach !== undefined) throw flags.usage('--open shows a recording and --attach a live hub: give one of them');
  const pageTokenFile = flags.string('page-token-file');
  const pageToken = pageTokenFile === undefined ? undefined : loadPageTokenFile(pageTokenFile);
  // Registered before anything opens, so a signal during startup still closes what was opened.
  const stop = untilSignal();
  const log = (line: string): void => writeOut(`${clockMillis()} ${line}\n`);

  const started = open !== undefined ? await openRecording(flags, open) : attach === undefined ? await startHub(flags, log) : await attachTo(flags, attach);
  if (started === null) return 1;
  const { backend, announcements } = started;
  const bridge = new BridgeService(backend);
  const server = new BrowserModeServer({ bridge, rootDir: RENDERER_DIR, port, token: pageToken?.token, log });
  try {
    await server.start();
  } catch (err) {
    await backend.close();
    throw err;
  }
  writeOut(`relayscope serve: open ${server.url}\n`);
  if (pageTokenFile !== undefined) {
    writeOut(
      `relayscope serve: the page token ${pageToken?.created ? 'is new, written to' : 'is the one kept in'} ${pageTokenFile}${port === 0 ? '; give --port too for a URL that stays the same' : ''}\n`,
    );
  }
  for (const line of announcements) writeOut(`${line}\n`);
  if (record !== undefined) {
    try {
      await bridge.captures.start(path.resolve(record));
    } catch (err) {
      await server.close();
      await backend.close();
      throw new Error(`--record ${record}: ${(err as Error).message}`);
    }
    writeOut(`relayscope serve: recording to ${path.resolve(record)}\n`);
  }

  await stop;
  await server.close();
  await bridge.captures.close();
  await backend.close();
  writeOut('relayscope serve stopped\n');
  return 0;
}

/** The backend, and the lines that say where it is once the URL is printed. */
interface StartedBackend {
  backend: HubBackend;
  announcements: string[];
}

/** The hub this process runs; null (after one line on stderr) when a live hub already serves one of its addresses. */
async function startHub(flags: FlagValues, log: (line: string) => void): Promise<StartedBackend | null> {
  const setup = hubSetupFromFlags(flags);
  try {
    const backend = await LocalHubBackend.start(setup.addresses, { ...setup.hubOptions, log }, { mode: setup.mode, warn: (line) => note(`warning: ${line}`) }, setup);
    const plain = backend.plainListeners.map((listener, i) => `relayscope hub listening on ${listener.description} for ${setup.plain[i].framing} programs`);
    return {
      backend,
      announcements: [
        ...backend.describe().listeners.map((listener) => `relayscope hub listening on ${listener}`),
        ...plain,
        ...backend.taps.map(tapAnnouncement),
        ...backend.inPlaceTaps.map(inPlaceAnnouncement),
      ],
    };
  } catch (err) {
    if (!(err instanceof ListenError)) throw err;
    const live = await firstLiveHub(setup.addresses);
    if (live === null) throw err;
    note(`a hub is already running on ${live}; to watch it, run: relayscope serve --attach ${live}`);
    return null;
  }
}

async function firstLiveHub(addresses: readonly SocketAddress[]): Promise<string | null> {
  for (const address of addresses) {
    try {
      const socket = await connectSocket(address, 1000);
      socket.destroy();
      return formatSocketAddress(address);
    } catch {
      // Nothing answers there: not the address that was in the way.
    }
  }
  return null;
}

/** An opened recording: no hub runs, so the hub flags make no sense with it. */
async function openRecording(flags: FlagValues, file: string): Promise<StartedBackend> {
  const hubOnly = HUB_ONLY_FLAGS.find((name) => flags.has(name)) ?? (flags.has('socket') ? 'socket' : undefined);
  if (hubOnly !== undefined) throw flags.usage(`--${hubOnly} configures a hub, and --open runs none`);
  const backend = await OfflineBackend.open(file);
  return { backend, announcements: [`relayscope serve: showing the recording ${file}`] };
}

async function attachTo(flags: FlagValues, socket: string): Promise<StartedBackend> {
  const hubOnly = HUB_ONLY_FLAGS.find((name) => flags.has(name)) ?? (flags.has('socket') ? 'socket' : undefined);
  if (hubOnly !== undefined) throw flags.usage(`--${hubOnly} configures a hub this process runs, so it cannot be combined with --attach`);
  try {
    parseSocketAddress(socket);
  } catch (err) {
    if (err instanceof AddressError) throw flags.usage(`--attach: ${err.message}`);
    throw err;
  }
  const backend = await AttachedHubBackend.attach({ socket, token: tokenFromFlags(flags) });
  return { backend, announcements: [`relayscope serve: attached to the hub on ${backend.describe().attachedTo} as ${backend.monitorId}`] };
}
