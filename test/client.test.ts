import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BackpressureError, ClosedError, ConnectError, RelayClient, RelayError, TimeoutError, type ReceivedMessage, type RelayClientOptions } from '../electron/client';
import { encodeHello, encodeMessage, encodeWelcome, type EventFrame, type TrafficFrame } from '../electron/protocol/frameCodec';
import type { HubEvent, LeaveEvent } from '../electron/hub/hubEvents';
import { listen, type HubListener } from '../electron/hub/listeners';
import { DEFAULT_MAX_PAYLOAD, ErrorCode, HubEventCode, MessageKind, PROTOCOL_VERSION } from '../electron/protocol/protocol';
import { RelayHub, type RelayHubOptions } from '../electron/hub/RelayHub';
import { connectSocket, parseSocketAddress } from '../electron/sockets/socketAddress';

const FAST_RECONNECT = { initialDelayMs: 10, maxDelayMs: 50 };
const EVENT_TIMEOUT_MS = 5000;

let dir: string;
let socketPath: string;
let hubs: RelayHub[];
let listeners: HubListener[];
let clients: RelayClient[];
let rawSockets: net.Socket[];
let servers: net.Server[];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-'));
  socketPath = path.join(dir, 'hub.sock');
  hubs = [];
  listeners = [];
  clients = [];
  rawSockets = [];
  servers = [];
});

