import * as path from 'node:path';
import type { CaptureInfo, CaptureRecord } from './captureRecord';
import { JsonlCaptureWriter } from './jsonlWriter';
import { readJsonlCapture } from './jsonlReader';
import { McapCaptureWriter } from './McapCaptureWriter';
import { PcapngCaptureWriter } from './pcapngWriter';
import { readPcapngCapture } from './pcapngReader';
import { readMcapCapture } from './readMcapCapture';

/** The capture formats, by the file extension that selects them. */
export const CAPTURE_FORMATS = { '.mcap': 'mcap', '.pcapng': 'pcapng', '.jsonl': 'jsonl' } as const;
export type CaptureFormat = (typeof CAPTURE_FORMATS)[keyof typeof CAPTURE_FORMATS];

export interface CaptureReader {
  info: CaptureInfo;
  /** Messages and events in order. */
  records: AsyncIterable<CaptureRecord>;
}

/** What every format's writer offers (McapCaptureWriter, PcapngCaptureWriter, JsonlCaptureWriter). */
export interface CaptureWriter {
  write(record: CaptureRecord): void;
  /** Writes what is queued and the end values (missed, counters at end); rethrows a write error. */
  close(end?: Partial<CaptureInfo>): Promise<void>;
  /** Records queued and not yet on disk: a caller bounds its memory by waiting while this is high. */
  readonly pending: number;
  readonly error: Error | null;
}

/** The format a file name selects; a clear error for any other extension. */
export function captureFormatOf(file: string): CaptureFormat {
  const extension = path.extname(file).toLowerCase();
  const format = (CAPTURE_FORMATS as Record<string, CaptureFormat>)[extension];
  if (format === undefined) {
    const known = Object.keys(CAPTURE_FORMATS).join(', ');
    throw new Error(`${file}: ${extension === '' ? 'no file extension' : `unknown extension "${extension}"`}; a capture file ends in ${known}`);
  }
  return format;
}

/** Opens a capture of any format; errors name the file (missing, unreadable, not that format). */
export async function openCaptureReader(file: string): Promise<CaptureReader> {
  const format = captureFormatOf(file);
  let reader: CaptureReader;
  try {
    if (format === 'mcap') reader = await readMcapCapture(file);
    else if (format === 'pcapng') reader = await readPcapngCapture(file);
    else reader = await readJsonlCapture(file);
  } catch (error) {
    throw namedError(file, error);
  }
  const { records } = reader;
  return { info: reader.info, records: { [Symbol.asyncIterator]: () => namedErrors(file, records) } };
}

/** A damaged record deep in the file fails the iteration with the file's name in the message. */
async function* namedErrors(file: string, records: AsyncIterable<CaptureRecord>): AsyncGenerator<CaptureRecord> {
  try {
    yield* records;
  } catch (error) {
    throw namedError(file, error);
  }
}

export async function createCaptureWriter(file: string, info: CaptureInfo): Promise<CaptureWriter> {
  const format = captureFormatOf(file);
  try {
    if (format === 'mcap') return await McapCaptureWriter.create(file, info);
    if (format === 'pcapng') return await PcapngCaptureWriter.create(file, info);
    return await JsonlCaptureWriter.create(file, info);
  } catch (error) {
    throw namedError(file, error);
  }
}

/** The readers name the file in their own errors; system errors (ENOENT, EACCES) and @mcap/core's do not. */
function namedError(file: string, error: unknown): Error {
  const err = error as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return new Error(`${file}: no such file`);
  if (err.code === 'EACCES') return new Error(`${file}: permission denied`);
  if (err.code === 'EISDIR') return new Error(`${file} is a directory`);
  const message = err.message ?? String(error);
  return message.includes(file) ? err : new Error(`${file}: ${message}`);
}
