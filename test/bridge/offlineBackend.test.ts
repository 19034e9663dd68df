import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BridgeService } from '../../electron/bridge/BridgeService';
import { LocalHubBackend } from '../../electron/bridge/LocalHubBackend';
import { OfflineBackend } from '../../electron/bridge/OfflineBackend';
import { createCaptureWriter } from '../../electron/capture/captureFiles';
import type { CaptureRecord } from '../../electron/capture/captureRecord';
import { RelayClient } from '../../electron/client';
import type { HubEvent } from '../../electron/hub/hubEvents';
import { Cleanup } from '../support/cleanup';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';

let cleanup: Cleanup;
let dir: string;
const START = 1_700_000_000_000_000;

beforeEach(() => {
  cleanup = new Cleanup();
  dir = makeTempDir();
  cleanup.add(() => removeTempDir(dir));
});

afterEach(() => cleanup.run());

/** 250 messages 1 ms apart, A and C to B by turns, with A's join first and its leave after message 100. */
async function writeFile(name: string): Promise<string> {
  const file = path.join(dir, name);
  const writer = await createCaptureWriter(file, { hub: 'h', sockets: [], host: 'x', startTime: START, relayscopeVersion: 't', missed: 2, countersAtStart: null, countersAtEnd: null });
  const records: CaptureRecord[] = [{ type: 'event', time: START, event: 'join', id: 'A', code: 0, detail: '' }];
  for (let i = 0; i < 250; i++) {
    records.push({
      type: 'message',
      time: START + 1000 * (i + 1),
      kind: 'unicast',
      source: i % 2 === 0 ? 'A' : 'C',
      destination: 'B',
      correlationId: 0,
      injected: false,
      payload: Buffer.from(`m${i}`),
    });
    if (i === 100) records.push({ type: 'event', time: START + 1000 * (i + 1) + 1, event: 'leave', id: 'A', code: 0, detail: 'bye' });
  }
  for (const record of records) writer.write(record);
  await writer.close();
  return file;
}

/** Collects pushed batches until `count` message events arrived (or `waitMs` passed). */
function messages(backend: OfflineBackend, count: number, waitMs = 2000): Promise<{ messages: Extract<HubEvent, { type: 'message' }>[]; stop: () => void }> {
  return new Promise((resolve) => {
    const got: Extract<HubEvent, { type: 'message' }>[] = [];
    const stop = backend.onEvents((batch) => {
      for (const event of batch) if (event.type === 'message') got.push(event);
      if (got.length >= count) resolve({ messages: got, stop });
    });
    setTimeout(() => resolve({ messages: got, stop }), waitMs).unref();
  });
}