afterEach(async () => {
  await Promise.all(clients.map((client) => client.close()));
  for (const socket of rawSockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  // A listener finishes closing only once its connections are gone, which closing the hub brings about.
  await Promise.all([...listeners.map((listener) => listener.close()), ...hubs.map((hub) => hub.close())]);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function startHub(options: RelayHubOptions = {}, address = socketPath): Promise<{ hub: RelayHub; listener: HubListener }> {
  const hub = new RelayHub(options);
  hubs.push(hub);
  const listener = await listenOn(hub, address);
  return { hub, listener };
}

async function listenOn(hub: RelayHub, address: string): Promise<HubListener> {
  const listener = await listen(hub, parseSocketAddress(address));
  listeners.push(listener);
  return listener;
}

async function stopHub(hub: RelayHub, ...hubListeners: HubListener[]): Promise<void> {
  await Promise.all([...hubListeners.map((listener) => listener.close()), hub.close()]);
}

async function connect(options: Partial<RelayClientOptions> & { id: string }): Promise<RelayClient> {
  const client = await RelayClient.connect({ socket: socketPath, reconnect: false, ...options });
  clients.push(client);
  return client;
}

/** Resolves with the arguments of the next `event`, or rejects after EVENT_TIMEOUT_MS. */
function next(client: RelayClient, event: string): Promise<unknown[]> {
  return once(client, event, { signal: AbortSignal.timeout(EVENT_TIMEOUT_MS) });
}

function collectMessages(client: RelayClient): ReceivedMessage[] {
  const received: ReceivedMessage[] = [];
  client.on('message', (message) => received.push(message));
  return received;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = EVENT_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function collectHubEvents(hub: RelayHub): HubEvent[] {
  const events: HubEvent[] = [];
  hub.onEvents((batch) => events.push(...batch));
  return events;
}

describe('RelayClient connecting', () => {
  it('resolves after WELCOME with the confirmed ID and the hub limits', async () => {
    const { hub } = await startHub({ maxPayload: 1024 * 1024, idleTimeoutMs: 20_000 });
    const client = await connect({ id: 'alpha' });
    expect(client.id).toBe('alpha');
    expect(client.connected).toBe(true);
    expect(client.welcome).toMatchObject({ version: PROTOCOL_VERSION, maxPayload: 1024 * 1024, idleTimeoutMs: 20_000, id: 'alpha' });
    expect(hub.moduleIds()).toEqual(['alpha']);
  });

  it('rejects with a ConnectError naming the socket when no hub listens there', async () => {
    const missing = path.join(dir, 'nobody.sock');
    const error = await RelayClient.connect({ id: 'alpha', socket: missing }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).message).toBe(`no hub is listening on ${missing} (ENOENT)`);
    expect((error as ConnectError).socket).toBe(missing);
    expect((error as ConnectError).code).toBe('ENOENT');
  });

  it('rejects with a ConnectError ECONNREFUSED for a TCP port nobody listens on', async () => {
    const { listener } = await startHub({}, 'tcp://127.0.0.1:0');
    const port = listener.port;
    await listener.close();
    const error = await RelayClient.connect({ id: 'alpha', socket: `tcp://127.0.0.1:${port}` }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).message).toBe(`no hub is listening on tcp://127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('rejects with RelayError ID_IN_USE when the ID is already connected', async () => {
    await startHub();
    await connect({ id: 'alpha' });
    const error = await RelayClient.connect({ id: 'alpha', socket: socketPath }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RelayError);
    expect(error).toMatchObject({ codeName: 'ID_IN_USE', ref: 'alpha', fatal: true });
  });

  it('rejects with RelayError BAD_TOKEN when the token is wrong', async () => {
    await startHub({ token: 'secret' });
    const error = await RelayClient.connect({ id: 'alpha', socket: socketPath, token: 'guess' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RelayError);
    expect((error as RelayError).codeName).toBe('BAD_TOKEN');
    const client = await connect({ id: 'alpha', token: 'secret' });
    expect(client.connected).toBe(true);
  });

  it('rejects with a TimeoutError when the hub never answers HELLO', async () => {
    const server = net.createServer((socket) => rawSockets.push(socket));
    servers.push(server);
    const silentPath = path.join(dir, 'silent.sock');
    await new Promise<void>((resolve) => server.listen(silentPath, resolve));
    const error = await RelayClient.connect({ id: 'alpha', socket: silentPath, connectTimeoutMs: 100 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).message).toBe(`no WELCOME from the hub at ${silentPath} within 100 ms`);
  });

  it('handles a WELCOME split across reads and followed by a message in the same read', async () => {
    const welcome = encodeWelcome({ version: PROTOCOL_VERSION, maxPayload: DEFAULT_MAX_PAYLOAD, queueLimit: 1024, idleTimeoutMs: 0, id: 'alpha' });
    const message = encodeMessage(MessageKind.UNICAST, 'beta', 'right after welcome');
    const server = net.createServer((socket) => {
      rawSockets.push(socket);
      socket.once('data', async () => {
        socket.write(welcome.subarray(0, 3));
        // Gives the client a chance to read the first three bytes on their own, so the rest
        // completes a frame it holds a piece of.
        await new Promise((resolve) => setTimeout(resolve, 20));
        socket.write(Buffer.concat([welcome.subarray(3), message]));
      });
    });
    servers.push(server);
    const scriptedPath = path.join(dir, 'scripted.sock');
    await new Promise<void>((resolve) => server.listen(scriptedPath, resolve));
    const client = await connect({ id: 'alpha', socket: scriptedPath });
    const received = collectMessages(client);
    await waitFor(() => received.length === 1, 'the message that followed WELCOME');
    expect(received[0]).toMatchObject({ kind: 'unicast', source: 'beta' });
    expect(received[0].text()).toBe('right after welcome');
  });

  it('connects over a Linux abstract socket name', async () => {
    const name = `@rs-client-test-${process.pid}-${Date.now()}`;
    await startHub({}, name);
    const alpha = await connect({ id: 'alpha', socket: name });
    const beta = await connect({ id: 'beta', socket: name });
    const arrived = next(beta, 'message');
    alpha.send('beta', 'over abstract');
    const [message] = (await arrived) as [ReceivedMessage];
    expect(message.source).toBe('alpha');
    expect(message.text()).toBe('over abstract');
  });

  it('connects over TCP to the port the listener bound', async () => {
    const { listener } = await startHub({}, 'tcp://127.0.0.1:0');
    const address = `tcp://127.0.0.1:${listener.port}`;
    const alpha = await connect({ id: 'alpha', socket: address });
    const beta = await connect({ id: 'beta', socket: address });
    const arrived = next(beta, 'message');
    alpha.send('beta', 'over tcp');
    const [message] = (await arrived) as [ReceivedMessage];
    expect(message.source).toBe('alpha');
    expect(message.text()).toBe('over tcp');
  });
});

describe('RelayClient messaging', () => {
  it('delivers unicasts both ways and each side sees the other ID', async () => {
    await startHub();
    const a = await connect({ id: 'A' });
    const b = await connect({ id: 'B' });
    const atB = next(b, 'message');
    expect(a.send('B', '1')).toBe(true);
    const [fromA] = (await atB) as [ReceivedMessage];
    const atA = next(a, 'message');
    expect(b.send('A', '2')).toBe(true);
    const [fromB] = (await atA) as [ReceivedMessage];
    expect(fromA).toMatchObject({ kind: 'unicast', source: 'A' });
    expect(fromA.text()).toBe('1');
    expect(fromB).toMatchObject({ kind: 'unicast', source: 'B' });
    expect(fromB.text()).toBe('2');
  });

  it('broadcasts to every other module but not back to the sender', async () => {
    await startHub();
    const sender = await connect({ id: 'sender' });
    const receivers = await Promise.all(['r1', 'r2', 'r3'].map((id) => connect({ id })));
    const ownCopies = collectMessages(sender);
    const arrivals = receivers.map((receiver) => next(receiver, 'message'));
    sender.broadcast(Buffer.from([1, 2, 3]));
    for (const arrival of arrivals) {
      const [message] = (await arrival) as [ReceivedMessage];
      expect(message).toMatchObject({ kind: 'broadcast', source: 'sender' });
      expect([...message.payload]).toEqual([1, 2, 3]);
    }
    expect(await sender.list()).toHaveLength(4);
    expect(ownCopies).toEqual([]);
  });

  it('resolves a request with the reply the responder sends with reply()', async () => {
    await startHub();
    const asker = await connect({ id: 'asker' });
    const responder = await connect({ id: 'responder' });
    const seenAsMessage = collectMessages(responder);
    responder.on('request', (request) => responder.reply(request, request.text().toUpperCase()));
    const reply = await asker.request('responder', 'ping me');
    expect(reply).toMatchObject({ kind: 'reply', source: 'responder' });
    expect(reply.text()).toBe('PING ME');
    expect(seenAsMessage.map((m) => m.kind)).toEqual(['request']);
  });

  it('matches concurrent replies to their requests by correlation ID', async () => {
    await startHub();
    const asker = await connect({ id: 'asker' });
    const responder = await connect({ id: 'responder' });
    const held: ReceivedMessage[] = [];
    responder.on('request', (request) => {
      held.push(request);
      // Answer in reverse order once all three arrived, so replies cannot match by arrival order.
      if (held.length === 3) for (const r of [...held].reverse()) responder.reply(r, `answer to ${r.text()}`);
    });
    const replies = await Promise.all(['x', 'y', 'z'].map((text) => asker.request('responder', text)));
    expect(replies.map((r) => r.text())).toEqual(['answer to x', 'answer to y', 'answer to z']);
  });

  it('rejects a request to an unknown module with RelayError NO_SUCH_MODULE', async () => {
    await startHub();
    const asker = await connect({ id: 'asker' });
    const error = await asker.request('ghost', 'anyone?').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RelayError);
    expect(error).toMatchObject({ codeName: 'NO_SUCH_MODULE', ref: 'ghost', fatal: false });
    expect(asker.connected).toBe(true);
  });

  it('reports a send to an unknown module as a remoteError', async () => {
    await startHub();
    const sender = await connect({ id: 'sender' });
    const reported = next(sender, 'remoteError');
    sender.send('ghost', 'lost');
    const [error] = (await reported) as [RelayError];
    expect(error).toMatchObject({ codeName: 'NO_SUCH_MODULE', ref: 'ghost', correlationId: 0 });
  });

  it('rejects a request nobody answers with a TimeoutError', async () => {
    await startHub();
    const asker = await connect({ id: 'asker' });
    const silent = await connect({ id: 'silent' });
    const received = next(silent, 'request');
    const error = await asker.request('silent', 'hello?', { timeoutMs: 100 }).catch((err: unknown) => err);
    await received;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).message).toBe('no reply from "silent" within 100 ms');
  });

  it('rejects a request with PEER_GONE when the responder closes before replying', async () => {
    await startHub();
    const asker = await connect({ id: 'asker' });
    const responder = await connect({ id: 'responder' });
    responder.on('request', () => void responder.close());
    const error = await asker.request('responder', 'work').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RelayError);
    expect(error).toMatchObject({ codeName: 'PEER_GONE', ref: 'responder' });
  });

  it('rejects pending requests with ClosedError when the client closes', async () => {
    await startHub();
    const asker = await connect({ id: 'asker' });
    const silent = await connect({ id: 'silent' });
    const received = next(silent, 'request');
    const pending = asker.request('silent', 'hello?').catch((err: unknown) => err);
    await received;
    await asker.close();
    expect(await pending).toBeInstanceOf(ClosedError);
    expect(() => asker.send('silent', 'too late')).toThrow(ClosedError);
  });

  it('refuses a payload larger than the hub allows before sending it', async () => {
    await startHub({ maxPayload: 16 });
    const sender = await connect({ id: 'sender' });
    expect(() => sender.send('anyone', Buffer.alloc(17))).toThrow("payload of 17 bytes exceeds the hub's limit of 16");
    expect(sender.connected).toBe(true);
  });

  it('lists the connected modules', async () => {
    await startHub();
    const a = await connect({ id: 'a' });
    await connect({ id: 'b' });
    expect((await a.list()).sort()).toEqual(['a', 'b']);
  });

  it('reports presence joins and leaves after subscribing', async () => {
    await startHub();
    const watcher = await connect({ id: 'watcher', presence: true });
    // The hub answers LIST after the subscription written before it, so notices are on from here.
    await watcher.list();
    const joined = next(watcher, 'presence');
    const visitor = await connect({ id: 'visitor' });
    expect((await joined)[0]).toEqual({ event: 'join', id: 'visitor' });
    const left = next(watcher, 'presence');
    await visitor.close();
    expect((await left)[0]).toEqual({ event: 'leave', id: 'visitor' });
  });

  it('stops presence notices after unsubscribing', async () => {
    await startHub();
    const watcher = await connect({ id: 'watcher' });
    const notices: unknown[] = [];
    watcher.on('presence', (notice) => notices.push(notice));
    await watcher.subscribePresence(true);
    await connect({ id: 'first' });
    await waitFor(() => notices.length === 1, 'the first join');
    await watcher.subscribePresence(false);
    await connect({ id: 'second' });
    // The hub answers LIST after handling everything before it, so a notice for "second" would have come first.
    expect((await watcher.list()).sort()).toEqual(['first', 'second', 'watcher']);
    expect(notices).toEqual([{ event: 'join', id: 'first' }]);
  });

  it('returns false from send() under backpressure and emits drain afterwards', async () => {
    const { hub } = await startHub();
    const sink = await connectSocket(parseSocketAddress(socketPath));
    rawSockets.push(sink);
    sink.pause();
    sink.write(encodeHello({ id: 'sink' }));
    await waitFor(() => hub.moduleIds().includes('sink'), 'the non-reading module to register');
    const sender = await connect({ id: 'sender' });
    const payload = Buffer.alloc(1024 * 1024, 7);
    let accepted = true;
    let sent = 0;
    while (accepted && sent < 64) {
      accepted = sender.send('sink', payload);
      sent++;
    }
    expect(accepted).toBe(false);
    await next(sender, 'drain');
  });
});

