import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BridgeService } from '../../electron/bridge/BridgeService';
import { contractApi, ELECTRON_IPC, SNAPSHOT_INTERVAL_MS, type ContractCarrier, type RelayscopeApi, type WireEvent, type WireSnapshot } from '../../electron/bridge/contract';
import { LocalHubBackend } from '../../electron/bridge/LocalHubBackend';
import { RelayClient, type ReceivedMessage } from '../../electron/client';
import { wireIpcBridge, type InvokeEvent } from '../../electron/shell/ipcBridge';
import type { SenderFrame } from '../../electron/shell/windowSecurity';
import { Cleanup } from '../support/cleanup';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const INDEX_URL = 'file:///app/dist/renderer/index.html';
const WINDOW_ID = 7;

type Listener = (...args: unknown[]) => unknown;

/**
 * Electron's IPC as both ends see it: ipcMain.handle/removeHandler, ipcRenderer.invoke/on/
 * removeListener, webContents.send and contextBridge. Values cross by structured clone, as they
 * do between processes.
 */
class FakeElectronIpc {
  readonly handlers = new Map<string, (event: InvokeEvent, ...args: unknown[]) => Promise<unknown>>();
  readonly rendererListeners = new Map<string, Set<Listener>>();
  readonly exposed = new Map<string, unknown>();
  sender = { id: WINDOW_ID };
  senderFrame: SenderFrame | null = { url: INDEX_URL, parent: null };

  readonly ipcMain = {
    handle: (channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => Promise<unknown>) => {
      if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      this.handlers.set(channel, listener);
    },
    removeHandler: (channel: string) => this.handlers.delete(channel),
  };

  readonly webContents = {
    id: WINDOW_ID,
    isDestroyed: () => false,
    send: (channel: string, ...args: unknown[]) => {
      for (const listener of this.rendererListeners.get(channel) ?? []) listener({ sender: 'the IPC event, which must not reach the page' }, ...structuredClone(args));
    },
  };

  readonly electronModule = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => this.exposed.set(key, api) },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => {
        const handler = this.handlers.get(channel);
        if (handler === undefined) throw new Error(`No handler registered for '${channel}'`);
        return structuredClone(await handler({ sender: this.sender, senderFrame: this.senderFrame }, ...structuredClone(args)));
      },
      on: (channel: string, listener: Listener) => {
        if (!this.rendererListeners.has(channel)) this.rendererListeners.set(channel, new Set());
        this.rendererListeners.get(channel)?.add(listener);
      },
      removeListener: (channel: string, listener: Listener) => this.rendererListeners.get(channel)?.delete(listener),
    },
  };
}

/**
 * Compiles electron/shell/preload.ts as the build does and runs it the way Electron runs a sandboxed
 * preload: a function of require, process, exports and module, whose require knows only 'electron'.
 */
