import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { McapIndexedReader, McapStreamReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient, type ReceivedMessage } from '../../electron/client';
import type { CaptureRecord, CapturedMessage } from '../../electron/capture/captureRecord';
import { readMcapCapture } from '../../electron/capture/readMcapCapture';
import { RecordingBuffer } from '../../electron/capture/RecordingBuffer';
import { encodeMessage, formatSocketAddress, MessageKind } from '../../electron/hub';
import { Cleanup } from '../support/cleanup';
import { ensureFreshBuild } from '../support/freshBuild';
import { startHub } from '../support/hubFixture';
import { waitUntil } from '../support/waitUntil';

async function collect(iterable: AsyncIterable<CaptureRecord>): Promise<CaptureRecord[]> {
  const out: CaptureRecord[] = [];
  for await (const record of iterable) out.push(record);
  return out;
}

/** MCAP messages of the file, through @mcap/core's indexed and streaming readers. */
async function mcapMessageCounts(file: string): Promise<{ indexed: number; streamed: number; done: boolean }> {
  const handle = await fs.promises.open(file, 'r');
  let indexed = 0;
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle) });
    for await (const message of reader.readMessages()) if (message.data.length > 0) indexed++;
  } finally {
    await handle.close();
  }
  const stream = new McapStreamReader();
  stream.append(fs.readFileSync(file));
  let streamed = 0;
  for (let record; (record = stream.nextRecord()); ) if (record.type === 'Message') streamed++;
  return { indexed, streamed, done: stream.done() };
}

function randomPayload(seed: number): Buffer {
  const bytes = Buffer.alloc((seed * 7919) % 3000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (seed * 31 + i * 17) & 0xff;
  return bytes;
}

describe("recording in the hub's process", () => {
  const cleanup = new Cleanup();
  beforeAll(() => ensureFreshBuild(), 180_000);
  afterEach(() => cleanup.run());

  it('writes every relayed and injected message with its payload, and the events, in order; both @mcap/core readers open it', async () => {
    const { hub, address, dir } = await startHub(cleanup);
    const socket = formatSocketAddress(address);
    const file = path.join(dir, 'rec.mcap');
    const b = await RelayClient.connect({ id: 'B', socket, reconnect: false });
    cleanup.add(() => b.close());
    const received: ReceivedMessage[] = [];
    b.on('message', (message) => received.push(message));
    b.on('request', (request) => b.reply(request, Buffer.concat([Buffer.from('re:'), request.payload])));

    const recording = await hub.startRecording(file, { sockets: [socket] });
    const a = await RelayClient.connect({ id: 'A', socket, reconnect: false });
    const sent: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      sent.push(randomPayload(i));
      a.send('B', sent[i]);
    }
    const reply = await a.request('B', Buffer.from([0, 1, 2]));
    a.broadcast(Buffer.from('to all'));
    // An in-process inject is relayed at once; the broadcast only once the hub has read it.
    await waitUntil(() => received.length === 302, 'B to get the broadcast');
    hub.inject({ source: 'ghost', destination: 'B', payload: Buffer.from([0xff, 0xfe]) });
    await waitUntil(() => received.length === 303, 'B to get every message');
    await a.close();
    await waitUntil(() => hub.moduleIds().length === 1, 'A to leave');
    const status = await recording.stop();

    expect(status.missed).toBe(0);
    expect(status.written).toBe(304);
    const capture = await readMcapCapture(file);
    expect(capture.indexed).toBe(true);
    expect(capture.info.sockets).toEqual([socket]);
    expect(capture.info.countersAtEnd?.messages).toBe((capture.info.countersAtStart?.messages ?? 0) + 304);
    const records = await collect(capture.records);
    const messages = records.filter((r): r is CapturedMessage => r.type === 'message');
    expect(messages.map((m) => [m.source, m.destination, m.kind, m.injected])).toEqual([
      ...sent.map(() => ['A', 'B', 'unicast', false]),
      ['A', 'B', 'request', false],
      ['B', 'A', 'reply', false],
      ['A', null, 'broadcast', false],
      ['ghost', 'B', 'unicast', true],
    ]);
    expect(messages.slice(0, 300).map((m) => Buffer.from(m.payload))).toEqual(sent);
    expect(Buffer.from(messages[301].payload)).toEqual(reply.payload);
    expect(messages[300].correlationId).toBe(messages[301].correlationId);
    const events = records.filter((r) => r.type === 'event').map((r) => (r.type === 'event' ? [r.event, r.id] : []));
    expect(events).toEqual([
      ['join', 'A'],
      ['leave', 'A'],
    ]);
    const counts = await mcapMessageCounts(file);
    expect(counts.done).toBe(true);
    expect(counts.indexed).toBe(counts.streamed);
    expect(counts.indexed).toBeGreaterThanOrEqual(3);
  });

  it('refuses a second recording while one runs, and completes the file when the hub closes', async () => {
    const { hub, dir, register } = await startHub(cleanup);
    const first = path.join(dir, 'first.mcap');
    await hub.startRecording(first);
    await expect(hub.startRecording(path.join(dir, 'second.mcap'))).rejects.toThrow(/already recording/);
    const a = await register('A');
    await register('B');
    a.send(encodeMessage(MessageKind.UNICAST, 'B', Buffer.from('x')));
    await waitUntil(() => hub.snapshot().totals.messages === 1, 'the message to be relayed');
    await hub.close('test over', 200);
    const records = await collect((await readMcapCapture(first)).records);
    expect(records.filter((r) => r.type === 'message')).toHaveLength(1);
    expect((await readMcapCapture(first)).indexed).toBe(true);
  });

  it('reports a file it cannot create', async () => {
    const { hub, dir } = await startHub(cleanup);
    await expect(hub.startRecording(path.join(dir, 'no', 'such', 'dir.mcap'))).rejects.toThrow(/ENOENT/);
    // The failed start left nothing behind: a new recording can start.
    const recording = await hub.startRecording(path.join(dir, 'ok.mcap'));
    await recording.stop();
  });
});

