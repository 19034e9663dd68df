import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { CallResult, SocketServerMessage } from '../../electron/bridge/contract';
import { RelayClient } from '../../electron/client';
import { Cleanup } from '../support/cleanup';
import { waitUntil } from '../support/waitUntil';
import { startServer, type ServedHub } from './servedHub';
import { openBridge } from './socketDriver';

const MIB = 1024 * 1024;

/** A bridge connection that records every answer by id, and how it was closed. */
class Page {
  readonly answers = new Map<number, CallResult<unknown>>();
  closed: { code: number; reason: string } | null = null;
  private readonly waiting = new Map<number, (result: CallResult<unknown>) => void>();

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as SocketServerMessage;
      if ('push' in message) return;
      this.answers.set(message.id, message.result);
      this.waiting.get(message.id)?.(message.result);
    });
    socket.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  send(text: string): void {
    this.socket.send(text);
  }

  call(id: number, channel: string, args: unknown): void {
    this.send(JSON.stringify({ id, channel, args }));
  }

  /** Resolves as the answer arrives (not on a polling tick: the rate test times hundreds of round trips). */
  answer(id: number): Promise<CallResult<unknown>> {
    const answered = this.answers.get(id);
    if (answered !== undefined) return Promise.resolve(answered);
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  whenClosed(): Promise<{ code: number; reason: string }> {
    return waitUntil(() => this.closed, 'the server to close the connection');
  }
}

/** A snapshot call whose ignored argument is nested `depth` deep in all (the message's own object is level 1). */
function nestedCall(id: number, depth: number): string {
  return `{"id":${id},"channel":"hub:snapshot","args":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
}

describe('the bridge bounds what one page can make serve do (break 7)', () => {
  let cleanup: Cleanup;
  let served: ServedHub;
  let page: Page;

  beforeEach(async () => {
    cleanup = new Cleanup();
    served = await startServer(cleanup);
    page = new Page(await openBridge(served.server.port, served.server.token));
    cleanup.add(() => page.socket.terminate());
  });

  afterEach(() => cleanup.run());

  it('answers a message nested 32 deep, and closes with 1008 on one nested deeper, before parsing it', async () => {
    page.send(nestedCall(1, 32));
    expect(await page.answer(1)).toMatchObject({ ok: true });
    // 200,000 levels: JSON.parse would build them all first.
    page.send(nestedCall(2, 200_000));
    expect(await page.whenClosed()).toEqual({ code: 1008, reason: 'JSON nested deeper than 32' });
    expect(page.answers.has(2)).toBe(false);
  });

  it('closes with 1008 on a message of more than 1000 JSON values', async () => {
    page.send(`{"id":1,"channel":"hub:snapshot","args":[${'0,'.repeat(1000)}0]}`);
    expect(await page.whenClosed()).toEqual({ code: 1008, reason: 'more than 1000 JSON values in one message' });
  });

  it('carries an inject of a 16 MiB payload, and closes with 1009 on a message larger than that needs', async () => {
    const receiver = await RelayClient.connect({ id: 'receiver', socket: served.socket, reconnect: false });
    cleanup.add(() => receiver.close());
    const received = new Promise<number>((resolve) => receiver.on('message', (message) => resolve(message.payload.length)));
    page.call(1, 'hub:inject', { destination: 'receiver', kind: 'unicast', payloadBase64: Buffer.alloc(16 * MIB, 0x63).toString('base64') });
    expect(await page.answer(1)).toEqual({ ok: true, value: null });
    expect(await received).toBe(16 * MIB);
    page.call(2, 'hub:snapshot', 'x'.repeat(23 * MIB));
    expect((await page.whenClosed()).code).toBe(1009);
  });

  it('answers calls past 400 at once and 200 a second with RATE_LIMITED, and admits calls again as time passes', async () => {
    const startedAt = performance.now();
    for (let id = 1; id <= 600; id++) {
      page.call(id, 'hub:snapshot', null);
      await page.answer(id);
    }
    const seconds = (performance.now() - startedAt) / 1000;
    const results = [...page.answers.values()];
    const admitted = results.filter((result) => result.ok).length;
    expect(admitted).toBeGreaterThanOrEqual(400);
    expect(admitted).toBeLessThanOrEqual(400 + Math.ceil(200 * seconds));
    expect(admitted).toBeLessThan(600);
    expect(results.filter((result) => !result.ok)).toEqual(
      Array.from({ length: 600 - admitted }, () => ({ ok: false, error: { code: 'RATE_LIMITED', message: 'more than 200 calls a second (400 at once): try again later' } })),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    page.call(601, 'hub:snapshot', null);
    expect(await page.answer(601)).toMatchObject({ ok: true });
  });

  it('refuses a ninth page at once with 503, and admits one again when another closes', async () => {
    const { port, token } = served.server;
    const others = await Promise.all(Array.from({ length: 7 }, () => openBridge(port, token)));
    await expect(openBridge(port, token)).rejects.toThrow(/HTTP 503/);
    const closed = new Promise((resolve) => others[0].once('close', resolve));
    others[0].close();
    await closed;
    // The server counts the page out on its own 'close', which may come just after the page's.
    let again: WebSocket | null = null;
    for (let attempt = 0; again === null && attempt < 50; attempt++) {
      again = await openBridge(port, token).catch(() => new Promise<null>((resolve) => setTimeout(() => resolve(null), 20)));
    }
    expect(again).not.toBeNull();
    for (const socket of [...others.slice(1), again]) socket?.terminate();
  });

  it('answers a call with RATE_LIMITED at once while 4 of the same page wait for an answer', async () => {
    const mute = await RelayClient.connect({ id: 'mute', socket: served.socket, reconnect: false });
    cleanup.add(() => mute.close());
    for (let id = 1; id <= 20; id++) page.call(id, 'hub:request', { destination: 'mute', payloadBase64: '', timeoutMs: 5000 });
    await waitUntil(() => page.answers.size === 16, '16 answers');
    expect([...page.answers.keys()]).toEqual(Array.from({ length: 16 }, (_, i) => i + 5));
    expect(page.answers.get(20)).toEqual({ ok: false, error: { code: 'RATE_LIMITED', message: 'more than 4 calls waiting for an answer: try again when one is answered' } });
  });
});
