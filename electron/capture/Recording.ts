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
  ) {
    inner.onFailed(() => target.setRecorder(null));
  }

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

  /** Elapsed time, messages and bytes handed over, missed, written so far. */
  status(): RecordingStatus {
    return this.inner.status();
  }

  /** Detaches from the hub and completes the file; resolves with the final status. */
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
