import * as os from 'node:os';
import { RelayClient } from '../client';
import { countersFromSnapshot, nowMicros, relayscopeVersion } from '../capture/captureInfo';
import { CaptureFilterError, parseCaptureFilter, type CaptureFilter } from '../capture/captureFilter';
import type { CaptureInfo, CaptureRecord } from '../capture/captureRecord';
import { captureFormatOf, createCaptureWriter, type CaptureWriter } from '../capture/captureFiles';
import { capturedEvent, capturedTraffic } from '../capture/monitorFrames';
import { monitorDroppedCount, type EventFrame, type HubSnapshot, type TrafficFrame } from '../hub';
import { CommandError, type FlagValues } from './args';
import { hubConnectionFlags } from './clientCommands';
import { formatBytes } from './format';
import { note, untilSignal, writeOut } from './io';

/** Records waiting for the disk beyond which new copies are counted as missed instead of queued. */
const MAX_PENDING_RECORDS = 100_000;

/** This command's own monitor connection in a snapshot: the copies the hub dropped for it. */
function ownDrops(snapshot: HubSnapshot, id: string): number {
  return snapshot.monitors.find((monitor) => monitor.id === id)?.stats.drops ?? 0;
}

/**
 * `relayscope record`: a monitor connection that writes every TRAFFIC copy and EVENT to a capture
 * until a signal, --count messages, --seconds or the hub going away; then it closes the file (for
 * MCAP the index, footer and final metadata) and says what it wrote and what it missed. The file's
 * extension picks the format (.mcap, .pcapng for Wireshark, .jsonl): all three are written as a
 * stream, so one cut short still opens up to its last whole record.
 */
export async function runRecord(flags: FlagValues): Promise<number> {
  const output = flags.required('output');
  try {
    captureFormatOf(output);
  } catch (error) {
    throw flags.usage(`--output ${(error as Error).message}`);
  }
  const count = flags.integer('count', 1);
  const secondsText = flags.string('seconds');
  const seconds = secondsText === undefined ? undefined : Number(secondsText);
  if (seconds !== undefined && !(Number.isFinite(seconds) && seconds > 0)) throw flags.usage(`--seconds "${secondsText}": give a number of seconds above 0`);
  let filter: CaptureFilter;
  try {
    filter = parseCaptureFilter(flags.string('filter') ?? '');
  } catch (error) {
    if (error instanceof CaptureFilterError) throw flags.usage(`--filter: ${error.message}`);
    throw error;
  }
  const hub = hubConnectionFlags(flags);
  const signal = untilSignal();
  const client = await RelayClient.connect({ id: 'relayscope-record', socket: hub.socket, token: hub.token, monitor: true, reconnect: false });
  const startSnapshot = await client.stats();
  const info: CaptureInfo = {
    hub: `${os.hostname()}:${hub.socketDescription}`,
    sockets: [hub.socketDescription],
    host: os.hostname(),
    startTime: nowMicros(),
    relayscopeVersion: relayscopeVersion(),
    missed: 0,
    countersAtStart: countersFromSnapshot(startSnapshot),
    countersAtEnd: null,
  };
  let writer: CaptureWriter;
  try {
    writer = await createCaptureWriter(output, info);
  } catch (error) {
    await client.close();
    throw new CommandError(`cannot write ${output}: ${(error as Error).message}`);
  }
  note(`recording ${hub.socketDescription} to ${output} as ${client.id}`);

  let messages = 0;
  let events = 0;
  let bytes = 0;
  let missedHere = 0;
  let reportedByHub = 0;
  let reachedCount: () => void = () => {};
  const countReached = new Promise<'count'>((resolve) => {
    reachedCount = () => resolve('count');
  });
  const accept = (record: CaptureRecord): boolean => {
    if (!filter.matches(record, info.startTime)) return false;
    if (writer.pending >= MAX_PENDING_RECORDS || writer.error !== null) {
      missedHere++;
      return false;
    }
    writer.write(record);
    return true;
  };
  client.on('traffic', (traffic: TrafficFrame) => {
    if (count !== undefined && messages >= count) return;
    const record = capturedTraffic(traffic);
    if (record === null || !accept(record)) return;
    messages++;
    bytes += traffic.payload.length;
    if (count !== undefined && messages >= count) reachedCount();
  });
  client.on('hubEvent', (event: EventFrame) => {
    const dropped = monitorDroppedCount(event);
    if (dropped !== null) reportedByHub += dropped;
    const record = capturedEvent(event);
    if (record !== null && accept(record)) events++;
  });
  let lostHub: Error | undefined;
  client.on('disconnect', ({ error }: { error?: Error }) => {
    lostHub = error;
  });
  const closed = new Promise<'closed'>((resolve) => client.once('close', () => resolve('closed')));
  const timer = seconds === undefined ? null : new Promise<'seconds'>((resolve) => setTimeout(() => resolve('seconds'), seconds * 1000).unref());
  const why = await Promise.race([signal, countReached, closed, ...(timer === null ? [] : [timer])]);

  // The hub reports a monitor's drops only once its queue has room again: its own count is final.
  let endSnapshot: HubSnapshot | null = null;
  if (why !== 'closed') {
    endSnapshot = await client.stats().catch(() => null);
    await client.close();
  }
  const hubMissed = endSnapshot === null ? reportedByHub : Math.max(reportedByHub, ownDrops(endSnapshot, client.id));
  const missed = hubMissed + missedHere;
  try {
    await writer.close({ missed, countersAtEnd: endSnapshot === null ? null : countersFromSnapshot(endSnapshot) });
  } catch (error) {
    throw new CommandError(`writing ${output} failed: ${(error as Error).message}`);
  }
  const elapsed = (nowMicros() - info.startTime) / 1e6;
  writeOut(`recorded ${messages} messages (${formatBytes(bytes)} of payload) and ${events} events to ${output} in ${elapsed.toFixed(1)} s; missed ${missed}`);
  writeOut(missed === 0 ? '\n' : ` (${hubMissed} dropped by the hub because this recorder read too slowly, ${missedHere} because the disk could not keep up)\n`);
  if (why === 'closed') throw new CommandError(`disconnected from ${hub.socketDescription}${lostHub === undefined ? '' : ` (${lostHub.message})`}; the recording up to then is in ${output}`);
  return 0;
}
