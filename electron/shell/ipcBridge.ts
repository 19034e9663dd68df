import type { BridgeService } from '../bridge/BridgeService';
import { INVOKE_CHANNELS, type CallResult } from '../bridge/contract';
import { isAppMainFrame, type SenderFrame } from './windowSecurity';

/** The parts of Electron's IpcMainInvokeEvent the bridge checks. */
export interface InvokeEvent {
  sender: { id: number };
  senderFrame: SenderFrame | null;
}

/** The parts of Electron's ipcMain the bridge uses. */
export interface InvokeRegistry {
  handle(channel: string, listener: (event: InvokeEvent, args: unknown) => Promise<CallResult<unknown>>): void;
  removeHandler(channel: string): void;
}

/** The parts of the window's webContents the bridge uses. */
export interface PushTarget {
  readonly id: number;
  isDestroyed(): boolean;
  send(channel: string, data: unknown): void;
}

/**
 * Serves every invoke channel of the contract through BridgeService, for calls from `target`'s main
 * frame showing the app's index.html only, and pushes hub events and snapshots to it. Returns the
 * function that undoes both.
 */
export function wireIpcBridge(ipcMain: InvokeRegistry, bridge: BridgeService, target: PushTarget, indexUrl: string): () => void {
  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(channel, async (event, args) => {
      if (event.sender.id !== target.id || !isAppMainFrame(event.senderFrame, indexUrl)) {
        return { ok: false, error: { code: 'FORBIDDEN', message: `${channel} is only answered for the Relayscope window's own page` } };
      }
      return bridge.call(channel, args);
    });
  }
  const unsubscribe = bridge.subscribe((channel, data) => {
    if (!target.isDestroyed()) target.send(channel, data);
  });
  return () => {
    unsubscribe();
    for (const channel of INVOKE_CHANNELS) ipcMain.removeHandler(channel);
  };
}
