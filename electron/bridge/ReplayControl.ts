import { openCaptureReader } from '../capture/captureFiles';
import { CaptureFilterError, parseCaptureFilter } from '../capture/captureFilter';
import type { CapturedMessage } from '../capture/captureRecord';
import { replayFailure, replayMessages } from '../capture/replayMessages';
import { RelayClient } from '../client';
import type { ReplayArgs, WireReplayStatus } from './contract';
import { BackendError } from './HubBackend';
import type { OfflineBackend } from './OfflineBackend';

/** Failures listed one by one; the rest are counted by reason. */
const LISTED_FAILURES = 20;

/**
 * "Replay into a live hub" of the offline view: a monitor connection to the hub at `socket` injects
 * each message (the whole file through a filter, or the selected rows) with its recorded source to
 * its recorded destination, keeping the recorded gaps divided by the speed, with the loop
 * `relayscope replay` uses (electron/capture/replayMessages.ts): each message is counted delivered
 * or failed with the hub's reason. One replay at a time.
 */
export class ReplayControl {
  private current: WireReplayStatus | null = null;
  private readonly reasons = new Map<string, number>();

  constructor(private readonly backend: OfflineBackend) {}

  status(): WireReplayStatus | null {
    return this.current === null ? null : { ...this.current, reasons: [...this.reasons].map(([reason, count]) => ({ reason, count })), failures: [...this.current.failures] };
  }

  async start(args: ReplayArgs): Promise<WireReplayStatus> {
    if (this.current?.running) throw new BackendError('REPLAY_RUNNING', 'a replay is running; wait for it to finish');
    let filter: ReturnType<typeof parseCaptureFilter>;
    try {
      filter = parseCaptureFilter(args.filter);
    } catch (err) {
      if (err instanceof CaptureFilterError) throw new BackendError('INVALID_FILTER', err.message);
      throw err;
    }
    let selected: CapturedMessage[] | null = null;
    if (args.seqs !== null) {
      selected = [];
      for (const seq of args.seqs) {
        const message = this.backend.message(seq);
        if (message === undefined) throw new BackendError('ROW_EVICTED', `row ${seq} is no longer loaded; jump to it on the timeline again`);
        selected.push(message);
      }
    }
    let client: RelayClient;
    try {
      client = await RelayClient.connect({ id: 'relayscope-ui-replay', socket: args.socket, monitor: true, reconnect: false });
    } catch (err) {
      throw new BackendError('NOT_CONNECTED', `cannot reach a hub on ${args.socket}: ${(err as Error).message}`);
    }
    this.reasons.clear();
    this.current = { running: true, socket: args.socket, sent: 0, delivered: 0, failed: 0, reasons: [], failures: [], error: null };
    const status = this.current;
    const info = (await openCaptureReader(this.backend.file)).info;
    const messages = selected ?? this.fileMessages((message) => filter.matches(message, info.startTime));
    void this.run(client, status, messages, args.speed).finally(() => {
      status.running = false;
    });
    return this.status() as WireReplayStatus;
  }

  private async *fileMessages(matches: (message: CapturedMessage) => boolean): AsyncGenerator<CapturedMessage> {
    for await (const record of (await openCaptureReader(this.backend.file)).records) if (record.type === 'message' && matches(record)) yield record;
  }

  private async run(client: RelayClient, status: WireReplayStatus, messages: Iterable<CapturedMessage> | AsyncIterable<CapturedMessage>, speed: number | null): Promise<void> {
    try {
      await replayMessages(client, messages, {
        speed,
        onSent: () => {
          status.sent++;
        },
        onAnswer: (index, message, error) => {
          if (error === null) {
            status.delivered++;
            return;
          }
          status.failed++;
          const { key, reason } = replayFailure(error);
          this.reasons.set(key, (this.reasons.get(key) ?? 0) + 1);
          if (status.failures.length < LISTED_FAILURES) status.failures.push({ index, source: message.source, destination: message.destination, reason });
        },
      });
    } catch (err) {
      status.error = (err as Error).message;
    } finally {
      await client.close();
    }
  }
}
