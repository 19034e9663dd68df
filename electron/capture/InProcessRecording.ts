import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CaptureInfo } from './captureRecord';
import { RecordingBuffer } from './RecordingBuffer';
import type { FromWorker, ToWorker } from './recordingWorker';

export interface RecordingOptions {
  /** Bytes of one hand-off buffer (default 2 MiB). */
  bufferBytes?: number;
  /** Buffers at most, with the worker or being filled (default 32: 64 MiB); beyond them copies are dropped and counted. */
  maxBuffers?: number;
  /** A partly filled buffer is handed over after this long, so the file trails the hub by little (default 200 ms). */
  flushMs?: number;
}

export interface RecordingStatus {
  path: string;
  elapsedMs: number;
  /** Messages the hub handed to the recorder. */
  messages: number;
  /** Bytes of relayed frames handed over (payloads and their headers). */
  bytes: number;
  /** Messages not in the file: the recorder had no room for them, or (after a failure) they were not written. */
  missed: number;
  /** Messages and payload bytes the worker has written so far; after a failure, written is what the file holds. */
  written: number;
  writtenBytes: number;
  /** Why the recording stopped by itself (the disk failed), or null. */
  error: string | null;
}

/** The worker runs compiled JS: from the sources (tests), the built copy in dist/ is started. */
function workerScript(): string {
  const beside = path.join(__dirname, 'recordingWorker.js');
  if (fs.existsSync(beside)) return beside;
  return path.resolve(__dirname, '..', '..', 'dist', 'electron', 'capture', 'recordingWorker.js');
}

/**
 * One recording in the hub's process: the hub thread appends to a RecordingBuffer, whose buffers go
 * to a worker thread that writes the MCAP file, so writing never takes the relay's thread. Start it
 * with RelayHub.startRecording, which connects the buffer to the monitor tap.
 */
export class InProcessRecording {
  readonly buffer: RecordingBuffer;
  private readonly startedAt = performance.now();
  private readonly timer: NodeJS.Timeout;
  private written = 0;
  private writtenBytes = 0;
  private failure: string | null = null;
  private stopping: Promise<RecordingStatus> | null = null;
  private closedResolve: (() => void) | null = null;
  private onFailure: (reason: string) => void = () => {};

  private constructor(
    readonly path: string,
    private readonly worker: Worker,
    options: Required<RecordingOptions>,
  ) {
    this.buffer = new RecordingBuffer({
      bufferBytes: options.bufferBytes,
      maxBuffers: options.maxBuffers,
      handOff: (buffer, used) => {
        if (this.failure !== null) return;
        const message: ToWorker = { type: 'buffer', buffer: buffer.buffer as ArrayBuffer, used };
        this.worker.postMessage(message, [buffer.buffer as ArrayBuffer]);
      },
    });
    this.timer = setInterval(() => this.buffer.flush(), options.flushMs);
    this.timer.unref();
    worker.on('message', (message: FromWorker) => this.received(message));
    worker.on('error', (error) => this.fail(`the recording worker failed: ${error.message}`));
    worker.on('exit', () => {
      if (this.closedResolve === null && this.failure === null) this.fail('the recording worker exited');
      this.closedResolve?.();
    });
  }

  /** Starts the worker; resolves once the file is open (its header and the start metadata written). */
  static async start(file: string, info: CaptureInfo, options: RecordingOptions = {}): Promise<InProcessRecording> {
    const worker = new Worker(workerScript(), { workerData: { path: file, info } });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromWorker): void => {
        worker.off('error', onError);
        if (message.type === 'opened') resolve();
        else reject(new Error(message.type === 'failed' ? message.message : `the recording worker said ${message.type} before opening`));
      };
      const onError = (error: Error): void => reject(error);
      worker.once('message', onMessage);
      worker.once('error', onError);
    }).catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    });
    return new InProcessRecording(file, worker, { bufferBytes: options.bufferBytes ?? 2 * 1024 * 1024, maxBuffers: options.maxBuffers ?? 32, flushMs: options.flushMs ?? 200 });
  }

  /**
   * Called once if the file cannot be written any more. The hub goes on handing copies over: none
   * reaches the worker again, so once the buffers are used up each is counted as missed.
   */
  onFailed(callback: (reason: string) => void): void {
    this.onFailure = callback;
  }

  status(): RecordingStatus {
    return {
      path: this.path,
      elapsedMs: performance.now() - this.startedAt,
      messages: this.buffer.messages,
      bytes: this.buffer.bytes,
      // After a failure nothing handed over since the worker's last write reaches the file either.
      missed: this.failure === null ? this.buffer.missed : this.buffer.missed + Math.max(0, this.buffer.messages - this.written),
      written: this.written,
      writtenBytes: this.writtenBytes,
      error: this.failure,
    };
  }

  /**
   * Hands over the last buffer and has the worker close the file with `end` (missed is filled in
   * here); resolves with the final status once the file is complete. The caller has detached the
   * buffer from the hub first, so nothing is appended after this. After a failure it resolves too,
   * with the error in the status: the file holds what was written before (its streaming readers
   * read it up to the last whole chunk), and every message since is counted as missed.
   */
  stop(end: Partial<CaptureInfo> = {}): Promise<RecordingStatus> {
    this.stopping ??= this.close(end);
    return this.stopping;
  }

  private async close(end: Partial<CaptureInfo>): Promise<RecordingStatus> {
    clearInterval(this.timer);
    this.buffer.flush();
    const exited = new Promise<void>((resolve) => {
      this.closedResolve = resolve;
    });
    if (this.failure === null) {
      const message: ToWorker = { type: 'close', end: { ...end, missed: this.buffer.missed } };
      this.worker.postMessage(message);
      await exited;
    } else {
      await this.worker.terminate();
    }
    return this.status();
  }

  private received(message: FromWorker): void {
    if (message.type === 'returned') {
      this.written = message.messages;
      this.writtenBytes = message.payloadBytes;
      this.buffer.giveBack(Buffer.from(message.buffer));
    } else if (message.type === 'closed') {
      this.written = message.messages;
      this.writtenBytes = message.payloadBytes;
    } else if (message.type === 'failed') {
      if (message.messages !== undefined) this.written = message.messages;
      this.fail(message.message);
    }
  }

  private fail(reason: string): void {
    if (this.failure !== null) return;
    this.failure = reason;
    clearInterval(this.timer);
    this.onFailure(reason);
  }
}
