import { RelayClient } from '../client';
import { CaptureFilterError, parseCaptureFilter, type CaptureFilter } from '../capture/captureFilter';
import type { CapturedMessage } from '../capture/captureRecord';
import { openCaptureReader } from '../capture/captureFiles';
import { replayFailure, replayMessages } from '../capture/replayMessages';
import { moduleIdProblem } from '../hub';
import { CommandError, type FlagValues } from './args';
import { hubConnectionFlags } from './clientCommands';
import { note, untilSignal, writeOut } from './io';

/** Failures listed one by one in the report; the rest are only counted by reason. */
const LISTED_FAILURES = 10;

interface Failure {
  index: number;
  message: CapturedMessage;
  reason: string;
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
  async function* matching(): AsyncGenerator<CapturedMessage> {
    for await (const record of records) {
      if (record.type !== 'message') skippedEvents++;
      else if (filter.matches(record, info.startTime)) yield record;
    }
  }
  let index: number;
  try {
    index = await replayMessages(client, matching(), {
      speed: fast ? null : speed,
      source: as,
      stopped: () => interrupted,
      onAnswer: (position, message, error) => {
        if (error === null) {
          delivered++;
          return;
        }
        const { key, reason } = replayFailure(error);
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
        if (failures.length < LISTED_FAILURES) failures.push({ index: position, message, reason });
      },
    });
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
