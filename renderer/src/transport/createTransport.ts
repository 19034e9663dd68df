import type { ContractCarrier } from '@contract';
import { backendTransport, type BackendTransport } from './BackendTransport';
import { createElectronTransport } from './electronTransport';
import { hasTokenFragment, takePageToken } from './pageToken';
import { bridgeUrl, WebSocketTransport } from './WebSocketTransport';

declare global {
  interface Window {
    /** Exposed by the Electron preload; absent in the browser mode. */
    relayscope?: ContractCarrier;
  }
}

/** Electron IPC inside the desktop app, else the browser mode's WebSocket on the page's own origin. */
export function createTransport(): BackendTransport {
  if (window.relayscope !== undefined) return createElectronTransport(window.relayscope);
  window.addEventListener('hashchange', () => {
    if (hasTokenFragment(window.location.hash)) window.location.reload();
  });
  const token = takePageToken(window.location, window.history, window.sessionStorage);
  return backendTransport(new WebSocketTransport({ url: bridgeUrl(window.location), token }));
}
