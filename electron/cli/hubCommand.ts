import { LocalHubBackend } from '../bridge/LocalHubBackend';
import { hubSetupFromFlags, inPlaceAnnouncement, tapAnnouncement } from '../serve/hubSetup';
import { CommandError, type FlagValues } from './args';
import { clockMillis, formatBytes } from './format';
import type { Recording } from '../hub/RelayHub';
import { boundedLogWriter, note, untilSignal, writeOut } from './io';

/** Runs a hub on every requested address until SIGINT or SIGTERM; returns the exit code. */
export async function runHub(flags: FlagValues): Promise<number> {
  const setup = hubSetupFromFlags(flags);
  const { addresses, plain, hubOptions, mode } = setup;
  // Registered before anything listens, so a signal during startup still closes what was opened.
  const stop = untilSignal();
  const log = boundedLogWriter();
  const backend = await LocalHubBackend.start(addresses, { ...hubOptions, log: (line) => log(`${clockMillis()} ${line}\n`) }, { mode, warn: (line) => note(`warning: ${line}`) }, setup);
  // Announced only once every address is bound, so a hub that fails to start never claimed to listen.
  for (const listener of backend.describe().listeners) writeOut(`relayscope hub listening on ${listener}\n`);
  for (const [i, listener] of backend.plainListeners.entries()) writeOut(`relayscope hub listening on ${listener.description} for ${plain[i].framing} programs\n`);
  for (const tap of backend.taps) writeOut(`${tapAnnouncement(tap)}\n`);
  for (const held of backend.inPlaceTaps) writeOut(`${inPlaceAnnouncement(held)}\n`);
  const recording = await startRecording(flags, backend);

  await stop;
  let failed = false;
  if (recording !== null) {
    const status = await recording.stop();
    if (status.error === null) {
      writeOut(`recorded ${status.written} messages (${formatBytes(status.writtenBytes)} of payload) to ${recording.path}; missed ${status.missed}\n`);
    } else {
      writeOut(`recorded ${status.written} messages to ${recording.path} before it failed; missed ${status.missed}\n`);
      note(`the recording failed: ${status.error}; ${recording.path} holds what was written before it`);
      failed = true;
    }
  }
  // BYE to every connection, a chance to drain, then the listeners stop and their socket files go.
  await backend.close();
  writeOut('relayscope hub stopped\n');
  return failed ? 1 : 0;
}

/** `--record FILE`: every message and event, written in this process (electron/capture/InProcessRecording.ts). */
async function startRecording(flags: FlagValues, backend: LocalHubBackend): Promise<Recording | null> {
  const file = flags.string('record');
  if (file === undefined) return null;
  try {
    const recording = await backend.hub.startRecording(file, { sockets: backend.describe().listeners });
    writeOut(`relayscope hub recording to ${file}\n`);
    // The hub and its modules carry on; the person is told now, not only at exit.
    recording.onFailed((reason) => note(`recording to ${file} stopped: ${reason}; the hub carries on, and every message from now on is counted as missed`));
    return recording;
  } catch (error) {
    await backend.close();
    throw new CommandError(`cannot record to ${file}: ${(error as Error).message}`);
  }
}
