import * as fs from 'node:fs/promises';

/** Pieces are joined into writes of about this size: few system calls, little copying. */
const WRITE_BYTES = 1024 * 1024;

/**
 * A file written in order by one loop, for the export writers: append() only queues, so a caller
 * (a recorder, a converter) never waits on the disk per record, and `pending` says how far the disk
 * is behind so the caller can bound what it queues. The first write error stops the file; close()
 * rethrows it.
 */
export class QueuedFile {
  private readonly queue: Uint8Array[] = [];
  private draining: Promise<void> | null = null;
  private failure: Error | null = null;
  private closed = false;
  private position = 0;

  private constructor(
    private readonly handle: fs.FileHandle,
    readonly path: string,
  ) {}

  static async create(path: string): Promise<QueuedFile> {
    return new QueuedFile(await fs.open(path, 'w'), path);
  }

  /** Pieces appended and not yet written. */
  get pending(): number {
    return this.queue.length;
  }

  get error(): Error | null {
    return this.failure;
  }

  append(bytes: Uint8Array): void {
    if (this.closed) throw new Error(`${this.path} is closed`);
    if (this.failure !== null) return;
    this.queue.push(bytes);
    if (this.draining === null) this.draining = this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        let count = 0;
        let bytes = 0;
        while (count < this.queue.length && (count === 0 || bytes + this.queue[count].length <= WRITE_BYTES)) bytes += this.queue[count++].length;
        const buffer = count === 1 ? this.queue[0] : Buffer.concat(this.queue.slice(0, count), bytes);
        // Removed only once written, so `pending` counts what the disk has not taken yet.
        for (let offset = 0; offset < buffer.length; ) {
          const { bytesWritten } = await this.handle.write(buffer, offset, buffer.length - offset, this.position);
          offset += bytesWritten;
          this.position += bytesWritten;
        }
        this.queue.splice(0, count);
      }
    } catch (error) {
      this.failure = new Error(`cannot write ${this.path}: ${(error as Error).message}`);
      this.queue.length = 0;
    } finally {
      this.draining = null;
    }
  }

  /** Writes what is queued and closes the file; rethrows the first write error. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      while (this.draining !== null) await this.draining;
      if (this.failure !== null) throw this.failure;
    } finally {
      await this.handle.close();
    }
  }
}
