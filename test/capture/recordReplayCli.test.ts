import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { McapStreamReader } from '@mcap/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient, type ReceivedMessage } from '../../electron/client';
import { openCaptureReader } from '../../electron/capture/captureFiles';
import type { CaptureRecord, CapturedMessage } from '../../electron/capture/captureRecord';
import { readMcapCapture } from '../../electron/capture/readMcapCapture';
import { formatSocketAddress } from '../../electron/hub';
import { Cleanup } from '../support/cleanup';
import { CliProcesses, ensureFreshBuild } from '../support/cliProcess';
import { startHub } from '../support/hubFixture';
import { waitUntil } from '../support/waitUntil';

async function messagesOf(file: string): Promise<CapturedMessage[]> {
  const out: CaptureRecord[] = [];
  for await (const record of (await readMcapCapture(file)).records) out.push(record);
  return out.filter((r): r is CapturedMessage => r.type === 'message');
}

function streamedMessageCount(file: string): { messages: number; done: boolean } {
  const reader = new McapStreamReader();
  reader.append(fs.readFileSync(file));
  let messages = 0;
  for (let record; (record = reader.nextRecord()); ) if (record.type === 'Message') messages++;
  return { messages, done: reader.done() };
}

function randomBytes(seed: number): Buffer {
  const bytes = Buffer.alloc(1 + ((seed * 104729) % 500));
  let state = seed + 1;
  for (let i = 0; i < bytes.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

describe('relayscope record and replay', () => {
  const cleanup = new Cleanup();
  const cli = new CliProcesses();
  beforeAll(() => ensureFreshBuild(), 180_000);
  afterEach(async () => {
    await cli.stopAll();
    await cleanup.run();
  });

  async function hubWithModules(): Promise<{ socket: string; dir: string; a: RelayClient; b: RelayClient; c: RelayClient; receivedByB: ReceivedMessage[]; receivedByC: ReceivedMessage[] }> {
    const { address, dir } = await startHub(cleanup);
    const socket = formatSocketAddress(address);
    const connect = async (id: string): Promise<RelayClient> => {
      const client = await RelayClient.connect({ id, socket, reconnect: false });
      cleanup.add(() => client.close());
      return client;
    };
    const b = await connect('B');
    const c = await connect('C');
    const receivedByB: ReceivedMessage[] = [];
    const receivedByC: ReceivedMessage[] = [];
    b.on('message', (m) => receivedByB.push(m));
    c.on('message', (m) => receivedByC.push(m));
    return { socket, dir, a: await connect('A'), b, c, receivedByB, receivedByC };
  }

  it('stops after --count messages, closes the file properly and says what it wrote', async () => {
    const { socket, dir, a } = await hubWithModules();
    const file = path.join(dir, 'count.mcap');
    const record = cli.start(['record', '--output', file, '--socket', socket, '--count', '5']);
    await record.waitForStderr(/^relayscope: recording /);
    for (let i = 0; i < 8; i++) a.send('B', `m${i}`);
    const exit = await record.waitForExit();
    expect(exit.code).toBe(0);
    expect(record.stdout).toMatch(/^recorded 5 messages \(10 B of payload\) and \d+ events to .*count\.mcap in [\d.]+ s; missed 0\n$/);
    const messages = await messagesOf(file);
    expect(messages.map((m) => Buffer.from(m.payload).toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(streamedMessageCount(file).done).toBe(true);
    expect((await readMcapCapture(file)).indexed).toBe(true);
  });

  it('writes the format the file name asks for: pcapng for Wireshark, JSON Lines, and refuses an unknown extension', async () => {
    const { socket, dir, a } = await hubWithModules();
    for (const extension of ['pcapng', 'jsonl']) {
      const file = path.join(dir, `straight.${extension}`);
      const record = cli.start(['record', '--output', file, '--socket', socket, '--count', '2']);
      await record.waitForStderr(/^relayscope: recording /);
      a.send('B', `one ${extension}`);
      a.send('C', `two ${extension}`);
      expect((await record.waitForExit()).code).toBe(0);
      const reader = await openCaptureReader(file);
      const payloads: string[] = [];
      for await (const r of reader.records) if (r.type === 'message') payloads.push(Buffer.from(r.payload).toString());
      expect(payloads).toEqual([`one ${extension}`, `two ${extension}`]);
    }
    // The pcapng is a real one: its first block is a Section Header Block, not MCAP's magic.
    expect(fs.readFileSync(path.join(dir, 'straight.pcapng')).readUInt32LE(0)).toBe(0x0a0d0d0a);
    const refused = cli.start(['record', '--output', path.join(dir, 'capture.txt'), '--socket', socket]);
    const exit = await refused.waitForExit();
    expect(exit.code).toBe(2);
    expect(refused.stderr).toContain('unknown extension ".txt"; a capture file ends in .mcap, .pcapng, .jsonl');
    expect(fs.existsSync(path.join(dir, 'capture.txt'))).toBe(false);
  });

  it('stops after --seconds, and on SIGTERM, with a complete file each time', async () => {
    const { socket, dir, a } = await hubWithModules();
    const timed = path.join(dir, 'timed.mcap');
    const started = Date.now();
    const record = cli.start(['record', '--output', timed, '--socket', socket, '--seconds', '1']);
    await record.waitForStderr(/^relayscope: recording /);
    a.send('B', 'during');
    expect((await record.waitForExit()).code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(record.stdout).toMatch(/^recorded 1 messages/);
    expect((await messagesOf(timed)).map((m) => Buffer.from(m.payload).toString())).toEqual(['during']);

    const signalled = path.join(dir, 'signalled.mcap');
    const second = cli.start(['record', '--output', signalled, '--socket', socket]);
    await second.waitForStderr(/^relayscope: recording /);
    a.send('C', 'before the signal');
    await waitUntil(() => fs.statSync(signalled).size > 0, 'the file to be created');
    // The copy reaches the recorder asynchronously: give it a moment before the signal.
    await new Promise((resolve) => setTimeout(resolve, 300));
    second.signal('SIGTERM');
    expect((await second.waitForExit()).code).toBe(0);
    expect(second.stdout).toMatch(/^recorded 1 messages .* missed 0\n$/);
    expect(streamedMessageCount(signalled)).toEqual({ messages: expect.any(Number), done: true });
    expect((await messagesOf(signalled)).map((m) => [m.source, m.destination])).toEqual([['A', 'C']]);
  });

  it('records only what --filter matches, and refuses a bad filter with its column', async () => {
    const { socket, dir, a } = await hubWithModules();
    const file = path.join(dir, 'filtered.mcap');
    const record = cli.start(['record', '--output', file, '--socket', socket, '--count', '2', '--filter', 'dst:C "keep"']);
    await record.waitForStderr(/^relayscope: recording /);
    a.send('B', 'keep not');
    a.send('C', 'drop');
    a.send('C', 'keep 1');
    a.send('C', 'KEEP 2');
    expect((await record.waitForExit()).code).toBe(0);
    expect((await messagesOf(file)).map((m) => Buffer.from(m.payload).toString())).toEqual(['keep 1', 'KEEP 2']);

    const bad = await cli.run(['record', '--output', file, '--socket', socket, '--filter', 'src:A kind:nope']);
    expect(bad.exit.code).toBe(2);
    expect(bad.stderr).toMatch(/--filter: filter: unknown kind "nope".*\(at column 7\)/);
  });

  it('replays a recording into a fresh hub: the same sources, destinations, kinds and payloads, in order, recorded again', async () => {
    const first = await hubWithModules();
    const recordedFile = path.join(first.dir, 'first.mcap');
    const sent: Buffer[] = Array.from({ length: 200 }, (_, i) => randomBytes(i));
    const record = cli.start(['record', '--output', recordedFile, '--socket', first.socket, '--count', String(sent.length + 2)]);
    await record.waitForStderr(/^relayscope: recording /);
    sent.forEach((payload, i) => {
      first.a.send(i % 2 === 0 ? 'B' : 'C', payload);
    });
    first.a.broadcast(Buffer.from('everyone'));
    first.c.send('B', Buffer.from([0]));
    expect((await record.waitForExit(15_000)).code).toBe(0);
    const original = await messagesOf(recordedFile);
    expect(original).toHaveLength(202);

    const second = await hubWithModules();
    const again = path.join(second.dir, 'again.mcap');
    const recordAgain = cli.start(['record', '--output', again, '--socket', second.socket, '--count', '202']);
    await recordAgain.waitForStderr(/^relayscope: recording /);
    const replay = await cli.run(['replay', recordedFile, '--socket', second.socket, '--fast'], undefined, 20_000);
    expect(replay.stdout).toMatch(/^replayed 202 messages from .*: 202 delivered, 0 failed/);
    expect(replay.exit.code).toBe(0);
    expect((await recordAgain.waitForExit(15_000)).code).toBe(0);
    const replayed = await messagesOf(again);
    const shape = (m: CapturedMessage): unknown[] => [m.source, m.destination, m.kind, Buffer.from(m.payload).toString('base64')];
    expect(replayed.map(shape)).toEqual(original.map(shape));
    expect(replayed.every((m) => m.injected)).toBe(true);
    // The modules of the fresh hub got them as from the recorded sources.
    await waitUntil(() => second.receivedByB.length + second.receivedByC.length === 202 + 1, 'B and C to get the replayed messages');
    expect(second.receivedByC.filter((m) => m.source === 'A' && m.kind === 'unicast').map((m) => m.payload)).toEqual(sent.filter((_, i) => i % 2 === 1));
  });

  it('keeps the recorded gaps scaled by --speed, speaks --as the chosen ID, and reports every failure by reason', async () => {
    const first = await hubWithModules();
    const file = path.join(first.dir, 'gaps.mcap');
    const record = cli.start(['record', '--output', file, '--socket', first.socket, '--count', '3']);
    await record.waitForStderr(/^relayscope: recording /);
    first.a.send('B', 'one');
    await new Promise((resolve) => setTimeout(resolve, 600));
    first.a.send('C', 'two');
    await new Promise((resolve) => setTimeout(resolve, 600));
    first.a.send('B', 'three');
    expect((await record.waitForExit()).code).toBe(0);

    const second = await hubWithModules();
    const started = Date.now();
    const paced = await cli.run(['replay', file, '--socket', second.socket, '--speed', '2', '--as', 'Z']);
    const elapsed = Date.now() - started;
    expect(paced.exit.code).toBe(0);
    // 1.2 s recorded at twice the speed: at least 0.6 s, and well under the recorded 1.2 s plus start-up.
    expect(elapsed).toBeGreaterThanOrEqual(600);
    await waitUntil(() => second.receivedByB.length === 2 && second.receivedByC.length === 1, 'the replayed messages');
    expect(second.receivedByB.map((m) => [m.source, m.text()])).toEqual([
      ['Z', 'one'],
      ['Z', 'three'],
    ]);

    await second.c.close();
    await waitUntil(async () => !(await second.a.list()).includes('C'), 'C to leave');
    const failing = await cli.run(['replay', file, '--socket', second.socket, '--fast']);
    expect(failing.exit.code).toBe(1);
    expect(failing.stdout).toContain('replayed 3 messages from');
    expect(failing.stdout).toContain('2 delivered, 1 failed');
    expect(failing.stdout).toContain('failures by reason: NO_SUCH_MODULE ×1');
    expect(failing.stdout).toMatch(/#1 A -> C unicast: NO_SUCH_MODULE: no module "C" is connected/);
  });

  it('leaves a file that a crash (SIGKILL) cut short readable up to its last complete chunk', async () => {
    const { socket, dir, a } = await hubWithModules();
    const file = path.join(dir, 'crashed.mcap');
    const record = cli.start(['record', '--output', file, '--socket', socket]);
    await record.waitForStderr(/^relayscope: recording /);
    const sent = Array.from({ length: 3000 }, (_, i) => Buffer.concat([Buffer.from(`${i}:`), Buffer.alloc(1000, i & 0xff)]));
    for (const payload of sent) a.send('B', payload);
    await waitUntil(() => fs.statSync(file).size > 2 * 1024 * 1024, 'two chunks on disk', 10_000);
    record.signal('SIGKILL');
    await record.waitForExit();
    const capture = await readMcapCapture(file);
    expect(capture.indexed).toBe(false);
    const messages = await messagesOf(file);
    expect(messages.length).toBeGreaterThan(1000);
    expect(messages.map((m) => Buffer.from(m.payload))).toEqual(sent.slice(0, messages.length));
    expect(streamedMessageCount(file).done).toBe(false);
  });

  it('hub --record writes what the hub relays in its own process and completes the file on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-hubrec-'));
    cleanup.add(() => fs.rmSync(dir, { recursive: true, force: true }));
    const socket = path.join(dir, 'hub.sock');
    const file = path.join(dir, 'hub.mcap');
    const hub = cli.start(['hub', '--socket', socket, '--record', file]);
    await hub.waitForStdout(`relayscope hub recording to ${file}`);
    const b = await RelayClient.connect({ id: 'B', socket, reconnect: false });
    cleanup.add(() => b.close());
    const got: ReceivedMessage[] = [];
    b.on('message', (m) => got.push(m));
    const a = await RelayClient.connect({ id: 'A', socket, reconnect: false });
    cleanup.add(() => a.close());
    const payloads = Array.from({ length: 50 }, (_, i) => randomBytes(i + 1000));
    for (const payload of payloads) a.send('B', payload);
    await waitUntil(() => got.length === 50, 'B to get every message');
    hub.signal('SIGTERM');
    expect((await hub.waitForExit()).code).toBe(0);
    expect(hub.stdout).toMatch(/^recorded 50 messages \([\d.]+ KiB of payload\) to .*hub\.mcap; missed 0$/m);
    const capture = await readMcapCapture(file);
    expect(capture.indexed).toBe(true);
    expect(capture.info.sockets).toEqual([socket]);
    expect(capture.info.countersAtEnd?.messages).toBe(50);
    expect((await messagesOf(file)).map((m) => Buffer.from(m.payload))).toEqual(payloads);
  });

  it('says clearly when the file is not a capture', async () => {
    const { socket, dir } = await hubWithModules();
    const file = path.join(dir, 'text.mcap');
    fs.writeFileSync(file, 'not a capture');
    const result = await cli.run(['replay', file, '--socket', socket]);
    expect(result.exit.code).toBe(1);
    expect(result.stderr).toContain('text.mcap');
  });
});
