import { RelayClient, RelayError } from '../client';
import { CaptureFilterError, parseCaptureFilter, type CaptureFilter } from '../capture/captureFilter';
import type { CapturedMessage } from '../capture/captureRecord';
import { openCaptureReader } from '../capture/captureFiles';
import { moduleIdProblem } from '../hub';
import { CommandError, type FlagValues } from './args';
import { hubConnectionFlags } from './clientCommands';
import { note, untilSignal, writeOut } from './io';

/** INJECTs awaiting the hub's answer at once: enough to keep the socket busy with --fast. */
const MAX_IN_FLIGHT = 256;
/** Failures listed one by one in the report; the rest are only counted by reason. */
const LISTED_FAILURES = 10;

interface Failure {
  index: number;
  message: CapturedMessage;
  reason: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `relayscope replay FILE`: injects every recorded message (INJECT, as a monitor) with its recorded
 * source or the --as one, to its recorded destination, keeping the recorded gaps divided by --speed
 * (none with --fast). Every INJECT's answer is awaited, so each message is either delivered or
 * reported as failed with the hub's reason.
 */
export async function runReplay(flags: FlagValues): Promise<number> {
  const file = flags.positional;
  if (file === undefined) throw flags.usage('give the capture FILE to replay');
  const fast = flags.boolean('fast');
  const speedText = flags.string('speed');
  if (fast && speedText !== undefined) throw flags.usage('--speed and --fast exclude each other');
  const speed = speedText === undefined ? 1 : Number(speedText);
  if (!(Number.isFinite(speed) && speed > 0)) throw flags.usage(`--speed "${speedText}": give a factor above 0 (2 plays twice as fast)`);
  const as = flags.string('as');
  if (as !== undefined && flags.boolean('as-recorded')) throw flags.usage('--as and --as-recorded exclude each other');
  if (as !== undefined) {
    const problem = moduleIdProblem(as, { allowReserved: true });
    if (problem !== null) throw flags.usage(`--as "${as}": ${problem}`);
  }
  let filter: CaptureFilter;
  try {
    filter = parseCaptureFilter(flags.string('filter') ?? '');
  } catch (error) {
    if (error instanceof CaptureFilterError) throw flags.usage(`--filter: ${error.message}`);
    throw error;
  }
  const hub = hubConnectionFlags(flags);
  let capture: Awaited<ReturnType<typeof openCaptureReader>>;
  try {
    capture = await openCaptureReader(file);
  } catch (error) {
    throw new CommandError((error as Error).message);
  }
  const { info, records } = capture;

  const signal = untilSignal();
  let interrupted = false;
  void signal.then(() => {
    interrupted = true;
  });
  const client = await RelayClient.connect({ id: 'relayscope-replay', socket: hub.socket, token: hub.token, monitor: true, reconnect: false });
  note(`replaying ${file} into ${hub.socketDescription}${fast ? ' as fast as the hub takes it' : speed === 1 ? ' at the recorded pace' : ` at ${speed}× the recorded pace`}`);

  let delivered = 0;
  let skippedEvents = 0;
  const failures: Failure[] = [];
  const reasons = new Map<string, number>();
  // The correlation ID of an INJECT is the injected message's own, so two in flight must differ.
  const inFlight = new Map<number, Promise<void>>();
  const started = performance.now();
  let firstTime: number | null = null;
  let index = 0;
  try {
    for await (const record of records) {
      if (interrupted) break;
      if (record.type !== 'message') {
        skippedEvents++;
        continue;
      }
      if (!filter.matches(record, info.startTime)) continue;
      const position = index++;
      firstTime ??= record.time;
      if (!fast) {
        const due = (record.time - firstTime) / 1000 / speed - (performance.now() - started);
        if (due > 1) await sleep(due);
      }
      while (inFlight.size >= MAX_IN_FLIGHT || inFlight.has(record.correlationId)) await (inFlight.get(record.correlationId) ?? Promise.race(inFlight.values()));
      const sent = client
        .inject({ source: as ?? record.source, destination: record.destination, kind: record.kind, payload: record.payload, correlationId: record.correlationId })
        .then(
          () => {
            delivered++;
          },
          (error: unknown) => {
            const reason = error instanceof RelayError ? `${error.codeName}: ${error.detail}` : (error as Error).message;
            const key = error instanceof RelayError ? error.codeName : (error as Error).name;
            reasons.set(key, (reasons.get(key) ?? 0) + 1);
            if (failures.length < LISTED_FAILURES) failures.push({ index: position, message: record, reason });
          },
        )
        .finally(() => inFlight.delete(record.correlationId));
      inFlight.set(record.correlationId, sent);
    }
    await Promise.all(inFlight.values());
  } finally {
    await client.close();
  }

  const failed = index - delivered;
  const summary = `replayed ${index} messages from ${file}: ${delivered} delivered, ${failed} failed${skippedEvents > 0 ? `; ${skippedEvents} recorded events are not replayed` : ''}${interrupted ? '; stopped by a signal before the end' : ''}`;
  writeOut(`${summary}\n`);
  if (failed > 0) {
    writeOut(`failures by reason: ${[...reasons].map(([reason, n]) => `${reason} ×${n}`).join(', ')}\n`);
    for (const { index: i, message, reason } of failures) writeOut(`  #${i} ${as ?? message.source} -> ${message.destination ?? '*'} ${message.kind}: ${reason}\n`);
    if (failed > failures.length) writeOut(`  (${failed - failures.length} more)\n`);
  }
  return failed > 0 ? 1 : 0;
}
