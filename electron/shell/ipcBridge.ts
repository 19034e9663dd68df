import type { BridgeService } from '../bridge/BridgeService';
import { ELECTRON_IPC, type CallResult } from '../bridge/contract';
import { isAppMainFrame, type SenderFrame } from './windowSecurity';

/** The parts of Electron's IpcMainInvokeEvent the bridge checks. */
export interface InvokeEvent {
  sender: { id: number };
  senderFrame: SenderFrame | null;
}

/** The parts of Electron's ipcMain the bridge uses. */
export interface InvokeRegistry {
  handle(channel: string, listener: (event: InvokeEvent, contractChannel: unknown, args: unknown) => Promise<CallResult<unknown>>): void;
  removeHandler(channel: string): void;
}

/** The parts of the window's webContents the bridge uses. */
export interface PushTarget {
  readonly id: number;
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
}

/**
 * Serves the contract through BridgeService on the one IPC channel ELECTRON_IPC.invoke, whose
 * calls name the contract channel (BridgeService checks it against the channel table), for calls
 * from `target`'s main frame showing the app's index.html only; pushes hub events and snapshots to
 * it on ELECTRON_IPC.push. Returns the function that undoes both.
 */
export function wireIpcBridge(ipcMain: InvokeRegistry, bridge: BridgeService, target: PushTarget, indexUrl: string): () => void {
  ipcMain.handle(ELECTRON_IPC.invoke, async (event, channel, args) => {
    if (event.sender.id !== target.id || !isAppMainFrame(event.senderFrame, indexUrl)) {
      return { ok: false, error: { code: 'FORBIDDEN', message: `${String(channel)} is only answered for the Relayscope window's own page` } };
    }
    return bridge.call(channel, args);
  });
  const unsubscribe = bridge.subscribe((channel, data) => {
    if (!target.isDestroyed()) target.send(ELECTRON_IPC.push, channel, data);
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(ELECTRON_IPC.invoke);
  };
}
