import { parentPort, workerData } from 'node:worker_threads';
import type { CaptureInfo } from './captureRecord';
import { McapCaptureWriter } from './McapCaptureWriter';
import { ENTRY_FIXED_BYTES } from './mcapLayout';
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
  | { type: 'failed'; message: string };

let messages = 0;
let payloadBytes = 0;

/** Writes every record of buffer [0, used) to `writer`; runs and injected messages are already MCAP message data. */
function decodeRecords(writer: McapCaptureWriter, buffer: Buffer, used: number): void {
  let p = 0;
  while (p < used) {
    const end = p + 4 + buffer.readUInt32LE(p);
    const type = buffer[p + 4];
    const micros = buffer.readUInt32LE(p + 5) * 2 ** 32 + buffer.readUInt32LE(p + 9);
    const body = p + RECORD_HEADER_BYTES;
    if (type === RecordType.RUN || type === RecordType.MESSAGE) {
      const count = buffer.readUInt32LE(body);
      const data = buffer.subarray(body + 4, end);
      messages += count;
      payloadBytes += runPayloadBytes(data);
      // No copy: the MCAP writer copies it into its chunk, and the buffer goes back only after that (flushed()).
      writer.writeRunData(micros, data, count);
    } else if (type === RecordType.EVENT) {
      writer.writeEventData(micros, buffer.subarray(body, end));
    } else {
      throw new Error(`recording buffer: unknown record type ${type} at ${p}`);
    }
    p = end;
  }
}

/** The payload bytes of a relayscope.run.v1 message, for the status: its entries' lengths less their headers. */
function runPayloadBytes(data: Buffer): number {
  let bytes = 0;
  for (let p = 1 + data[0]; p < data.length; ) {
    const length = data.readUInt32BE(p);
    bytes += length - (ENTRY_FIXED_BYTES - 4) - data[p + 11];
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
        send({ type: 'failed', message: `writing ${path} failed: ${(error as Error).message}` });
        port.close();
      }
    });
  });
}

void main();
