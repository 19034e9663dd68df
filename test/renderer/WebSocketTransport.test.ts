import { describe, expect, it } from 'vitest';
import { BACKEND_DISCONNECTED, backendTransport } from '../../renderer/src/transport/BackendTransport';
import { bridgeUrl, type SocketLike, WebSocketTransport } from '../../renderer/src/transport/WebSocketTransport';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
  receive(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: { callback: () => void; ms: number }[] = [];
  const transport = backendTransport(new WebSocketTransport({
    url: 'ws://127.0.0.1:1234/bridge',
    createSocket: () => {
      const socket = new FakeSocket();
      sockets.push(socket);
      return socket;
    },
    setTimer: (callback, ms) => timers.push({ callback, ms }),
    clearTimer: () => undefined,
    now: () => 0,
  }));
  return { transport, sockets, timers };
}

describe('WebSocketTransport', () => {
  it('builds the bridge URL from the page location', () => {
    expect(bridgeUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/bridge');
    expect(bridgeUrl({ protocol: 'https:', host: 'example' })).toBe('wss://example/bridge');
  });

  it('matches answers to calls by request id', async () => {
    const { transport, sockets } = harness();
    sockets[0].open();
    const kick = transport.kick({ id: 'A' });
    const payload = transport.payload({ seq: 9 });
    expect(sockets[0].sent).toEqual([
      { id: 1, channel: 'hub:kick', args: { id: 'A' } },
      { id: 2, channel: 'hub:payload', args: { seq: 9 } },
    ]);
    sockets[0].receive({ id: 2, result: { ok: true, value: null } });
    sockets[0].receive({ id: 1, result: { ok: false, error: { code: 'NO_SUCH_MODULE', message: 'no module A' } } });
    expect(await payload).toEqual({ ok: true, value: null });
    expect(await kick).toEqual({ ok: false, error: { code: 'NO_SUCH_MODULE', message: 'no module A' } });
  });

  it('delivers pushes to the listeners of their channel', () => {
    const { transport, sockets } = harness();
    sockets[0].open();
    const batches: unknown[] = [];
    const snapshots: unknown[] = [];
    transport.onEvents((batch) => batches.push(batch));
    transport.onSnapshot((snapshot) => snapshots.push(snapshot));
    sockets[0].receive({ push: 'hub:events', data: [{ type: 'lost', time: 1, count: 2 }] });
    sockets[0].receive({ push: 'hub:snapshot', data: { now: 5 } });
    // Fails the channel's shape check (a batch is an array), so no listener sees it.
    sockets[0].receive({ push: 'hub:events', data: { type: 'lost' } });
    expect(batches).toEqual([[{ type: 'lost', time: 1, count: 2 }]]);
    expect(snapshots).toEqual([{ now: 5 }]);
  });

  it('fails calls at once while disconnected, and fails waiting calls when the connection drops', async () => {
    const { transport, sockets } = harness();
    expect(await transport.snapshot()).toMatchObject({ ok: false, error: { code: BACKEND_DISCONNECTED } });
    sockets[0].open();
    const waiting = transport.snapshot();
    sockets[0].drop();
    expect(await waiting).toMatchObject({ ok: false, error: { code: BACKEND_DISCONNECTED } });
  });

  it('reconnects with doubling delays up to the cap, and starts over after a success', () => {
    const { transport, sockets, timers } = harness();
    const states: string[] = [];
    transport.onConnectionState((state) => states.push(state.status));
    for (let attempt = 0; attempt < 7; attempt++) {
      sockets[sockets.length - 1].drop();
      timers[timers.length - 1].callback();
    }
    expect(timers.map((timer) => timer.ms)).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    sockets[sockets.length - 1].open();
    expect(transport.connectionState().status).toBe('connected');
    sockets[sockets.length - 1].drop(4401);
    expect(timers[timers.length - 1].ms).toBe(250);
    expect(transport.connectionState()).toMatchObject({ status: 'disconnected', detail: 'connection closed (code 4401)' });
    expect(states.slice(0, 2)).toEqual(['disconnected', 'connecting']);
  });

  it('stops reconnecting once closed', () => {
    const { transport, sockets, timers } = harness();
    sockets[0].open();
    transport.close();
    sockets[0].drop();
    expect(timers).toHaveLength(0);
  });
});
