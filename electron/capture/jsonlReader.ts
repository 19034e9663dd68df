import * as fs from 'node:fs/promises';
import type { CaptureInfo, CaptureRecord } from './captureRecord';
import { MAX_LINE_BYTES, parseLine } from './jsonlLayout';

const READ_BYTES = 1024 * 1024;
/** The end line is short (two numbers and the counters): this much of the file's tail holds it. */
const TAIL_BYTES = 64 * 1024;

export interface JsonlCapture {
  info: CaptureInfo;
  /** Messages and events in file order. Each iteration reads the file anew. */
  records: AsyncIterable<CaptureRecord>;
}

/** The file's lines with their numbers (from 1), read in 1 MiB pieces; blank lines are skipped. */
async function* readLines(path: string): AsyncGenerator<{ text: string; number: number }> {
  const handle = await fs.open(path, 'r');
  try {
    const pieces: Buffer[] = [];
    let pieceBytes = 0;
    let number = 0;
    const chunk = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, READ_BYTES, null);
      if (bytesRead === 0) break;
      let start = 0;
      for (let newline = chunk.indexOf(0x0a, 0); newline >= 0 && newline < bytesRead; newline = chunk.indexOf(0x0a, start)) {
        const line = pieces.length === 0 ? chunk.toString('utf8', start, newline) : Buffer.concat([...pieces, chunk.subarray(start, newline)]).toString('utf8');
        pieces.length = 0;
        pieceBytes = 0;
        start = newline + 1;
        number++;
        if (line.trim() !== '') yield { text: line, number };
      }
      if (start < bytesRead) {
        pieceBytes += bytesRead - start;
        if (pieceBytes > MAX_LINE_BYTES) throw new Error(`${path} line ${number + 1} is longer than ${MAX_LINE_BYTES} bytes: not a Relayscope JSON Lines capture`);
        // Copied: the chunk is reused for the next read.
        pieces.push(Buffer.from(chunk.subarray(start, bytesRead)));
      }
    }
    if (pieces.length > 0) {
      const line = Buffer.concat(pieces).toString('utf8');
      if (line.trim() !== '') yield { text: line, number: number + 1 };
    }
  } finally {
    await handle.close();
  }
}

async function* jsonlRecords(path: string): AsyncGenerator<CaptureRecord> {
  for await (const { text, number } of readLines(path)) {
    const parsed = parseLine(text, `${path} line ${number}`);
    if (parsed.type === 'record') yield parsed.record;
    else if (parsed.type === 'capture' && number !== 1) throw new Error(`${path} line ${number}: a second "capture" line (files joined together?)`);
  }
}

/** The values of the "end" line, when the file's last line is one (close() writes it; a file cut short has none). */
async function readEnd(path: string): Promise<Partial<CaptureInfo>> {
  const handle = await fs.open(path, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, TAIL_BYTES);
    const tail = Buffer.alloc(length);
    await handle.read(tail, 0, length, size - length);
    const lines = tail
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    const last = lines[lines.length - 1];
    if (last === undefined || !last.startsWith('{"type":"end"')) return {};
    const parsed = parseLine(last, `${path}, its last line`);
    return parsed.type === 'end' ? parsed.end : {};
  } finally {
    await handle.close();
  }
}

/** Opens a JSON Lines export (jsonlWriter.ts); its first line must be the capture info. */
export async function readJsonlCapture(path: string): Promise<JsonlCapture> {
  // Checked first so that a large file of something else is refused without reading its first "line".
  const head = Buffer.alloc(1);
  const handle = await fs.open(path, 'r');
  try {
    const { bytesRead } = await handle.read(head, 0, 1, 0);
    if (bytesRead === 0) throw new Error(`${path} is empty, not a Relayscope JSON Lines capture`);
    if (head[0] !== 0x7b) throw new Error(`${path} is not a Relayscope JSON Lines capture: it does not start with "{"`);
  } finally {
    await handle.close();
  }
  let info: CaptureInfo | null = null;
  for await (const { text, number } of readLines(path)) {
    const parsed = number === 1 ? parseLine(text, `${path} line 1`) : null;
    if (parsed?.type !== 'capture') throw new Error(`${path} is not a Relayscope JSON Lines capture: its first line is not the {"type":"capture",...} line`);
    info = parsed.info;
    break;
  }
  if (info === null) throw new Error(`${path} is empty, not a Relayscope JSON Lines capture`);
  return { info: { ...info, ...(await readEnd(path)) }, records: { [Symbol.asyncIterator]: () => jsonlRecords(path) } };
}
