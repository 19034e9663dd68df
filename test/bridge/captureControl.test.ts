import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttachedHubBackend } from '../../electron/bridge/AttachedHubBackend';
import { BridgeService } from '../../electron/bridge/BridgeService';
import { captureDirectory } from '../../electron/bridge/captureDirectory';
import type { WireCaptureFile, WireRecordingStatus } from '../../electron/bridge/contract';
import { LocalHubBackend } from '../../electron/bridge/LocalHubBackend';
import { readJsonlCapture } from '../../electron/capture/jsonlReader';
import { readMcapCapture } from '../../electron/capture/readMcapCapture';
import { RelayClient } from '../../electron/client';
import { Cleanup } from '../support/cleanup';
import { makeTempDir, removeTempDir } from '../support/tempDir';

let cleanup: Cleanup;
let dir: string;
let socket: string;
let captures: string;

beforeEach(() => {
  cleanup = new Cleanup();
  dir = makeTempDir();
  cleanup.add(() => removeTempDir(dir));
  socket = path.join(dir, 'hub.sock');
  captures = path.join(dir, 'captures');
  fs.mkdirSync(captures, { mode: 0o700 });
});

afterEach(() => cleanup.run());

async function module(id: string): Promise<RelayClient> {
  const client = await RelayClient.connect({ id, socket, reconnect: false });
  cleanup.add(() => client.close());
  return client;
}

async function call<T>(bridge: BridgeService, channel: string, args: unknown = null): Promise<T> {
  const result = await bridge.call(channel, args);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

async function messagesOf(file: string): Promise<string[]> {
  const texts: string[] = [];
  for await (const record of (await readMcapCapture(file)).records) if (record.type === 'message') texts.push(`${record.source}>${record.destination}:${Buffer.from(record.payload).toString()}`);
  return texts;
}

/** Sends from A to B and waits until B has them all, so the hub relayed them before the recording stops. */
async function exchange(count: number): Promise<void> {
  const a = await module('A');
  const b = await module('B');
  const received = new Promise<void>((resolve) => {
    let n = 0;
    b.on('message', () => {
      if (++n === count) resolve();
    });
  });
  for (let i = 0; i < count; i++) a.send('B', `m${i}`);
  await received;
}

describe('recording from the UI', () => {
  it('records in the hub process: the status counts the messages, the stopped file holds them, and it is offered by ID', async () => {
    const backend = await LocalHubBackend.start([{ kind: 'path', path: socket }]);
    cleanup.add(() => backend.close());
    const bridge = new BridgeService(backend, () => captures);

    const started = await call<WireRecordingStatus>(bridge, 'hub:recordStart');
    expect(started).toMatchObject({ running: true, missedPossible: false, captureId: null });
    expect(path.dirname(started.path)).toBe(captures);
    expect((await bridge.call('hub:recordStart', null)).ok).toBe(false);

    await exchange(20);
    const stopped = await call<WireRecordingStatus>(bridge, 'hub:recordStop');
    expect(stopped).toMatchObject({ running: false, messages: 20, missed: 0 });
    expect(stopped.captureId).toMatch(/^[0-9a-f]{32}$/);
    expect(bridge.captures.offeredFile(stopped.captureId as string)?.path).toBe(stopped.path);
    expect(await messagesOf(stopped.path)).toEqual(Array.from({ length: 20 }, (_, i) => `A>B:m${i}`));
    expect(await call(bridge, 'hub:recordStatus')).toEqual(stopped);
  });

  it('exports the last recording through a filter to JSON Lines, and names a bad filter', async () => {
    const backend = await LocalHubBackend.start([{ kind: 'path', path: socket }]);
    cleanup.add(() => backend.close());
    const bridge = new BridgeService(backend, () => captures);
    const early = await bridge.call('hub:export', { source: 'recording', format: 'jsonl', filter: '' });
    expect(early).toMatchObject({ ok: false, error: { code: 'NOTHING_TO_EXPORT' } });

    await call(bridge, 'hub:recordStart');
    await exchange(5);
    const c = await module('C');
    const b = await RelayClient.connect({ id: 'B2', socket, reconnect: false });
    cleanup.add(() => b.close());
    const got = new Promise<void>((resolve) => b.once('message', () => resolve()));
    c.send('B2', 'from C');
    await got;
    await call(bridge, 'hub:recordStop');

    const exported = await call<WireCaptureFile>(bridge, 'hub:export', { source: 'recording', format: 'jsonl', filter: 'src:C' });
    expect(exported.name).toMatch(/-filtered-.*\.jsonl$/);
    // C's message and the events about C (its join; its leave comes after the stop).
    const records = [];
    for await (const record of (await readJsonlCapture(exported.path)).records) records.push(record);
    expect(records.filter((record) => record.type === 'message').map((record) => record.type === 'message' && Buffer.from(record.payload).toString())).toEqual(['from C']);
    expect(exported.records).toBe(records.length);

    // One export at a time: each writes a whole copy to disk.
    const [first, second] = await Promise.all([
      bridge.call('hub:export', { source: 'recording', format: 'mcap', filter: '' }),
      bridge.call('hub:export', { source: 'recording', format: 'mcap', filter: '' }),
    ]);
    expect(first.ok).toBe(true);
    expect(second).toMatchObject({ ok: false, error: { code: 'EXPORT_RUNNING' } });

    const bad = await bridge.call('hub:export', { source: 'recording', format: 'pcapng', filter: 'kind:nonsense' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_FILTER' } });
  });

  it('records from the monitor connection when attached, and says that copies can be missed there', async () => {
    const hub = await LocalHubBackend.start([{ kind: 'path', path: socket }]);
    cleanup.add(() => hub.close());
    const attached = await AttachedHubBackend.attach({ socket });
    cleanup.add(() => attached.close());
    const bridge = new BridgeService(attached, () => captures);

    expect(await call<WireRecordingStatus>(bridge, 'hub:recordStart')).toMatchObject({ running: true, missedPossible: true });
    await exchange(30);
    // The TRAFFIC copies reach the monitor after B has its messages; wait for the recorder's count.
    for (let i = 0; i < 100 && (await call<WireRecordingStatus>(bridge, 'hub:recordStatus')).messages < 30; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const stopped = await call<WireRecordingStatus>(bridge, 'hub:recordStop');
    expect(stopped).toMatchObject({ messages: 30, missed: 0, missedPossible: true });
    expect(await messagesOf(stopped.path)).toEqual(Array.from({ length: 30 }, (_, i) => `A>B:m${i}`));
    const capture = await readMcapCapture(stopped.path);
    expect(capture.info.countersAtEnd?.messages).toBeGreaterThanOrEqual(30);
  });
});

describe('the capture folder', () => {
  it('is made 0700 and refused when others may enter it', () => {
    const runtime = path.join(dir, 'run');
    fs.mkdirSync(runtime, { mode: 0o700 });
    const made = captureDirectory({ XDG_RUNTIME_DIR: runtime });
    expect(made).toBe(path.join(runtime, 'relayscope', 'captures'));
    expect(fs.statSync(made).mode & 0o777).toBe(0o700);
    fs.chmodSync(made, 0o755);
    expect(() => captureDirectory({ XDG_RUNTIME_DIR: runtime })).toThrow(/open to other users \(mode 755\)/);
  });
});
