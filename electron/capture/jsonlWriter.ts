import type { CaptureInfo, CaptureRecord } from './captureRecord';
import { endLine, infoLine, recordLine } from './jsonlLayout';
import { QueuedFile } from './QueuedFile';

/** Writes a capture as JSON Lines (layout: jsonlLayout.ts, docs/CAPTURE.md): the info line, a line per record, the end line at close. */
export class JsonlCaptureWriter {
  private messageCount = 0;
  private closed = false;

  private constructor(
    private readonly file: QueuedFile,
    private info: CaptureInfo,
  ) {}

  static async create(path: string, info: CaptureInfo): Promise<JsonlCaptureWriter> {
    const file = await QueuedFile.create(path);
    file.append(Buffer.from(`${infoLine(info)}\n`));
    return new JsonlCaptureWriter(file, { ...info });
  }

  get pending(): number {
    return this.file.pending;
  }

  get messages(): number {
    return this.messageCount;
  }

  get error(): Error | null {
    return this.file.error;
  }

  write(record: CaptureRecord): void {
    this.file.append(Buffer.from(`${recordLine(record)}\n`));
    if (record.type === 'message') this.messageCount++;
  }

  async close(end: Partial<CaptureInfo> = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.info = { ...this.info, ...end };
    try {
      this.file.append(Buffer.from(`${endLine(this.info)}\n`));
    } finally {
      await this.file.close();
    }
  }
}
