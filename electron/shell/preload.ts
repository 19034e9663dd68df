/**
 * Runs sandboxed before the page: exposes window.relayscope (the contract's RelayscopeApi), one
 * named method per channel, so the page never holds ipcRenderer itself. A sandboxed preload can
 * require only 'electron' and a few built-ins, hence type-only imports from the project.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { CallResult, InvokeChannel, InvokeChannels, PushChannel, PushChannels, RelayscopeApi } from '../bridge/contract';

function invoke<C extends InvokeChannel>(channel: C, args: InvokeChannels[C]['args']): Promise<CallResult<InvokeChannels[C]['result']>> {
  return ipcRenderer.invoke(channel, args);
}

/** Passes the page only the pushed data, never the IPC event (it carries the sender and ports). */
function subscribe<C extends PushChannel>(channel: C, callback: (data: PushChannels[C]) => void): () => void {
  if (typeof callback !== 'function') throw new TypeError(`the ${channel} callback must be a function`);
  const listener = (_event: IpcRendererEvent, data: PushChannels[C]): void => callback(data);
  ipcRenderer.on(channel, listener);
  return () => {
    ipcRenderer.removeListener(channel, listener);
  };
}

const api: RelayscopeApi = {
  snapshot: () => invoke('hub:snapshot', null),
  inject: (args) => invoke('hub:inject', args),
  request: (args) => invoke('hub:request', args),
  kick: (args) => invoke('hub:kick', args),
  payload: (args) => invoke('hub:payload', args),
  listen: (args) => invoke('hub:listen', args),
  onEvents: (callback) => subscribe('hub:events', callback),
  onSnapshot: (callback) => subscribe('hub:snapshot', callback),
};

contextBridge.exposeInMainWorld('relayscope', api);