describe.each(['capture.mcap', 'capture.jsonl', 'capture.pcapng'])('OfflineBackend on %s', (name) => {
  it('loads a window of at most windowMessages from the start, and the scan counts the whole file, its modules and the missed count', async () => {
    const backend = await OfflineBackend.open(await writeFile(name), { windowMessages: 100, batchEvents: 30, batchPauseMs: 1 });
    cleanup.add(() => backend.close());
    // Asks for one more than the window holds: none comes.
    const { messages: first, stop } = await messages(backend, 101, 500);
    stop();
    expect(first.map((m) => Buffer.from(m.preview).toString())).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    expect((await backend.payload(first[0].seq))?.toString()).toBe('m0');

    await backend.scanned();
    const offline = backend.describe().offline;
    expect(offline).toMatchObject({ messages: 250, events: 2, missed: 2, scanning: false, startTime: START, endTime: START + 250_000 });
    expect(offline?.modules.find((m) => m.id === 'A')).toMatchObject({ joinedAt: START, leftAt: START + 101_001, leaveReason: 'bye', messagesSent: 125 });
    expect(offline?.histogram.counts.reduce((a, b) => a + b, 0)).toBe(250);
  });

  it('seek loads the window around that moment instead, half of it before (from the scanned rate), so both ways can be scrolled to', async () => {
    const backend = await OfflineBackend.open(await writeFile(name), { windowMessages: 50, batchEvents: 1000, batchPauseMs: 1 });
    cleanup.add(() => backend.close());
    const { messages: first, stop } = await messages(backend, 50);
    stop();
    expect(first).toHaveLength(50);
    await backend.scanned();

    // m199 is the first message at START + 200 ms: 25 before it and 25 from it.
    const later = messages(backend, 50);
    backend.seek(START + 200_000);
    const { messages: second } = await later;
    expect(second.map((m) => Buffer.from(m.preview).toString())).toEqual(Array.from({ length: 50 }, (_, i) => `m${174 + i}`));
    expect(backend.describe().offline?.windowStart).toBe(START + 175_000);

    // Near the start there are fewer than 25 before: the window starts with the file.
    const early = messages(backend, 50);
    backend.seek(START + 10_000);
    expect((await early).messages.map((m) => Buffer.from(m.preview).toString())[0]).toBe('m0');
  });

  it("gives the view a tapped chunk's direction, offset and partial flag, and a join's peer identity", async () => {
    const file = path.join(dir, name);
    const writer = await createCaptureWriter(file, { hub: 'h', sockets: ['/s'], host: 'x', startTime: START, relayscopeVersion: 't', missed: 0, countersAtStart: null, countersAtEnd: null });
    const identity = { pid: 880, uid: 1000, gid: 1000, exe: '/usr/bin/python3', cmdline: ['python3', 'c.py'], tap: 'client' as const };
    const tap = { direction: 'to-client' as const, offset: 2 ** 40, partial: true };
    writer.write({ type: 'event', time: START, event: 'join', id: 'python3[880]', code: 0, detail: JSON.stringify(identity) });
    writer.write({ type: 'message', time: START + 1, kind: 'unicast', source: 'srv.sock', destination: 'python3[880]', correlationId: 0, injected: false, tap, payload: Buffer.from('hi') });
    writer.write({ type: 'message', time: START + 2, kind: 'unicast', source: 'A', destination: 'B', correlationId: 0, injected: false, payload: Buffer.from('plain') });
    await writer.close();
    const backend = await OfflineBackend.open(file);
    cleanup.add(() => backend.close());
    const events: HubEvent[] = [];
    const stop = backend.onEvents((batch) => events.push(...batch));
    await waitUntil(() => events.filter((e) => e.type === 'message').length === 2, 'both messages');
    stop();
    expect(events.find((e) => e.type === 'join')).toEqual({ type: 'join', time: START, id: 'python3[880]', role: 'module', transport: 'unix', listener: '/s', ...identity });
    const [tapped, plain] = events.filter((e) => e.type === 'message');
    expect(tapped).toMatchObject({ source: 'srv.sock', tap });
    expect(plain).not.toHaveProperty('tap');
  });
});

describe('replay of an opened recording through the bridge', () => {
  it('reports delivered and failed by reason', async () => {
    const file = await writeFile('capture.mcap');
    const socket = path.join(dir, 'live.sock');
    const live = await LocalHubBackend.start([{ kind: 'path', path: socket }]);
    cleanup.add(() => live.close());
    const b = await RelayClient.connect({ id: 'B', socket, reconnect: false });
    cleanup.add(() => b.close());
    const backend = await OfflineBackend.open(file);
    cleanup.add(() => backend.close());
    const bridge = new BridgeService(backend, () => dir);

    const started = await bridge.call('hub:replay', { socket, speed: null, seqs: null, filter: 'src:A' });
    expect(started).toMatchObject({ ok: true, value: { running: true } });
    let status = await bridge.call('hub:replayStatus', null);
    for (let i = 0; i < 100 && status.ok && (status.value as { running: boolean }).running; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = await bridge.call('hub:replayStatus', null);
    }
    expect(status).toMatchObject({ ok: true, value: { running: false, sent: 125, delivered: 125, failed: 0 } });

    await b.close();
    await bridge.call('hub:replay', { socket, speed: null, seqs: null, filter: 'src:C' });
    for (let i = 0; i < 100 && status.ok && (status = await bridge.call('hub:replayStatus', null)).ok && (status.value as { running: boolean }).running; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(status).toMatchObject({ ok: true, value: { running: false, sent: 125, delivered: 0, failed: 125, reasons: [{ reason: 'NO_SUCH_MODULE', count: 125 }] } });

    const live2 = await bridge.call('hub:recordStart', null);
    expect(live2).toMatchObject({ ok: false, error: { code: 'NOT_SUPPORTED' } });
  });
});