function runPreload(ipc: FakeElectronIpc): ContractCarrier {
  const source = fs.readFileSync(path.join(REPO_ROOT, 'electron', 'shell', 'preload.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, strict: true } });
  const required: string[] = [];
  const preloadRequire = (name: string): unknown => {
    required.push(name);
    if (name === 'electron') return ipc.electronModule;
    throw new Error(`module not found: ${name}`);
  };
  const exports = {};
  vm.compileFunction(outputText, ['require', 'process', 'exports', 'module'])(preloadRequire, {}, exports, { exports });
  expect(required).toEqual(['electron']);
  return ipc.exposed.get('relayscope') as ContractCarrier;
}

describe('the IPC bridge between the preload and the hub', () => {
  let cleanup: Cleanup;
  let socket: string;
  let ipc: FakeElectronIpc;
  let carrier: ContractCarrier;
  /** The page's API: the contract's methods over the preload's carrier, as the renderer builds it. */
  let api: RelayscopeApi;
  let unwire: () => void;
  let backend: LocalHubBackend;

  beforeEach(async () => {
    cleanup = new Cleanup();
    const dir = makeTempDir();
    cleanup.add(() => removeTempDir(dir));
    socket = path.join(dir, 'hub.sock');
    backend = await LocalHubBackend.start([{ kind: 'path', path: socket }]);
    cleanup.add(() => backend.close());
    ipc = new FakeElectronIpc();
    unwire = wireIpcBridge(ipc.ipcMain, new BridgeService(backend), ipc.webContents, INDEX_URL);
    cleanup.add(() => unwire());
    carrier = runPreload(ipc);
    api = contractApi(carrier);
  });

  afterEach(() => cleanup.run());

  async function connectModule(id: string): Promise<RelayClient> {
    const client = await RelayClient.connect({ id, socket, reconnect: false });
    cleanup.add(() => client.close());
    return client;
  }

  it('exposes window.relayscope as the contract carrier only, answered by one IPC handler', () => {
    expect(Object.keys(carrier).sort()).toEqual(['invoke', 'on']);
    expect([...ipc.handlers.keys()]).toEqual([ELECTRON_IPC.invoke]);
  });

  // The preload forwards any channel name the page gives it; the main process is what refuses.
  it('answers a channel the contract does not list with a failed call', async () => {
    const unknown = carrier.invoke('hub:shutdown' as 'hub:snapshot', null);
    expect(await unknown).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
  });

  it('answers a snapshot call from the window with the connected modules', async () => {
    await connectModule('sensor');
    const result = await api.snapshot();
    expect(result.ok && result.value.modules.map((m) => m.id)).toEqual(['sensor']);
  });

  it('delivers a message injected from the window to a real module', async () => {
    const receiver = await connectModule('sensor');
    const received = new Promise<ReceivedMessage>((resolve) => receiver.once('message', resolve));
    expect(await api.inject({ source: 'ui', destination: 'sensor', kind: 'unicast', payloadBase64: Buffer.from('calibrate').toString('base64') })).toEqual({ ok: true, value: null });
    const message = await received;
    expect({ source: message.source, text: message.text() }).toEqual({ source: 'ui', text: 'calibrate' });
  });

  it('returns invalid arguments from the window as a failed call, not an exception', async () => {
    expect(await api.kick({ id: '' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENTS' } });
  });

  it('pushes events and snapshots to the page as bare data, and stops once unsubscribed', async () => {
    // Every argument the page's callback gets: the batch alone, never the IPC event before it.
    const calls: unknown[][] = [];
    const batches = (): WireEvent[][] => calls.map((args) => args[0] as WireEvent[]);
    const snapshots: WireSnapshot[] = [];
    const stopEvents = api.onEvents((...args: unknown[]) => calls.push(args));
    api.onSnapshot((snapshot) => snapshots.push(snapshot));
    await connectModule('sensor');
    await waitUntil(
      () =>
        batches()
          .flat()
          .some((event) => event.type === 'join' && event.id === 'sensor'),
      'the join event pushed to the page',
    );
    await waitUntil(() => snapshots.some((snapshot) => snapshot.modules.length === 1), 'a pushed snapshot with the module', 3000);
    expect(calls.every((args) => args.length === 1 && Array.isArray(args[0]))).toBe(true);

    stopEvents();
    // Only the snapshot subscription still listens on the push channel.
    expect(ipc.rendererListeners.get(ELECTRON_IPC.push)?.size).toBe(1);
    const seen = calls.length;
    await connectModule('actuator');
    await waitUntil(() => snapshots.some((snapshot) => snapshot.modules.length === 2), 'a snapshot with both modules', 3000);
    expect(calls.length).toBe(seen);
  });

  it.each([
    ['a subframe of the window', () => ({ sender: { id: WINDOW_ID }, senderFrame: { url: INDEX_URL, parent: { url: INDEX_URL } } })],
    ['another page in the window', () => ({ sender: { id: WINDOW_ID }, senderFrame: { url: 'file:///tmp/other.html', parent: null } })],
    ['another window', () => ({ sender: { id: WINDOW_ID + 1 }, senderFrame: { url: INDEX_URL, parent: null } })],
    ['a frame already gone', () => ({ sender: { id: WINDOW_ID }, senderFrame: null })],
  ])('refuses calls from %s without touching the hub', async (_name, sender) => {
    const module = await connectModule('sensor');
    let kicked = false;
    module.once('disconnect', () => (kicked = true));
    Object.assign(ipc, sender());
    expect(await api.kick({ id: 'sensor' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await api.snapshot()).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(kicked).toBe(false);
  });

  it('removes every handler and stops pushing when unwired', async () => {
    // The periodic snapshot runs on setInterval: wire again under a fake one (only it, and its
    // clear; the hub's sockets keep real I/O) so the intervals after unwiring pass without waiting.
    unwire();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    cleanup.add(() => vi.useRealTimers());
    unwire = wireIpcBridge(ipc.ipcMain, new BridgeService(backend), ipc.webContents, INDEX_URL);
    const snapshots: WireSnapshot[] = [];
    api.onSnapshot((snapshot) => snapshots.push(snapshot));
    // The fake interval is what pushes: one tick, one more snapshot.
    const beforeTick = snapshots.length;
    await vi.advanceTimersByTimeAsync(SNAPSHOT_INTERVAL_MS);
    await waitUntil(() => snapshots.length > beforeTick, 'the snapshot of one fake interval');

    unwire();
    expect(ipc.handlers.size).toBe(0);
    await expect(api.snapshot()).rejects.toThrow(`No handler registered for '${ELECTRON_IPC.invoke}'`);
    const seen = snapshots.length;
    await vi.advanceTimersByTimeAsync(SNAPSHOT_INTERVAL_MS * 3);
    // The backend's snapshot resolves in microtasks; one turn of the event loop lets any push land.
    await new Promise((resolve) => setImmediate(resolve));
    expect(snapshots.length).toBe(seen);
  });
});
