import { parentPort, workerData } from 'node:worker_threads';
import type { CaptureInfo } from './captureRecord';
import { McapCaptureWriter } from './McapCaptureWriter';
import { LayoutFlag, MESSAGE_FIXED_BYTES } from './mcapLayout';
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

const FRAME_PREFIX_BYTES = 5;
/** MESSAGE body: kind, flags, u32 correlation, u8 peerLen. */
const MESSAGE_BODY_FIXED = 7;

let messages = 0;
let payloadBytes = 0;

/** Writes every record of buffer [0, used) to `writer`. */
function decodeRecords(writer: McapCaptureWriter, buffer: Buffer, used: number): void {
  let p = 0;
  while (p < used) {
    const end = p + 4 + buffer.readUInt32LE(p);
    const type = buffer[p + 4];
    const micros = buffer.readUInt32LE(p + 5) * 2 ** 32 + buffer.readUInt32LE(p + 9);
    const body = p + RECORD_HEADER_BYTES;
    if (type === RecordType.MESSAGE) {
      const data = buffer.subarray(body, end);
      messages++;
      payloadBytes += data.length - MESSAGE_FIXED_BYTES - data[6] - data[7];
      // A copy: the buffer goes back to the hub thread while the MCAP chunk is still being built.
      writer.writeMessageData(micros, Uint8Array.prototype.slice.call(data));
    } else if (type === RecordType.EVENT) {
      writer.writeEventData(micros, Uint8Array.prototype.slice.call(buffer.subarray(body, end)));
    } else if (type === RecordType.RUN) {
      decodeRun(writer, buffer, body, end, micros);
    } else {
      throw new Error(`recording buffer: unknown record type ${type} at ${p}`);
    }
    p = end;
  }
}

/** A run: source, count, then MESSAGE frames as the source sent them (peer = destination). */
function decodeRun(writer: McapCaptureWriter, buffer: Buffer, start: number, end: number, micros: number): void {
  const sourceLength = buffer[start];
  const source = buffer.subarray(start + 1, start + 1 + sourceLength);
  let p = start + 1 + sourceLength + 4;
  while (p < end) {
    const frameEnd = p + 4 + buffer.readUInt32BE(p);
    const body = p + FRAME_PREFIX_BYTES;
    const peerLength = buffer[body + 6];
    const payloadStart = body + MESSAGE_BODY_FIXED + peerLength;
    const payloadLength = frameEnd - payloadStart;
    const data = Buffer.allocUnsafe(MESSAGE_FIXED_BYTES + sourceLength + peerLength + payloadLength);
    data[0] = buffer[body];
    // An empty peer is a broadcast's (the router refuses any other message without a destination).
    data[1] = peerLength === 0 ? LayoutFlag.BROADCAST : 0;
    data.writeUInt32LE(buffer.readUInt32BE(body + 2), 2);
    data[6] = sourceLength;
    data[7] = peerLength;
    source.copy(data, MESSAGE_FIXED_BYTES);
    buffer.copy(data, MESSAGE_FIXED_BYTES + sourceLength, body + MESSAGE_BODY_FIXED, frameEnd);
    writer.writeMessageData(micros, data);
    messages++;
    payloadBytes += payloadLength;
    p = frameEnd;
  }
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
