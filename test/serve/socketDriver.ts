import { WebSocket } from 'ws';
import type { CallResult, SocketServerMessage, WireEvent, WireSnapshot } from '../../electron/bridge/contract';
import type { Cleanup } from '../support/cleanup';
import type { ContractDriver } from '../bridge/contractBehaviour';

/** The browser mode's side of a page: the `token` cookie the printed URL sets, and the WebSocket at /bridge. */
export async function tokenCookie(baseUrl: string, token: string): Promise<string> {
  const response = await fetch(`${baseUrl}/?token=${token}`, { redirect: 'manual' });
  const setCookie = response.headers.get('set-cookie');
  if (response.status !== 302 || setCookie === null) throw new Error(`expected a redirect that sets the cookie, got ${response.status}`);
  return setCookie.split(';')[0];
}

export function openSocket(url: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused with HTTP ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

/** A ContractDriver that speaks SocketClientMessage / SocketServerMessage over a real WebSocket. */
export async function socketDriver(cleanup: Cleanup, port: number, token: string): Promise<ContractDriver> {
  const base = `http://127.0.0.1:${port}`;
  const cookie = await tokenCookie(base, token);
  const socket = await openSocket(`ws://127.0.0.1:${port}/bridge`, { Origin: base, Cookie: cookie });
  cleanup.add(() => socket.close());
  const events: WireEvent[] = [];
  const snapshots: WireSnapshot[] = [];
  const calls = new Map<number, (result: CallResult<unknown>) => void>();
  let nextId = 1;
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as SocketServerMessage;
    if ('push' in message) {
      if (message.push === 'hub:events') events.push(...(message.data as WireEvent[]));
      else snapshots.push(message.data as WireSnapshot);
    } else {
      calls.get(message.id)?.(message.result);
      calls.delete(message.id);
    }
  });
  return {
    events,
    snapshots,
    call(channel, args) {
      const id = nextId++;
      return new Promise((resolve) => {
        calls.set(id, resolve);
        socket.send(JSON.stringify({ id, channel, args }));
      });
    },
  };
}