/** A 3 MiB tmpfs to fill (three of the writer's 1 MiB chunks), or null where this machine may not mount one (not root, or a container that forbids it). */
function smallDisk(): string | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    fs.rmdirSync(dir);
    return null;
  }
}

const fullDisk = smallDisk();

describe.skipIf(fullDisk === null)(`a recording whose disk fills up${fullDisk === null ? ' — skipped: cannot mount a tmpfs here' : ''}`, () => {
  const cleanup = new Cleanup();
  beforeAll(() => ensureFreshBuild(), 180_000);
  afterEach(() => cleanup.run());
  afterAll(() => {
    if (fullDisk === null) return;
    execFileSync('umount', [fullDisk]);
    fs.rmdirSync(fullDisk);
  });

  it('says so at once, costs the modules nothing, counts every message after as missed, and leaves a readable file', async () => {
    const disk = fullDisk as string;
    const { hub, address } = await startHub(cleanup);
    const socket = formatSocketAddress(address);
    const file = path.join(disk, 'full.mcap');
    const b = await RelayClient.connect({ id: 'B', socket, reconnect: false });
    const a = await RelayClient.connect({ id: 'A', socket, reconnect: false });
    cleanup.add(() => a.close());
    cleanup.add(() => b.close());
    let received = 0;
    b.on('message', () => received++);
    const recording = await hub.startRecording(file, { bufferBytes: 256 * 1024, maxBuffers: 4, flushMs: 20 });
    const failures: string[] = [];
    recording.onFailed((reason) => failures.push(reason));

    // 8 MiB of payload for a 3 MiB disk, sent in steps so the worker writes (and fails) meanwhile.
    const sent = 8000;
    for (let i = 0; i < sent; i++) {
      a.send('B', Buffer.alloc(1024, i & 0xff));
      if (i % 100 === 99) await a.list();
    }
    await waitUntil(() => received === sent, `B to receive all ${sent} (has ${received})`);
    await waitUntil(() => failures.length > 0, 'the recording to report the full disk');
    expect(failures).toEqual([expect.stringMatching(/ENOSPC/)]);
    expect(hub.snapshot().totals.drops).toBe(0);

    const status = await recording.stop();
    expect(status.error).toMatch(/ENOSPC/);
    expect(status.written).toBeGreaterThan(0);
    expect(status.missed).toBeGreaterThan(0);
    // Every message was written before the failure or is counted as missed; none is unaccounted for.
    expect(status.written + status.missed).toBe(sent);
    const messages = (await collect((await readMcapCapture(file)).records)).filter((r): r is CapturedMessage => r.type === 'message');
    // The file holds exactly what the status says was written: the chunks that reached the disk.
    expect(messages.length).toBe(status.written);
    expect(Buffer.from(messages[0].payload)).toEqual(Buffer.alloc(1024, 0));
  });
});

describe('the recording buffer', () => {
  it('counts what it has no buffer for as missed, and marks the gap with a monitor-dropped event once a buffer is back', () => {
    const handed: { buffer: Buffer; used: number }[] = [];
    const recorder = new RecordingBuffer({ bufferBytes: 1024, maxBuffers: 2, handOff: (buffer, used) => handed.push({ buffer, used }) });
    const frame = encodeMessage(MessageKind.UNICAST, 'B', Buffer.alloc(200, 1));
    const run = Buffer.concat([frame, frame]);
    const time = { hi: 0, lo: 1 };
    for (let i = 0; i < 6; i++) recorder.run(Buffer.from('A'), time, 2, run, 0, run.length);
    // Two buffers of 1024 bytes (both handed over, none back yet) hold two runs of 445 bytes each.
    expect(recorder.messages).toBe(8);
    expect(recorder.missed).toBe(4);
    expect(handed).toHaveLength(2);
    recorder.giveBack(handed[0].buffer);
    recorder.flush();
    recorder.run(Buffer.from('A'), time, 2, run, 0, run.length);
    recorder.flush();
    expect(recorder.messages).toBe(10);
    const last = handed[handed.length - 1];
    const text = last.buffer.subarray(0, last.used).toString('latin1');
    expect(text).toContain('"event":"monitor-dropped","id":"recorder","code":0,"detail":"4"');
  });
});
