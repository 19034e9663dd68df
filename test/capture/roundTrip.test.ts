import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient, type ReceivedMessage } from '../../electron/client';
import { openCaptureReader } from '../../electron/capture/captureFiles';
import type { CapturedMessage } from '../../electron/capture/captureRecord';
import { formatSocketAddress } from '../../electron/hub';
import { Cleanup } from '../support/cleanup';
import { CliProcesses, ensureFreshBuild } from '../support/cliProcess';
import { startHub } from '../support/hubFixture';
import { waitUntil } from '../support/waitUntil';
import { collect } from './exportFixtures';

/**
 * The round trip, through the built CLI and real hubs: record random binary messages →
 * convert to pcapng, from it to JSON Lines, and from that back to MCAP → replay into a fresh hub →
 * record again: the same sources, destinations, kinds and payloads, in the same order.
 */

const LUA = path.resolve(__dirname, '..', '..', 'wireshark', 'relayscope.lua');

async function messagesOf(file: string): Promise<CapturedMessage[]> {
  return (await collect((await openCaptureReader(file)).records)).filter((r): r is CapturedMessage => r.type === 'message');
}

const shape = (m: CapturedMessage): unknown[] => [m.source, m.destination, m.kind, Buffer.from(m.payload).toString('hex')];

describe('record → pcapng → JSON Lines → MCAP → replay → record', () => {
  const cleanup = new Cleanup();
  const cli = new CliProcesses();
  beforeAll(() => ensureFreshBuild(), 180_000);
  afterEach(async () => {
    await cli.stopAll();
    await cleanup.run();
  });

  async function hubWithModules(): Promise<{ socket: string; dir: string; clients: Map<string, RelayClient>; received: ReceivedMessage[] }> {
    const { address, dir } = await startHub(cleanup);
    const socket = formatSocketAddress(address);
    const clients = new Map<string, RelayClient>();
    const received: ReceivedMessage[] = [];
    for (const id of ['A', 'B', 'C']) {
      const client = await RelayClient.connect({ id, socket, reconnect: false });
      cleanup.add(() => client.close());
      client.on('message', (m) => received.push(m));
      clients.set(id, client);
    }
    return { socket, dir, clients, received };
  }

  it('keeps every message byte for byte, in order', async () => {
    const first = await hubWithModules();
    const payloads = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 600 }), { numRuns: 150, seed: 1202 });
    const ids = ['A', 'B', 'C'];
    const original = path.join(first.dir, 'original.mcap');
    const exchanges = 5;
    const total = payloads.length + 2 * exchanges;
    (first.clients.get('B') as RelayClient).on('message', (m) => {
      if (m.kind === 'request') (first.clients.get('B') as RelayClient).reply(m, Buffer.from(m.payload).reverse());
    });
    const record = cli.start(['record', '--output', original, '--socket', first.socket, '--count', String(total)]);
    await record.waitForStderr(/^relayscope: recording /);
    // Unicasts in every direction, and a broadcast every tenth message, all of random bytes.
    payloads.forEach((payload, i) => {
      const from = first.clients.get(ids[i % 3]) as RelayClient;
      if (i % 10 === 9) from.broadcast(payload);
      else from.send(ids[(i + 1 + (i % 2)) % 3], payload);
    });
    // Requests and their replies, each one's payload random too.
    for (const payload of fc.sample(fc.uint8Array({ minLength: 1, maxLength: 64 }), { numRuns: exchanges, seed: 7 })) {
      const reply = await (first.clients.get('A') as RelayClient).request('B', payload);
      expect(Buffer.from(reply.payload)).toEqual(Buffer.from(payload).reverse());
    }
    expect((await record.waitForExit(15_000)).code).toBe(0);
    const recorded = await messagesOf(original);
    expect(recorded).toHaveLength(total);
    expect(recorded.filter((m) => m.kind === 'request')).toHaveLength(exchanges);
    expect(recorded.filter((m) => m.kind === 'reply')).toHaveLength(exchanges);
    // Three connections: the hub keeps each one's order, not an order across them.
    for (const [n, id] of ids.entries()) {
      const sentBy = payloads.filter((_, i) => i % 3 === n).map((p) => Buffer.from(p).toString('hex'));
      expect(recorded.filter((m) => m.source === id && (m.kind === 'unicast' || m.kind === 'broadcast')).map((m) => Buffer.from(m.payload).toString('hex'))).toEqual(sentBy);
    }

    const pcapng = path.join(first.dir, 'exported.pcapng');
    const jsonl = path.join(first.dir, 'exported.jsonl');
    const back = path.join(first.dir, 'back.mcap');
    for (const [from, to] of [
      [original, pcapng],
      [pcapng, jsonl],
      [jsonl, back],
    ]) {
      const converted = await cli.run(['convert', from, to]);
      expect(converted.stderr).toBe('');
      expect(converted.stdout).toMatch(new RegExp(`^converted .* to .*: ${total} messages and \\d+ events\\n$`));
      expect(converted.exit.code).toBe(0);
    }
    // Wireshark's reader sees the same sources in the exported pcapng.
    const { stdout } = await promisify(execFile)('tshark', ['-X', `lua_script:${LUA}`, '-r', pcapng, '-Y', 'relayscope.kind != "event"', '-T', 'fields', '-e', 'relayscope.src']);
    expect(stdout.trim().split('\n')).toEqual(recorded.map((m) => m.source));
    expect((await messagesOf(back)).map(shape)).toEqual(recorded.map(shape));

    const second = await hubWithModules();
    const again = path.join(second.dir, 'again.mcap');
    const recordAgain = cli.start(['record', '--output', again, '--socket', second.socket, '--count', String(total)]);
    await recordAgain.waitForStderr(/^relayscope: recording /);
    const replay = await cli.run(['replay', back, '--socket', second.socket, '--fast'], undefined, 20_000);
    expect(replay.stdout).toMatch(new RegExp(`^replayed ${total} messages from .*: ${total} delivered, 0 failed`));
    expect(replay.exit.code).toBe(0);
    expect((await recordAgain.waitForExit(15_000)).code).toBe(0);
    const replayed = await messagesOf(again);
    expect(replayed.map(shape)).toEqual(recorded.map(shape));
    // A broadcast reaches the two other modules; a replayed reply reaches A, whose client drops a
    // reply it did not ask for, so the modules see every message but those.
    const broadcasts = recorded.filter((m) => m.destination === null).length;
    await waitUntil(() => second.received.length === total - exchanges + broadcasts, 'the modules of the fresh hub to get every replayed message');
  });
});
