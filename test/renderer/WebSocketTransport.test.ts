import { describe, expect, it } from 'vitest';
import { BACKEND_DISCONNECTED, backendTransport } from '../../renderer/src/transport/BackendTransport';
import { bridgeProtocols, takePageToken } from '../../renderer/src/transport/pageToken';
import { bridgeUrl, serverOrigin, type SocketLike, TOKEN_INVALID_DETAIL, type TokenCheck, WebSocketTransport } from '../../renderer/src/transport/WebSocketTransport';

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

const TOKEN = 'ab'.repeat(32);

/** Lets the token check's promise and what follows it run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await Promise.resolve();
}

function harness(token: string | null = TOKEN) {
  const sockets: FakeSocket[] = [];
  const offered: string[][] = [];
  const timers: { callback: () => void; ms: number }[] = [];
  /** What the server says of the token when an attempt fails; tests set it. */
  const server = { check: 'unreachable' as TokenCheck, checked: [] as string[] };
  const transport = backendTransport(
    new WebSocketTransport({
      url: 'ws://127.0.0.1:1234/bridge',
      token,
      createSocket: (_url, protocols) => {
        offered.push(protocols);
        const socket = new FakeSocket();
        sockets.push(socket);
        return socket;
      },
      checkToken: async (checked) => {
        server.checked.push(checked);
        return server.check;
      },
      setTimer: (callback, ms) => timers.push({ callback, ms }),
      clearTimer: () => undefined,
      now: () => 0,
    }),
  );
  return { transport, sockets, offered, timers, server };
}

/** A page at / whose fragment is `hash`, with its history and the tab's sessionStorage (`stored` in it at first). */
function page(hash: string, stored: Record<string, string> = {}) {
  const location = { pathname: '/', search: '', hash };
  const replaced: (string | undefined)[] = [];
  const history = {
    state: null,
    replaceState(_data: unknown, _unused: string, url?: string) {
      replaced.push(url);
      location.hash = '';
    },
  };
  const storage = { ...stored };
  const sessionStorage = { getItem: (key: string) => storage[key] ?? null, setItem: (key: string, value: string) => void (storage[key] = value) };
  return { token: () => takePageToken(location, history, sessionStorage), replaced, storage };
}

describe('the page token', () => {
  it('takes the token from the fragment, removes the fragment from the address, and keeps the token for a reload of the tab', () => {
    // A token kept from an earlier serve on the same port gives way to the one in the address.
    const tab = page(`#token=${TOKEN}`, { 'relayscope.token': 'cd'.repeat(32) });
    expect(tab.token()).toBe(TOKEN);
    expect(tab.replaced).toEqual(['/']);
    expect(tab.storage).toEqual({ 'relayscope.token': TOKEN });
    // The reload: no fragment any more, the tab's sessionStorage still has the token.
    expect(tab.token()).toBe(TOKEN);
    expect(tab.replaced).toEqual(['/']);
  });

  it('has no token without a fragment or a kept one, and ignores one that is not hex', () => {
    expect(page('').token()).toBeNull();
    const odd = page('#token=a%20b,c');
    expect(odd.token()).toBeNull();
    expect(odd.replaced).toEqual(['/']);
    expect(odd.storage).toEqual({});
  });

  it('offers the bridge relayscope.v1 and the token as subprotocols', () => {
    expect(bridgeProtocols(TOKEN)).toEqual(['relayscope.v1', `token.${TOKEN}`]);
  });
});

describe('WebSocketTransport', () => {
  it('opens each socket with the token as a subprotocol, and without a token opens none and says what to open', async () => {
    const { sockets, offered, timers } = harness();
    sockets[0].drop();
    await settle();
    timers[0].callback();
    expect(offered).toEqual([bridgeProtocols(TOKEN), bridgeProtocols(TOKEN)]);

    const without = harness(null);
    expect(without.sockets).toHaveLength(0);
    expect(without.timers).toHaveLength(0);
    expect(without.transport.connectionState()).toEqual({ status: 'disconnected', detail: expect.stringContaining('#token='), nextAttemptAt: null });
  });

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

  it('reconnects with doubling delays up to the cap while the server is not answering, and starts over after a success', async () => {
    const { transport, sockets, timers } = harness();
    const states: string[] = [];
    transport.onConnectionState((state) => states.push(state.status));
    for (let attempt = 0; attempt < 7; attempt++) {
      sockets[sockets.length - 1].drop();
      await settle();
      expect(transport.connectionState()).toMatchObject({ status: 'disconnected', detail: 'the server at http://127.0.0.1:1234 is not answering' });
      timers[timers.length - 1].callback();
    }
    expect(timers.map((timer) => timer.ms)).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    sockets[sockets.length - 1].open();
    expect(transport.connectionState().status).toBe('connected');
    sockets[sockets.length - 1].drop(4401);
    expect(timers[timers.length - 1].ms).toBe(250);
    expect(transport.connectionState()).toMatchObject({ status: 'disconnected', detail: 'the server at http://127.0.0.1:1234 closed the connection (code 4401)' });
    expect(states.slice(0, 2)).toEqual(['disconnected', 'connecting']);
  });

  it('says in words why an open connection ended, not by its close code', () => {
    for (const [code, reason, detail] of [
      [1006, '', 'the connection to the server at http://127.0.0.1:1234 was lost'],
      [1001, 'relayscope serve is stopping', 'the server at http://127.0.0.1:1234 closed the connection: relayscope serve is stopping'],
      [1009, 'message too big', 'the server at http://127.0.0.1:1234 closed the connection (code 1009: message too big)'],
    ] as const) {
      const { transport, sockets } = harness();
      sockets[0].open();
      sockets[0].readyState = 3;
      sockets[0].onclose?.({ code, reason });
      expect(transport.connectionState().detail).toBe(detail);
    }
  });

  it('stops retrying and says the token is no longer valid when the server answers but refuses it', async () => {
    const { transport, sockets, timers, server } = harness();
    sockets[0].open();
    sockets[0].drop();
    expect(timers).toHaveLength(1);
    server.check = 'refused';
    timers[0].callback();
    sockets[1].drop();
    await settle();
    expect(server.checked).toEqual([TOKEN]);
    expect(transport.connectionState()).toEqual({ status: 'disconnected', detail: TOKEN_INVALID_DETAIL, nextAttemptAt: null });
    expect(timers).toHaveLength(1);
    expect(sockets).toHaveLength(2);
  });

  it('keeps retrying when the server takes the token but not the connection', async () => {
    const { transport, sockets, timers, server } = harness();
    server.check = 'accepted';
    sockets[0].drop();
    await settle();
    expect(transport.connectionState().detail).toBe("the server at http://127.0.0.1:1234 answers but did not take this tab's connection (too many tabs open?)");
    expect(timers).toHaveLength(1);
  });

  it('names the server by the address the person opened', () => {
    expect(serverOrigin('ws://127.0.0.1:8411/bridge')).toBe('http://127.0.0.1:8411');
    expect(serverOrigin('wss://localhost:8411/bridge')).toBe('https://localhost:8411');
  });

  it('stops reconnecting once closed', () => {
    const { transport, sockets, timers } = harness();
    sockets[0].open();
    transport.close();
    sockets[0].drop();
    expect(timers).toHaveLength(0);
  });
});
