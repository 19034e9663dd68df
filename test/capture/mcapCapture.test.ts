import * as fs from 'node:fs';
import * as path from 'node:path';
import { McapIndexedReader, McapStreamReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaptureInfo, CaptureRecord, CapturedMessage } from '../../electron/capture/captureRecord';
import { McapCaptureWriter } from '../../electron/capture/McapCaptureWriter';
import { decodeBatchData, decodeEventData, EVENTS_TOPIC, MESSAGES_TOPIC } from '../../electron/capture/mcapLayout';
import { readMcapCapture } from '../../electron/capture/readMcapCapture';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const INFO: CaptureInfo = {
  hub: 'host:/tmp/hub.sock',
  sockets: ['/tmp/hub.sock'],
  host: 'host',
  startTime: 1_764_000_000_000_000,
  relayscopeVersion: '0.1.0',
  missed: 0,
  countersAtStart: { time: 1_764_000_000_000_000, messages: 5, bytes: 50, errors: 0, drops: 0, modules: 2 },
  countersAtEnd: null,
};

const KINDS = ['unicast', 'broadcast', 'request', 'reply'] as const;

/** Messages of random binary payloads (a fixed-seed generator, so a failure repeats), one µs apart, with an event every 100. */
function records(count: number, seed = 1): CaptureRecord[] {
  let state = seed;
  const random = (): number => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const out: CaptureRecord[] = [];
  for (let i = 0; i < count; i++) {
    const time = INFO.startTime + i;
    if (i % 100 === 0) out.push({ type: 'event', time, event: i % 200 === 0 ? 'join' : 'leave', id: `mod-${i}`, code: i % 7, detail: `détail ${i}` });
    const kind = KINDS[i % 4];
    const payload = new Uint8Array(Math.floor(random() * 300));
    for (let b = 0; b < payload.length; b++) payload[b] = Math.floor(random() * 256);
    out.push({
      type: 'message',
      time,
      kind,
      source: `src-${i % 3}`,
      destination: kind === 'broadcast' ? null : `dst-é${i % 5}`,
      correlationId: (i * 2654435761) >>> 0,
      injected: i % 11 === 0,
      payload,
    });
  }
  return out;
}

async function collect(iterable: AsyncIterable<CaptureRecord>): Promise<CaptureRecord[]> {
  const out: CaptureRecord[] = [];
  for await (const record of iterable) out.push(record);
  return out;
}

async function writeFile(file: string, list: CaptureRecord[], end: Partial<CaptureInfo> = {}): Promise<void> {
  const writer = await McapCaptureWriter.create(file, INFO);
  for (const record of list) writer.write(record);
  await writer.close(end);
}

/** Every record of the file through @mcap/core's own streaming reader, decoded by the documented layout. */
function streamAll(file: string): { records: CaptureRecord[]; mcapMessages: number; done: boolean } {
  const reader = new McapStreamReader();
  reader.append(fs.readFileSync(file));
  const topics = new Map<number, string>();
  const records: CaptureRecord[] = [];
  let mcapMessages = 0;
  for (let record; (record = reader.nextRecord()); ) {
    if (record.type === 'Channel') topics.set(record.id, record.topic);
    if (record.type !== 'Message') continue;
    mcapMessages++;
    if (topics.get(record.channelId) === MESSAGES_TOPIC) records.push(...decodeBatchData(record.data, record.logTime));
    else if (topics.get(record.channelId) === EVENTS_TOPIC) records.push(decodeEventData(record.data, record.logTime));
  }
  return { records, mcapMessages, done: reader.done() };
}

describe('MCAP captures', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('rs-mcap-');
  });
  afterEach(() => removeTempDir(dir));

  it("reads back every message and event byte for byte, through the index and through @mcap/core's readers", async () => {
    const file = path.join(dir, 'a.mcap');
    const written = records(20000);
    const end = { missed: 3, countersAtEnd: { time: INFO.startTime + 20000, messages: 20005, bytes: 1, errors: 2, drops: 3, modules: 4 } };
    await writeFile(file, written, end);

    const capture = await readMcapCapture(file);
    expect(capture.indexed).toBe(true);
    expect(capture.info).toEqual({ ...INFO, ...end });
    expect(await collect(capture.records)).toEqual(written);

    const handle = await fs.promises.open(file, 'r');
    try {
      const indexed = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle) });
      expect(indexed.chunkIndexes.length).toBeGreaterThan(1);
      expect([...indexed.channelsById.values()].map((c) => [c.topic, c.messageEncoding, c.schemaId])).toEqual([
        [MESSAGES_TOPIC, 'relayscope.runs.v1', 0],
        [EVENTS_TOPIC, 'json', 0],
      ]);
      const streamed = streamAll(file);
      expect(streamed.done).toBe(true);
      expect(streamed.records).toEqual(written);
      // Batches: far fewer MCAP messages than records, and the statistics count them.
      expect(streamed.mcapMessages).toBeLessThan(written.length / 10);
      expect(indexed.statistics?.messageCount).toBe(BigInt(streamed.mcapMessages));
    } finally {
      await handle.close();
    }
  });

  it('reads a time range through the index, both ends included', async () => {
    const file = path.join(dir, 'range.mcap');
    const written = records(20000);
    await writeFile(file, written);
    const start = INFO.startTime + 12_345;
    const end = INFO.startTime + 12_400;
    const got = await collect((await readMcapCapture(file, { start, end })).records);
    expect(got).toEqual(written.filter((r) => r.time >= start && r.time <= end));
    expect(got[0].time).toBe(start);
    expect(got[got.length - 1].time).toBe(end);
  });

  it('opens a file cut short by a crash with the streaming reader, up to its last complete chunk', async () => {
    const file = path.join(dir, 'cut.mcap');
    const written = records(20000);
    await writeFile(file, written);
    const size = fs.statSync(file).size;
    fs.truncateSync(file, Math.floor(size * 0.6));

    const capture = await readMcapCapture(file);
    expect(capture.indexed).toBe(false);
    expect(capture.info.hub).toBe(INFO.hub);
    const got = await collect(capture.records);
    expect(got.length).toBeGreaterThan(written.length * 0.3);
    expect(got.length).toBeLessThan(written.length);
    expect(got).toEqual(written.slice(0, got.length));
    // The same for @mcap/core's own streaming reader: no error, not done, the same messages.
    const streamed = streamAll(file);
    expect(streamed.done).toBe(false);
    expect(streamed.records).toEqual(got);
  });

  it('refuses a file that is not an MCAP capture with a message that says so', async () => {
    const file = path.join(dir, 'not.mcap');
    fs.writeFileSync(file, 'hello, this is text');
    await expect(readMcapCapture(file)).rejects.toThrow(/magic|MCAP/i);
  });

  it('keeps payloads that are not UTF-8 and empty ones exactly', async () => {
    const file = path.join(dir, 'bytes.mcap');
    const payloads = [new Uint8Array(0), Uint8Array.from([0xff, 0xfe, 0, 0x80]), new Uint8Array(70_000).fill(7)];
    const written: CapturedMessage[] = payloads.map((payload, i) => ({
      type: 'message',
      time: INFO.startTime + i,
      kind: 'unicast',
      source: 'a',
      destination: 'b',
      correlationId: 0,
      injected: false,
      payload,
    }));
    await writeFile(file, written);
    expect(await collect((await readMcapCapture(file)).records)).toEqual(written);
  });
});
