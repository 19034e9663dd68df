import * as os from 'node:os';
import type { HubSnapshot } from '../hub/hubEvents';
import type { TapRecorder } from '../hub/MonitorTap';
import { countersFromSnapshot, nowMicros, relayscopeVersion } from './captureInfo';
import type { CaptureInfo } from './captureRecord';
import { InProcessRecording, type RecordingOptions, type RecordingStatus } from './InProcessRecording';

export type { RecordingStatus } from './InProcessRecording';

export interface HubRecordingOptions extends RecordingOptions {
  /** The hub's name in the file's metadata (default host:first socket). */
  hub?: string;
  /** The addresses the hub listens on, for the metadata. */
  sockets?: string[];
}

/** What a recording needs of the hub: its counters, and the tap to take copies from. */
export interface RecordingTarget {
  snapshot(): HubSnapshot;
  setRecorder(recorder: TapRecorder | null): void;
}

/**
 * A recording of a hub in this process (RelayHub.startRecording): every relayed message with its
 * full payload and every event, with the hub's counters at the start and the end in the metadata.
 */
export class Recording {
  private stopped: Promise<RecordingStatus> | null = null;

  private constructor(
    private readonly target: RecordingTarget,
    private readonly inner: InProcessRecording,
    private readonly onStopped: () => void,
  ) {}

  static async start(target: RecordingTarget, file: string, options: HubRecordingOptions, onStopped: () => void): Promise<Recording> {
    const sockets = options.sockets ?? [];
    const info: CaptureInfo = {
      hub: options.hub ?? `${os.hostname()}:${sockets[0] ?? 'in-process'}`,
      sockets,
      host: os.hostname(),
      startTime: nowMicros(),
      relayscopeVersion: relayscopeVersion(),
      missed: 0,
      countersAtStart: countersFromSnapshot(target.snapshot()),
      countersAtEnd: null,
    };
    const inner = await InProcessRecording.start(file, info, options);
    target.setRecorder(inner.buffer);
    return new Recording(target, inner, onStopped);
  }

  get path(): string {
    return this.inner.path;
  }

  /**
   * `callback` is told at once when the file cannot be written any more (a full disk): the recording
   * stays attached so that what it misses from then on is counted, and stop() completes it.
   */
  onFailed(callback: (reason: string) => void): void {
    this.inner.onFailed(callback);
  }

  /** Elapsed time, messages and bytes handed over, missed, written so far, and the error if the file failed. */
  status(): RecordingStatus {
    return this.inner.status();
  }

  /** Detaches from the hub and completes the file; resolves with the final status (its error set if the file failed). */
  stop(): Promise<RecordingStatus> {
    this.stopped ??= (async () => {
      this.target.setRecorder(null);
      try {
        return await this.inner.stop({ countersAtEnd: countersFromSnapshot(this.target.snapshot()) });
      } finally {
        this.onStopped();
      }
    })();
    return this.stopped;
  }
}
