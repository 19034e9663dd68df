import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AttachedHubBackend } from '../../electron/bridge/AttachedHubBackend';
import { BridgeService } from '../../electron/bridge/BridgeService';
import type { WireEvent, WireSearchProgress } from '../../electron/bridge/contract';
import type { HubBackend } from '../../electron/bridge/HubBackend';
import { LocalHubBackend } from '../../electron/bridge/LocalHubBackend';
import { OfflineBackend } from '../../electron/bridge/OfflineBackend';
import { createCaptureWriter } from '../../electron/capture/captureFiles';
import { RelayClient } from '../../electron/client';
import { perTestScratch } from '../support/scratch';
import { waitUntil } from '../support/waitUntil';

const scratch = perTestScratch();

/** 1 KiB of filler with the needle at byte 60 (i = 10), at byte 300 (i = 20), or as JSON (i = 30). */
function payloadOf(i: number): Buffer {
  if (i === 30) return Buffer.from(JSON.stringify({ temp: 31, cmd: 'open', pad: 'y'.repeat(900) }));
  const payload = Buffer.alloc(1024, 'x');
  if (i === 10) payload.write('Needle', 60);
  if (i === 20) payload.write('NEEDLE', 300);
  return payload;
}

/** The bridge with what it pushes: message events by seq, and search progress. */
function bridge(backend: HubBackend) {
  const service = new BridgeService(backend);
  const seqs: number[] = [];
  const progress: WireSearchProgress[] = [];
  const unsubscribe = service.subscribe((channel, data) => {
    if (channel === 'hub:events') for (const event of data as WireEvent[]) if (event.type === 'message') seqs.push(event.seq);
    if (channel === 'hub:search') progress.push(data as WireSearchProgress);
  });
  scratch.cleanup.add(unsubscribe);
  return { service, seqs, progress };
}

/** Runs a search to its caught-up push; returns the matches as indexes into the messages pushed (0-based). */
async function search(b: ReturnType<typeof bridge>, searchId: number, expression: string, caseSensitive = false): Promise<number[]> {
  const started = await b.service.call('hub:search', { searchId, expression, caseSensitive });
  expect(started.ok, JSON.stringify(started)).toBe(true);
  await waitUntil(() => b.progress.some((p) => p.searchId === searchId && p.caughtUp), `search ${searchId} caught up`, 10_000);
  const matched: number[] = [];
  for (const p of b.progress.filter((p) => p.searchId === searchId)) {
    for (let i = 0; i < p.matches.length; i += 2) for (let n = 0; n < p.matches[i + 1]; n++) matched.push(b.seqs.indexOf(p.matches[i] + n));
  }
  await b.service.call('hub:searchCancel', { searchId });
  return matched;
}

async function sendAll(socket: string): Promise<void> {
  const sink = await RelayClient.connect({ id: 'sink', socket, reconnect: false });
  scratch.cleanup.add(() => sink.close());
  const sender = await RelayClient.connect({ id: 'sensor', socket, reconnect: false });
  scratch.cleanup.add(() => sender.close());
  let received = 0;
  sink.on('message', () => received++);
  for (let i = 0; i < 40; i++) sender.send('sink', payloadOf(i));
  await waitUntil(() => received === 40, 'the 40 messages delivered');
}

async function expectFound(b: ReturnType<typeof bridge>): Promise<void> {
  await waitUntil(() => b.seqs.length === 40, 'the 40 message events');
  expect(await search(b, 1, '"needle"')).toEqual([10, 20]);
  expect(await search(b, 2, '"Needle"', true)).toEqual([10]);
  expect(await search(b, 3, '.temp > 30 .cmd == "open"')).toEqual([30]);
  const refused = await b.service.call('hub:search', { searchId: 4, expression: '.temp >', caseSensitive: false });
  expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_FILTER', message: expect.stringMatching(/needs a value.*column 8/) } });
  const badReplaces = await b.service.call('hub:search', { searchId: 5, expression: 'x', caseSensitive: false, replaces: 'search 4' });
  expect(badReplaces).toMatchObject({ ok: false, error: { message: expect.stringMatching(/replaces must be a search ID/) } });
}

describe('whole-payload search through the bridge', () => {
  it('searches the payloads of a hub in this process', async () => {
    const socket = path.join(scratch.dir, 'hub.sock');
    const backend = await LocalHubBackend.start([{ kind: 'path', path: socket }]);
    scratch.cleanup.add(() => backend.close());
    const b = bridge(backend);
    await sendAll(socket);
    await expectFound(b);
  });

  it('searches the payloads an attached monitor received, in its own store', async () => {
    const socket = path.join(scratch.dir, 'hub.sock');
    const hub = await LocalHubBackend.start([{ kind: 'path', path: socket }]);
    scratch.cleanup.add(() => hub.close());
    const backend = await AttachedHubBackend.attach({ socket });
    scratch.cleanup.add(() => backend.close());
    const b = bridge(backend);
    await sendAll(socket);
    await expectFound(b);
  });

  it('searches the loaded window of an opened recording', async () => {
    const file = path.join(scratch.dir, 'capture.mcap');
    const start = 1_700_000_000_000_000;
    const writer = await createCaptureWriter(file, { hub: 'h', sockets: [], host: 'x', startTime: start, relayscopeVersion: 't', missed: 0, countersAtStart: null, countersAtEnd: null });
    for (let i = 0; i < 40; i++) writer.write({ type: 'message', time: start + i, kind: 'unicast', source: 'sensor', destination: 'sink', correlationId: 0, injected: false, payload: payloadOf(i) });
    await writer.close();
    const backend = await OfflineBackend.open(file);
    scratch.cleanup.add(() => backend.close());
    await expectFound(bridge(backend));
  });
});
