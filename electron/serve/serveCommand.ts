import * as path from 'node:path';
import { AttachedHubBackend } from '../bridge/AttachedHubBackend';
import { BridgeService } from '../bridge/BridgeService';
import type { HubBackend } from '../bridge/HubBackend';
import { LocalHubBackend } from '../bridge/LocalHubBackend';
import { OfflineBackend } from '../bridge/OfflineBackend';
import type { FlagValues } from '../cli/args';
import { clockMillis } from '../cli/format';
import { note, untilSignal, writeOut } from '../cli/io';
import { ListenError } from '../hub/listeners';
import { connectSocket, formatSocketAddress, type SocketAddress } from '../sockets/socketAddress';
import { BrowserModeServer } from './BrowserModeServer';
import { loadPageTokenFile } from './pageTokenFile';
import { backendTargetFromFlags, hubAnnouncements } from './backendTarget';
import type { HubSetup } from './hubSetup';

/** dist/renderer, from dist/electron/serve where this file runs. */
const RENDERER_DIR = path.resolve(__dirname, '..', '..', 'renderer');

/**
 * `relayscope serve`: runs a hub (or attaches to one with --attach) and serves the UI to a browser
 * on 127.0.0.1 until SIGINT or SIGTERM; returns the exit code.
 */
export async function runServe(flags: FlagValues): Promise<number> {
  const port = flags.integer('port', 0);
  if (port !== undefined && port > 65535) throw flags.usage(`--port must be at most 65535, not ${port}`);
  const target = backendTargetFromFlags(flags);
  const pageTokenFile = flags.string('page-token-file');
  const pageToken = pageTokenFile === undefined ? undefined : loadPageTokenFile(pageTokenFile);
  // Registered before anything opens, so a signal during startup still closes what was opened.
  const stop = untilSignal();
  const log = (line: string): void => writeOut(`${clockMillis()} ${line}\n`);

  const started = target.kind === 'open' ? await openRecording(target.file) : target.kind === 'hub' ? await startHub(target.setup, log) : await attachTo(target.socket, target.token);
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
  const record = target.kind === 'open' ? undefined : target.record;
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
async function startHub(setup: HubSetup, log: (line: string) => void): Promise<StartedBackend | null> {
  try {
    const backend = await LocalHubBackend.start(setup.addresses, { ...setup.hubOptions, log }, { mode: setup.mode, warn: (line) => note(`warning: ${line}`) }, setup);
    return { backend, announcements: hubAnnouncements(backend, setup) };
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

/** An opened recording: no hub runs (backendTargetFromFlags refused the hub flags with --open). */
async function openRecording(file: string): Promise<StartedBackend> {
  const backend = await OfflineBackend.open(file);
  return { backend, announcements: [`relayscope serve: showing the recording ${file}`] };
}

async function attachTo(socket: string, token: string | undefined): Promise<StartedBackend> {
  const backend = await AttachedHubBackend.attach({ socket, token });
  return { backend, announcements: [`relayscope serve: attached to the hub on ${backend.describe().attachedTo} as ${backend.monitorId}`] };
}
