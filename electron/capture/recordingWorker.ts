import { parentPort, workerData } from 'node:worker_threads';
import type { CaptureInfo } from './captureRecord';
import { McapCaptureWriter } from './McapCaptureWriter';
import { ENTRY_FIXED_BYTES, ENTRY_OFFSET_BYTES, ENTRY_TAPPED, MAX_BATCH_SPAN_MICROS } from './mcapLayout';
import { RECORD_HEADER_BYTES, RecordType } from './RecordingBuffer';

/**
 * The worker thread of an in-process recording (InProcessRecording.ts): it takes the hub thread's
 * buffers of compact records (RecordingBuffer.ts), turns them into MCAP messages and writes them.
 * A buffer goes back to the hub thread only once its records are in the MCAP writer, so a slow disk
 * shows up on the hub thread as no free buffer, where drops are counted, and never as memory here.
 */

export type ToWorker = { type: 'buffer'; buffer: ArrayBuffer; used: number } | { type: 'close'; end: Partial<CaptureInfo> };
export type FromWorker =
  | { type: 'opened' }
  | { type: 'returned'; buffer: ArrayBuffer; messages: number; payloadBytes: number }
  | { type: 'closed'; messages: number; payloadBytes: number }
  /** messages: how many the file holds (McapCaptureWriter.messagesInFile), once it was open. */
  | { type: 'failed'; message: string; messages?: number };

let messages = 0;
let payloadBytes = 0;

/** Byte limit of one MCAP message built here: a batch of the hub's runs. */
const MAX_BATCH_BYTES = 256 * 1024;

/**
 * Writes every record of buffer [0, used) to `writer`: consecutive runs (within
 * MAX_BATCH_SPAN_MICROS and MAX_BATCH_BYTES) as one MCAP message of relayscope.runs.v1, so the
 * MCAP writer's cost is per batch, not per message; an event ends the batch before it.
 */
function decodeRecords(writer: McapCaptureWriter, buffer: Buffer, used: number): void {
  const runs: { start: number; end: number; micros: number }[] = [];
  let batchMicros = 0;
  let batchBytes = 0;
  let batchCount = 0;
  const flush = (): void => {
    if (runs.length === 0) return;
    const data = Buffer.allocUnsafe(batchBytes);
    let q = 0;
    for (const run of runs) {
      // The buffer's run after its count is the batch's run after its header: u8 srcLen, src, frames.
      data.writeUInt32LE(run.end - run.start + 4, q);
      data.writeUInt32LE(run.micros - batchMicros, q + 4);
      buffer.copy(data, q + 8, run.start, run.end);
      q += 8 + run.end - run.start;
    }
    writer.writeBatchData(batchMicros, data, batchCount);
    runs.length = 0;
    batchBytes = 0;
    batchCount = 0;
  };
  let p = 0;
  while (p < used) {
    const end = p + 4 + buffer.readUInt32LE(p);
    const type = buffer[p + 4];
    const micros = buffer.readUInt32LE(p + 5) * 2 ** 32 + buffer.readUInt32LE(p + 9);
    const body = p + RECORD_HEADER_BYTES;
    if (type === RecordType.RUN || type === RecordType.MESSAGE) {
      const count = buffer.readUInt32LE(body);
      const start = body + 4;
      if (runs.length > 0 && (micros < batchMicros || micros - batchMicros > MAX_BATCH_SPAN_MICROS || batchBytes >= MAX_BATCH_BYTES)) flush();
      if (runs.length === 0) batchMicros = micros;
      runs.push({ start, end, micros });
      batchBytes += 8 + end - start;
      batchCount += count;
      messages += count;
      payloadBytes += runPayloadBytes(buffer, start, end);
    } else if (type === RecordType.EVENT) {
      flush();
      writer.writeEventData(micros, buffer.subarray(body, end));
    } else {
      throw new Error(`recording buffer: unknown record type ${type} at ${p}`);
    }
    p = end;
  }
  flush();
}

/** The payload bytes of a run (u8 srcLen, src, entries), for the status: its entries' lengths less their headers (and a tapped entry's offset). */
function runPayloadBytes(buffer: Buffer, start: number, end: number): number {
  let bytes = 0;
  for (let p = start + 1 + buffer[start]; p < end; ) {
    const length = buffer.readUInt32BE(p);
    bytes += length - (ENTRY_FIXED_BYTES - 4) - buffer[p + 11] - (buffer[p + 6] & ENTRY_TAPPED ? ENTRY_OFFSET_BYTES : 0);
    p += 4 + length;
  }
  return bytes;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('recordingWorker.js runs as a worker thread');
  const { path, info } = workerData as { path: string; info: CaptureInfo };
  const send = (message: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
  let writer: McapCaptureWriter;
  try {
    writer = await McapCaptureWriter.create(path, info);
  } catch (error) {
    send({ type: 'failed', message: `cannot write ${path}: ${(error as Error).message}` });
    return;
  }
  send({ type: 'opened' });
  // Messages are handled one at a time, in order: a close waits for every buffer before it.
  let queue = Promise.resolve();
  port.on('message', (message: ToWorker) => {
    queue = queue.then(async () => {
      try {
        if (message.type === 'buffer') {
          decodeRecords(writer, Buffer.from(message.buffer), message.used);
          await writer.flushed();
          if (writer.error !== null) throw writer.error;
          send({ type: 'returned', buffer: message.buffer, messages, payloadBytes }, [message.buffer]);
        } else {
          await writer.close(message.end);
          send({ type: 'closed', messages, payloadBytes });
          port.close();
        }
      } catch (error) {
        send({ type: 'failed', message: `writing ${path} failed: ${(error as Error).message}`, messages: writer.messagesInFile });
        port.close();
      }
    });
  });
}

void main();