describe('RelayClient as a monitor', () => {
  it('gets an assigned ID, reads stats, injects and sees traffic', async () => {
    await startHub();
    const target = await connect({ id: 'target' });
    const monitor = await connect({ id: '', monitor: true });
    expect(monitor.id).toMatch(/^\$monitor-\d+$/);
    const stats = await monitor.stats();
    expect(stats.modules.map((m) => m.id)).toEqual(['target']);
    expect(stats.monitors.map((m) => m.id)).toEqual([monitor.id]);

    const delivered = next(target, 'message');
    const copied = next(monitor, 'traffic');
    await monitor.inject({ source: 'operator', destination: 'target', payload: 'from the operator' });
    const [message] = (await delivered) as [ReceivedMessage];
    expect(message).toMatchObject({ kind: 'unicast', source: 'operator' });
    expect(message.text()).toBe('from the operator');
    const [traffic] = (await copied) as [{ source: string; destination: string; payload: Buffer }];
    expect(traffic).toMatchObject({ source: 'operator', destination: 'target' });
    expect(traffic.payload.toString()).toBe('from the operator');
  });

  it('rejects an inject to an unknown module with RelayError NO_SUCH_MODULE', async () => {
    await startHub();
    const monitor = await connect({ id: 'ops', monitor: true });
    const error = await monitor.inject({ destination: 'ghost', payload: 'x' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RelayError);
    expect((error as RelayError).codeName).toBe('NO_SUCH_MODULE');
  });

  it('kicks a module, which emits disconnect and close and does not reconnect', async () => {
    await startHub();
    const victim = await connect({ id: 'victim', reconnect: FAST_RECONNECT });
    const monitor = await connect({ id: 'ops', monitor: true });
    let reconnectAttempts = 0;
    victim.on('reconnecting', () => reconnectAttempts++);
    const disconnected = next(victim, 'disconnect');
    const closed = next(victim, 'close');
    const leaveEvent = new Promise<EventFrame>((resolve) => monitor.on('hubEvent', (event) => event.event === HubEventCode.LEAVE && event.id === 'victim' && resolve(event)));
    await monitor.kick('victim', 'maintenance');
    const [{ error }] = (await disconnected) as [{ error?: Error }];
    expect(error).toBeInstanceOf(RelayError);
    expect(error).toMatchObject({ codeName: 'KICKED', message: 'KICKED: maintenance' });
    await closed;
    expect(victim.connected).toBe(false);
    expect(reconnectAttempts).toBe(0);
    expect((await leaveEvent).code).toBe(ErrorCode.KICKED);
    expect(await monitor.kick('victim').catch((err: unknown) => (err as RelayError).codeName)).toBe('NO_SUCH_MODULE');
  });

  it('refuses monitor commands on a module and messages on a monitor with a clear error', async () => {
    await startHub();
    const module = await connect({ id: 'plain' });
    const monitor = await connect({ id: 'ops', monitor: true });
    await expect(module.stats()).rejects.toThrow('stats() is only available to monitors; connect with { monitor: true }');
    await expect(module.kick('ops')).rejects.toThrow('kick() is only available to monitors');
    expect(() => monitor.send('plain', 'x')).toThrow('a monitor cannot send messages; use inject()');
  });
});

describe('RelayClient reconnecting and closing', () => {
  it('reconnects to a new hub on the same path and delivers messages sent while down exactly once, in order', async () => {
    const side = path.join(dir, 'side.sock');
    const first = await startHub();
    const firstSide = await listenOn(first.hub, side);
    const sender = await connect({ id: 'sender', reconnect: FAST_RECONNECT });
    const receiver = await connect({ id: 'receiver', socket: side, reconnect: FAST_RECONNECT });
    const numbers: number[] = [];
    receiver.on('message', (message) => numbers.push(Number(message.text())));

    for (let n = 1; n <= 10; n++) sender.send('receiver', String(n));
    await waitFor(() => numbers.length === 10, 'the messages sent before the restart');

    const senderLost = next(sender, 'disconnect');
    const receiverLost = next(receiver, 'disconnect');
    await stopHub(first.hub, first.listener, firstSide);
    const [{ error }] = (await senderLost) as [{ error?: Error }];
    expect((error as RelayError).codeName).toBe('SHUTDOWN');
    await receiverLost;

    for (let n = 11; n <= 30; n++) expect(sender.send('receiver', String(n))).toBe(false);

    // The receiver comes back first (through its own path) so nothing the sender flushes finds it missing.
    const second = new RelayHub();
    hubs.push(second);
    const receiverBack = next(receiver, 'reconnect');
    await listenOn(second, side);
    await receiverBack;
    const senderBack = next(sender, 'reconnect');
    const drained = next(sender, 'drain');
    await listenOn(second, socketPath);
    const [{ attempts }] = (await senderBack) as [{ attempts: number }];
    expect(attempts).toBeGreaterThanOrEqual(1);
    await drained;
    expect(sender.connected).toBe(true);

    for (let n = 31; n <= 40; n++) sender.send('receiver', String(n));
    const end = new Promise<void>((resolve) => receiver.on('message', (message) => message.text() === 'end' && resolve()));
    sender.send('receiver', 'end');
    await end;
    expect(numbers.slice(0, -1)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(second.moduleIds().sort()).toEqual(['receiver', 'sender']);
  });

  it('resubscribes presence after reconnecting', async () => {
    const first = await startHub();
    const watcher = await connect({ id: 'watcher', presence: true, reconnect: FAST_RECONNECT });
    const lost = next(watcher, 'disconnect');
    await stopHub(first.hub, first.listener);
    await lost;
    const back = next(watcher, 'reconnect');
    await startHub();
    await back;
    await watcher.list();
    const joined = next(watcher, 'presence');
    await connect({ id: 'newcomer' });
    expect((await joined)[0]).toEqual({ event: 'join', id: 'newcomer' });
  });

  it('keeps retrying while a live connection holds its ID and registers once that one leaves', async () => {
    const side = path.join(dir, 'side.sock');
    const first = await startHub();
    const client = await connect({ id: 'alpha', reconnect: FAST_RECONNECT });
    let closed = false;
    client.on('close', () => (closed = true));
    const lost = next(client, 'disconnect');
    await stopHub(first.hub, first.listener);
    await lost;

    const second = new RelayHub({ takeoverProbeMs: 50 });
    hubs.push(second);
    const events = collectHubEvents(second);
    await listenOn(second, side);
    const holder = await connect({ id: 'alpha', socket: side });
    await listenOn(second, socketPath);
    await waitFor(() => events.some((e) => e.type === 'error' && e.codeName === 'ID_IN_USE'), 'a reconnect attempt refused with ID_IN_USE');
    expect(closed).toBe(false);
    expect(client.connected).toBe(false);

    const back = next(client, 'reconnect');
    await holder.close();
    await back;
    expect(client.connected).toBe(true);
    expect(second.moduleIds()).toEqual(['alpha']);
  });

  it('takes its ID over from a registration that no longer answers when it reconnects', async () => {
    const side = path.join(dir, 'side.sock');
    const first = await startHub();
    const client = await connect({ id: 'alpha', reconnect: FAST_RECONNECT });
    const lost = next(client, 'disconnect');
    await stopHub(first.hub, first.listener);
    await lost;

    const second = new RelayHub({ takeoverProbeMs: 50 });
    hubs.push(second);
    const events = collectHubEvents(second);
    await listenOn(second, side);
    // A registration whose process stopped reading: it never answers the hub's PING.
    const stale = await connectSocket(parseSocketAddress(side));
    rawSockets.push(stale);
    stale.pause();
    stale.write(encodeHello({ id: 'alpha' }));
    await waitFor(() => second.moduleIds().includes('alpha'), 'the stale registration');
    const back = next(client, 'reconnect');
    await listenOn(second, socketPath);
    await back;
    await waitFor(() => events.some((e) => e.type === 'leave' && e.id === 'alpha' && e.code === ErrorCode.REPLACED), 'the stale registration to be replaced');
    const delivered = next(client, 'message');
    second.inject({ destination: 'alpha', payload: 'to the new holder' });
    expect(((await delivered)[0] as ReceivedMessage).text()).toBe('to the new holder');
  });

  it('throws BackpressureError once sends buffered while disconnected exceed maxBufferedBytes', async () => {
    const first = await startHub();
    const sender = await connect({ id: 'sender', reconnect: FAST_RECONNECT, maxBufferedBytes: 1000 });
    const lost = next(sender, 'disconnect');
    await stopHub(first.hub, first.listener);
    await lost;
    expect(sender.send('anyone', Buffer.alloc(600))).toBe(false);
    expect(() => sender.send('anyone', Buffer.alloc(600))).toThrow(BackpressureError);
  });

  it('stops reconnecting and closes when the new hub refuses the token', async () => {
    const first = await startHub();
    const client = await connect({ id: 'alpha', reconnect: FAST_RECONNECT });
    const lost = next(client, 'disconnect');
    await stopHub(first.hub, first.listener);
    await lost;
    const refused = next(client, 'disconnect');
    const closed = next(client, 'close');
    await startHub({ token: 'secret' });
    const [{ error }] = (await refused) as [{ error?: Error }];
    expect((error as RelayError).codeName).toBe('BAD_TOKEN');
    await closed;
    expect(client.connected).toBe(false);
  });

  it('closes after the last allowed reconnect attempt fails', async () => {
    const first = await startHub();
    const client = await connect({ id: 'alpha', reconnect: { initialDelayMs: 5, maxDelayMs: 5, maxAttempts: 2 } });
    const attempts: number[] = [];
    client.on('reconnecting', ({ attempt }) => attempts.push(attempt));
    const closed = next(client, 'close');
    await stopHub(first.hub, first.listener);
    await closed;
    expect(attempts).toEqual([1, 2]);
  });

  it('closes without reconnecting when reconnect is off', async () => {
    const first = await startHub();
    const client = await connect({ id: 'alpha', reconnect: false });
    const lost = next(client, 'disconnect');
    const closed = next(client, 'close');
    await stopHub(first.hub, first.listener);
    await lost;
    await closed;
    expect(() => client.send('anyone', 'x')).toThrow(ClosedError);
  });

  it('says BYE on close(), which the hub records as a goodbye', async () => {
    const { hub } = await startHub();
    const events = collectHubEvents(hub);
    const client = await connect({ id: 'alpha' });
    const closed = next(client, 'close');
    await client.close();
    await closed;
    expect(client.connected).toBe(false);
    await waitFor(() => events.some((e) => e.type === 'leave' && e.id === 'alpha'), 'the leave event');
    const leave = events.find((e): e is LeaveEvent => e.type === 'leave' && e.id === 'alpha');
    expect(leave?.reason).toBe('said goodbye');
    await client.close();
  });

  it('keeps an idle client connected past the hub idle timeout', async () => {
    // The hub's idle sweep and the client's keepalive are intervals that measure with
    // performance.now(): fake only those (the sockets keep real I/O, and vitest's fake clock lets
    // it through after each timer) so four idle timeouts pass without waiting for them.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    try {
      const { hub } = await startHub({ idleTimeoutMs: 150 });
      const client = await connect({ id: 'idle' });
      let disconnected = false;
      client.on('disconnect', () => (disconnected = true));
      // A module that never answers a PING, under the same clock: the hub does time it out.
      const silent = await connectSocket(parseSocketAddress(socketPath));
      rawSockets.push(silent);
      silent.write(encodeHello({ id: 'silent' }));
      await waitFor(() => hub.moduleIds().includes('silent'), 'the silent module registered');
      // Idleness needs time to pass: four idle timeouts without the client sending anything itself.
      await vi.advanceTimersByTimeAsync(600);
      expect(disconnected).toBe(false);
      expect(client.connected).toBe(true);
      expect(hub.moduleIds()).toEqual(['idle']);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('RelayClient frame limits', () => {
  it('reads LIST_REPLY, STATS_REPLY and TRAFFIC_RUN frames longer than maxPayload + 527 from a hub with a small maxPayload', async () => {
    await startHub({ maxPayload: 100 });
    const monitor = await connect({ id: '', monitor: true });
    let lost: Error | undefined;
    monitor.on('disconnect', ({ error }) => (lost = error ?? new Error('disconnected without an error')));
    const copies: TrafficFrame[] = [];
    monitor.on('traffic', (traffic) => copies.push(traffic));

    // A dozen long IDs make the LIST_REPLY and the STATS_REPLY longer than 100 + 527 bytes.
    const ids = Array.from({ length: 12 }, (_, i) => `module-${i}-${'x'.repeat(50)}`);
    for (const id of ids) await connect({ id });
    expect((await monitor.list()).sort()).toEqual([...ids].sort());
    expect((await monitor.stats()).modules).toHaveLength(12);

    // Twenty 100-byte messages in one write reach the monitor as one TRAFFIC_RUN of about 2.5 kB.
    const burst = await connectSocket(parseSocketAddress(socketPath));
    rawSockets.push(burst);
    const payload = Buffer.alloc(100, 0x62);
    burst.write(Buffer.concat([encodeHello({ id: 'burst' }), ...Array.from({ length: 20 }, () => encodeMessage(MessageKind.UNICAST, ids[0], payload))]));
    await waitFor(() => copies.length === 20 || lost !== undefined, 'the traffic copies of the burst');
    expect(lost).toBeUndefined();
    expect(copies.every((copy) => copy.source === 'burst' && copy.payload.equals(payload))).toBe(true);
    expect(monitor.connected).toBe(true);
  });
});

describe('RelayError', () => {
  it("carries the hub's own words in detail, apart from the code name that message starts with", async () => {
    await startHub();
    const asker = await connect({ id: 'asker' });
    const error = (await asker.request('ghost', 'anyone?').catch((err: unknown) => err)) as RelayError;
    expect(error.detail).toMatch(/ghost/);
    expect(error.message).toBe(`NO_SUCH_MODULE: ${error.detail}`);
  });
});
