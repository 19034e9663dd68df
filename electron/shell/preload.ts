/**
 * Runs sandboxed before the page: exposes window.relayscope, the contract's ContractCarrier (one
 * generic invoke, one subscription per push channel), so the page never holds ipcRenderer itself.
 *
 * Why a generic carrier and not one method per channel: a sandboxed preload can require only
 * 'electron' and a few built-ins, and the build (tsc to CommonJS) bundles nothing, so a run-time
 * import of the contract's channel table would be a require() the sandbox refuses. This file
 * therefore knows no contract channel at run time. Every call travels on the one IPC channel
 * ELECTRON_IPC.invoke as (channel, args), and the main process checks the channel and its
 * arguments against the table (BridgeService.call), as it does for the browser mode's WebSocket;
 * the page builds the named methods from the same table (contractApi, in the renderer's transport).
 * The only literals here are the two IPC channel names, typed by a type-only import so the compiler
 * holds them to the contract's.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ContractCarrier, ELECTRON_IPC, PushChannel, PushData } from '../bridge/contract';

const IPC: typeof ELECTRON_IPC = { invoke: 'relayscope:invoke', push: 'relayscope:push' };

const carrier: ContractCarrier = {
  invoke: (channel, args) => ipcRenderer.invoke(IPC.invoke, channel, args),
  on<C extends PushChannel>(channel: C, callback: (data: PushData<C>) => void) {
    if (typeof callback !== 'function') throw new TypeError(`the ${channel} callback must be a function`);
    // Hands the page only the pushed data, never the IPC event (it carries the sender and ports).
    const listener = (_event: IpcRendererEvent, pushedChannel: unknown, data: PushData<C>): void => {
      if (pushedChannel === channel) callback(data);
    };
    ipcRenderer.on(IPC.push, listener);
    return () => {
      ipcRenderer.removeListener(IPC.push, listener);
    };
  },
};

contextBridge.exposeInMainWorld('relayscope', carrier);
