import * as fs from 'node:fs/promises';
import { McapIndexedReader, McapStreamReader, type TypedMcapRecord, type TypedMcapRecords } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import type { CaptureInfo, CaptureRecord } from './captureRecord';
import { decodeBatchData, decodeEventData, EVENT_ENCODING, EVENTS_TOPIC, MAX_BATCH_SPAN_MICROS, MESSAGE_ENCODING, MESSAGES_TOPIC, metadataToInfo, METADATA_NAME, microsToNanos } from './mcapLayout';

/** Microseconds since the epoch, both ends included; either may be left open. */
export interface CaptureTimeRange {
  start?: number;
  end?: number;
}

export interface McapCapture {
  info: CaptureInfo;
  /** Messages and events in time order (ties in file order). Each iteration reads the file anew. */
  records: AsyncIterable<CaptureRecord>;
  /** false when the file has no usable index (cut short by a crash): it was read from the start. */
  indexed: boolean;
}

const STREAM_READ_BYTES = 1024 * 1024;

const EMPTY_INFO: CaptureInfo = { hub: '', sockets: [], host: '', startTime: 0, relayscopeVersion: '', missed: 0, countersAtStart: null, countersAtEnd: null };

/**
 * Opens an MCAP capture. A complete file is read through its index (McapIndexedReader), so a time
 * range reads only the chunks that overlap it; a file without a summary (the writer never reached
 * close()) is read with McapStreamReader from the start, up to its last complete record.
 */
export async function readMcapCapture(path: string, range: CaptureTimeRange = {}): Promise<McapCapture> {
  const handle = await fs.open(path, 'r');
  let reader: McapIndexedReader;
  try {
    reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle) });
  } catch {
    await handle.close();
    return openStreaming(path, range);
  }
  try {
    let info: CaptureInfo | null = null;
    for await (const metadata of reader.readMetadata({ name: METADATA_NAME })) info = metadataToInfo(metadata.metadata);
    const channels = channelKinds(reader.channelsById.values());
    await handle.close();
    return { info: info ?? { ...EMPTY_INFO }, indexed: true, records: { [Symbol.asyncIterator]: () => indexedRecords(path, channels, range) } };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

type ChannelKind = 'message' | 'event';

/** Which channel IDs carry what; channels of other topics or encodings are not ours and are skipped. */
function channelKinds(channels: Iterable<TypedMcapRecords['Channel']>): Map<number, ChannelKind> {
  const kinds = new Map<number, ChannelKind>();
  for (const channel of channels) {
    if (channel.topic === MESSAGES_TOPIC && channel.messageEncoding === MESSAGE_ENCODING) kinds.set(channel.id, 'message');
    else if (channel.topic === EVENTS_TOPIC && channel.messageEncoding === EVENT_ENCODING) kinds.set(channel.id, 'event');
  }
  return kinds;
}

/** One MCAP message is a batch of relayed messages, or one event. */
function decode(kind: ChannelKind, message: TypedMcapRecords['Message']): CaptureRecord[] {
  return kind === 'message' ? decodeBatchData(message.data, message.logTime) : [decodeEventData(message.data, message.logTime)];
}

function inRange(record: CaptureRecord, range: CaptureTimeRange): boolean {
  return (range.start === undefined || record.time >= range.start) && (range.end === undefined || record.time <= range.end);
}

async function* indexedRecords(path: string, channels: Map<number, ChannelKind>, range: CaptureTimeRange): AsyncGenerator<CaptureRecord> {
  const handle = await fs.open(path, 'r');
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle) });
    // A batch's log time is its first message's: one that starts up to MAX_BATCH_SPAN_MICROS before
    // the range may hold messages in it, so the index is asked from that much earlier.
    const startTime = range.start === undefined ? undefined : microsToNanos(Math.max(0, range.start - MAX_BATCH_SPAN_MICROS));
    // The hub's clock has microseconds; the end is inclusive of its whole microsecond.
    const endTime = range.end === undefined ? undefined : microsToNanos(range.end) + 999n;
    for await (const message of reader.readMessages({ topics: [MESSAGES_TOPIC, EVENTS_TOPIC], startTime, endTime })) {
      const kind = channels.get(message.channelId);
      if (kind === undefined) continue;
      for (const record of decode(kind, message)) if (inRange(record, range)) yield record;
    }
  } finally {
    await handle.close();
  }
}

/** Every record of the file in file order, read in 1 MiB pieces; stops at the last complete record. */
async function* streamRecords(path: string): AsyncGenerator<TypedMcapRecord> {
  const handle = await fs.open(path, 'r');
  try {
    const reader = new McapStreamReader();
    const buffer = Buffer.allocUnsafe(STREAM_READ_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, STREAM_READ_BYTES, null);
      if (bytesRead === 0) return;
      reader.append(buffer.subarray(0, bytesRead));
      for (let record = reader.nextRecord(); record; record = reader.nextRecord()) yield record;
      if (reader.done()) return;
    }
  } finally {
    await handle.close();
  }
}

async function openStreaming(path: string, range: CaptureTimeRange): Promise<McapCapture> {
  // The first metadata record follows the header and channels, so this reads only the file's start.
  let info: CaptureInfo | null = null;
  for await (const record of streamRecords(path)) {
    if (record.type === 'Metadata' && record.name === METADATA_NAME) {
      info = metadataToInfo(record.metadata);
      break;
    }
    if (record.type === 'Message') break;
  }
  if (info === null) throw new Error(`${path} is not a Relayscope capture: it has no "${METADATA_NAME}" metadata before its first message`);
  return { info, indexed: false, records: { [Symbol.asyncIterator]: () => streamedCaptureRecords(path, range) } };
}

async function* streamedCaptureRecords(path: string, range: CaptureTimeRange): AsyncGenerator<CaptureRecord> {
  const channels = new Map<number, ChannelKind>();
  for await (const record of streamRecords(path)) {
    if (record.type === 'Channel') {
      for (const [id, kind] of channelKinds([record])) channels.set(id, kind);
    } else if (record.type === 'Message') {
      const kind = channels.get(record.channelId);
      if (kind === undefined) continue;
      for (const captured of decode(kind, record)) if (inRange(captured, range)) yield captured;
    }
  }
}
