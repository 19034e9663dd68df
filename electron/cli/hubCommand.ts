import { LocalHubBackend } from '../bridge/LocalHubBackend';
import { hubSetupFromFlags } from '../serve/hubSetup';
import type { FlagValues } from './args';
import { clockMillis } from './format';
import { boundedLogWriter, note, untilSignal, writeOut } from './io';

/** Runs a hub on every requested address until SIGINT or SIGTERM; returns the exit code. */
export async function runHub(flags: FlagValues): Promise<number> {
  const { addresses, hubOptions, mode } = hubSetupFromFlags(flags);
  // Registered before anything listens, so a signal during startup still closes what was opened.
  const stop = untilSignal();
  const log = boundedLogWriter();
  const backend = await LocalHubBackend.start(
    addresses,
    { ...hubOptions, log: (line) => log(`${clockMillis()} ${line}\n`) },
    { mode, warn: (line) => note(`warning: ${line}`) },
  );
  // Announced only once every address is bound, so a hub that fails to start never claimed to listen.
  for (const listener of backend.describe().listeners) writeOut(`relayscope hub listening on ${listener}\n`);

  await stop;
  // BYE to every connection, a chance to drain, then the listeners stop and their socket files go.
  await backend.close();
  writeOut('relayscope hub stopped\n');
  return 0;
}
