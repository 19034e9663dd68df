import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureFormatOf, createCaptureWriter, openCaptureReader } from '../capture/captureFiles';
import { CaptureFilterError, parseCaptureFilter } from '../capture/captureFilter';
import type { RecordingStatus } from '../capture/Recording';
import type { ExportArgs, WireCaptureFile, WireRecordingStatus } from './contract';
import { captureDirectory, captureFileName } from './captureDirectory';
import { BackendError, type BackendRecording, type HubBackend } from './HubBackend';

/** Files offered for download at most; the oldest is forgotten (the file stays) beyond it. */
const MAX_OFFERED_FILES = 64;
/** Records an export queues for the disk before it waits. */
const EXPORT_PENDING_RECORDS = 10_000;

export interface OfferedFile {
  path: string;
  /** The name a download saves it as. */
  name: string;
}

/**
 * The UI's recordings and exports, for both transports: starts and stops the backend's recording in
 * the private capture folder, writes exports there, and keeps the files it made by a random ID so
 * the browser mode's download route serves those and nothing else.
 */
export class CaptureControl {
  private recording: BackendRecording | null = null;
  private last: WireRecordingStatus | null = null;
  private lastRecordingPath: string | null = null;
  private readonly offered = new Map<string, OfferedFile>();
  /** One export at a time: each writes a whole copy of its source to disk. */
  private exporting = false;

  constructor(
    private readonly backend: HubBackend,
    private readonly directory: () => string = () => captureDirectory(),
  ) {}

  /** Starts recording to a new file in the capture folder, or to `file` (serve --record FILE). */
  async start(file?: string): Promise<WireRecordingStatus> {
    if (this.backend.describe().offline !== undefined) throw new BackendError('NOT_SUPPORTED', 'this window shows an opened recording; there is no live hub to record');
    if (this.recording !== null) throw new BackendError('RECORDING_FAILED', 'already recording; stop that recording first');
    let target: string;
    try {
      target = file ?? path.join(this.directory(), captureFileName('relayscope', 'mcap'));
    } catch (err) {
      throw new BackendError('RECORDING_FAILED', (err as Error).message);
    }
    const recording = await this.backend.startRecording(target);
    this.recording = recording;
    this.last = wireStatus(recording.status(), true, recording.missedPossible, null);
    return this.last;
  }

  async stop(): Promise<WireRecordingStatus> {
    const recording = this.recording;
    if (recording === null) throw new BackendError('NOT_RECORDING', 'no recording is running');
    this.recording = null;
    const final = await recording.stop();
    this.lastRecordingPath = final.path;
    this.last = wireStatus(final, false, recording.missedPossible, this.offer(final.path));
    return this.last;
  }

  status(): WireRecordingStatus | null {
    if (this.recording !== null) this.last = wireStatus(this.recording.status(), true, this.recording.missedPossible, null);
    return this.last;
  }

  /** Reads the source through the filter into a new file of the format; a bad filter is INVALID_FILTER. */
  async export(args: ExportArgs): Promise<WireCaptureFile> {
    const source = args.source === 'opened' ? (this.backend.describe().offline?.file ?? null) : this.lastRecordingPath;
    if (source === null) throw new BackendError('NOTHING_TO_EXPORT', args.source === 'opened' ? 'no recording is open' : 'no recording has been stopped in this session yet');
    let filter: ReturnType<typeof parseCaptureFilter>;
    try {
      filter = parseCaptureFilter(args.filter);
    } catch (err) {
      if (err instanceof CaptureFilterError) throw new BackendError('INVALID_FILTER', err.message);
      throw err;
    }
    if (this.exporting) throw new BackendError('EXPORT_RUNNING', 'an export is being written; wait for it to finish');
    this.exporting = true;
    try {
      return await this.write(source, filter, args.format);
    } finally {
      this.exporting = false;
    }
  }

  private async write(source: string, filter: ReturnType<typeof parseCaptureFilter>, format: ExportArgs['format']): Promise<WireCaptureFile> {
    const base = path.basename(source).replace(/\.[^.]+$/, '');
    const output = path.join(this.directory(), captureFileName(`${base}${filter.active ? '-filtered' : ''}`, format));
    let records = 0;
    try {
      const reader = await openCaptureReader(source);
      const writer = await createCaptureWriter(output, reader.info);
      for await (const record of reader.records) {
        if (!filter.matches(record, reader.info.startTime)) continue;
        writer.write(record);
        records++;
        while (writer.pending > EXPORT_PENDING_RECORDS && writer.error === null) await new Promise((resolve) => setTimeout(resolve, 5));
        if (writer.error !== null) break;
      }
      await writer.close();
    } catch (err) {
      fs.rmSync(output, { force: true });
      throw new BackendError('EXPORT_FAILED', (err as Error).message);
    }
    const captureId = this.offer(output);
    return { captureId, name: path.basename(output), path: output, size: fs.statSync(output).size, records };
  }

  /** Where an uploaded file goes: a new name in the capture folder with the upload's extension; throws for an unknown one. */
  uploadPath(originalName: string): string {
    const format = captureFormatOf(originalName);
    return path.join(this.directory(), captureFileName('uploaded', format));
  }

  /** A file this session made, by its ID; undefined for any other ID. */
  offeredFile(captureId: string): OfferedFile | undefined {
    return this.offered.get(captureId);
  }

  /** Stops a running recording so its file is complete. */
  async close(): Promise<void> {
    if (this.recording !== null) await this.stop();
  }

  private offer(file: string): string {
    const captureId = randomBytes(16).toString('hex');
    this.offered.set(captureId, { path: file, name: path.basename(file) });
    if (this.offered.size > MAX_OFFERED_FILES) this.offered.delete(this.offered.keys().next().value as string);
    return captureId;
  }
}

function wireStatus(status: RecordingStatus, running: boolean, missedPossible: boolean, captureId: string | null): WireRecordingStatus {
  return { path: status.path, running, elapsedMs: status.elapsedMs, messages: status.messages, bytes: status.bytes, missed: status.missed, missedPossible, error: status.error, captureId };
}
