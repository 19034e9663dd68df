import { WebSocket } from 'ws';
import type { CallResult, SocketServerMessage, WireEvent, WireSnapshot } from '../../electron/bridge/contract';
import { bridgeProtocols } from '../../renderer/src/transport/pageToken';
import type { Cleanup } from '../support/cleanup';
import type { ContractDriver } from '../bridge/contractBehaviour';

/**
 * Opens a WebSocket as a page would: `protocols` are the subprotocols it offers (the page's own
 * bridgeProtocols(token), so these tests fail if the page and the server disagree on them).
 */
export function openSocket(url: string, headers: Record<string, string>, protocols: string[] = []): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, { headers });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      reject(new Error(`upgrade refused with HTTP ${response.statusCode}`));
    });
    socket.once('error', reject);
  });
}

/** The bridge of the server on `port`, opened with `token` from an Origin of that server. */
export function openBridge(port: number, token: string): Promise<WebSocket> {
  return openSocket(`ws://127.0.0.1:${port}/bridge`, { Origin: `http://127.0.0.1:${port}` }, bridgeProtocols(token));
}

/** A ContractDriver that speaks SocketClientMessage / SocketServerMessage over a real WebSocket. */
export async function socketDriver(cleanup: Cleanup, port: number, token: string): Promise<ContractDriver> {
  const socket = await openBridge(port, token);
  cleanup.add(() => socket.close());
  const events: WireEvent[] = [];
  const snapshots: WireSnapshot[] = [];
  const calls = new Map<number, (result: CallResult<unknown>) => void>();
  let nextId = 1;
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as SocketServerMessage;
    if ('push' in message) {
      if (message.push === 'hub:events') events.push(...(message.data as WireEvent[]));
      else if (message.push === 'hub:snapshot') snapshots.push(message.data as WireSnapshot);
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
