import type { RelayscopeApi } from '../../../electron/bridge/contract';
import type { BackendTransport } from './BackendTransport';
import { createElectronTransport } from './electronTransport';
import { bridgeUrl, WebSocketTransport } from './WebSocketTransport';

declare global {
  interface Window {
    /** Exposed by the Electron preload; absent in the browser mode. */
    relayscope?: RelayscopeApi;
  }
}

/** Electron IPC inside the desktop app, else the browser mode's WebSocket on the page's own origin. */
export function createTransport(): BackendTransport {
  if (window.relayscope !== undefined) return createElectronTransport(window.relayscope);
  return new WebSocketTransport({ url: bridgeUrl(window.location) });
}
