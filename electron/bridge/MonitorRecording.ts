import * as os from 'node:os';
import { countersFromSnapshot, nowMicros, relayscopeVersion } from '../capture/captureInfo';
import { createCaptureWriter, type CaptureWriter } from '../capture/captureFiles';
import type { CaptureInfo, CaptureRecord } from '../capture/captureRecord';
import type { RecordingStatus } from '../capture/Recording';
import type { HubSnapshot } from '../hub/hubEvents';
import type { BackendRecording } from './HubBackend';

/** Records queued for the disk at most; beyond them copies are counted as missed rather than held. */
const MAX_PENDING_RECORDS = 100_000;

/**
 * A recording fed from a monitor connection (the attached backend): every TRAFFIC copy and EVENT
 * written to a capture file in this process. The hub may drop copies towards a monitor that falls
 * behind (MONITOR_DROPPED): those and any the disk could not take are counted in `missed`.
 */
export class MonitorRecording implements BackendRecording {
  readonly missedPossible = true;
  private readonly startedAt = performance.now();
  private messages = 0;
  private bytes = 0;
  private missed = 0;
  private written = 0;
  private writtenBytes = 0;
  private stopping: Promise<RecordingStatus> | null = null;

  private constructor(
    readonly path: string,
    private readonly writer: CaptureWriter,
    private readonly snapshot: () => Promise<HubSnapshot>,
    private readonly detach: () => void,
  ) {}

  static async start(file: string, hub: string, snapshot: () => Promise<HubSnapshot>, attach: (recording: MonitorRecording) => () => void): Promise<MonitorRecording> {
    const info: CaptureInfo = {
      hub,
      sockets: [hub],
      host: os.hostname(),
      startTime: nowMicros(),
      relayscopeVersion: relayscopeVersion(),
      missed: 0,
      countersAtStart: countersFromSnapshot(await snapshot()),
      countersAtEnd: null,
    };
    const writer = await createCaptureWriter(file, info);
    let detach: () => void = () => {};
    const recording = new MonitorRecording(file, writer, snapshot, () => detach());
    detach = attach(recording);
    return recording;
  }

  /** One copy or event from the monitor connection. */
  record(record: CaptureRecord): void {
    if (this.stopping !== null) return;
    if (record.type === 'message') {
      if (this.writer.pending >= MAX_PENDING_RECORDS || this.writer.error !== null) {
        this.missed++;
        return;
      }
      this.messages++;
      this.bytes += record.payload.length;
      this.written++;
      this.writtenBytes += record.payload.length;
    }
    this.writer.write(record);
  }

  /** Copies the hub dropped towards this monitor (its MONITOR_DROPPED count). */
  countMissed(count: number): void {
    this.missed += count;
  }

  status(): RecordingStatus {
    const error = this.writer.error === null ? null : this.writer.error.message;
    return {
      path: this.path,
      elapsedMs: Math.round(performance.now() - this.startedAt),
      messages: this.messages,
      bytes: this.bytes,
      missed: this.missed,
      written: this.written,
      writtenBytes: this.writtenBytes,
      error,
    };
  }

  stop(): Promise<RecordingStatus> {
    this.stopping ??= (async () => {
      this.detach();
      let countersAtEnd = null;
      try {
        countersAtEnd = countersFromSnapshot(await this.snapshot());
      } catch {
        // Detached from the hub right now: the file says so by having no end counters.
      }
      await this.writer.close({ missed: this.missed, countersAtEnd });
      return this.status();
    })();
    return this.stopping;
  }
}
