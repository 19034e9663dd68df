import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The files the window needs, found from the directory of the compiled main.js (dist/electron/shell). */
export interface AppFiles {
  preload: string;
  indexHtml: string;
  /** The file:// URL loadFile gives the page, against which IPC senders are checked. */
  indexUrl: string;
}

export function appFiles(compiledMainDir: string): AppFiles {
  const indexHtml = path.join(compiledMainDir, '..', '..', 'renderer', 'index.html');
  return { preload: path.join(compiledMainDir, 'preload.js'), indexHtml, indexUrl: pathToFileURL(indexHtml).href };
}

/**
 * The window's webPreferences, per Electron's security checklist: the page runs sandboxed without
 * Node, its scripts cannot reach the preload's world, and it only gets what the preload exposes.
 */
export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/**
 * Sent as a header on top of the page's own meta-tag policy (both apply). The window talks to the
 * backend over IPC only, so it needs no network at all; React sets inline styles.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The parts of an IPC sender frame that identify it (Electron's WebFrameMain has them). */
export interface SenderFrame {
  url: string;
  parent: unknown;
}

/**
 * True for the window's main frame showing the app's own index.html. Anything else (a subframe, a
 * page reached some other way, a frame already gone) must not drive the hub.
 */
export function isAppMainFrame(frame: SenderFrame | null, indexUrl: string): boolean {
  if (frame === null || frame.parent !== null) return false;
  let url: URL;
  try {
    url = new URL(frame.url);
  } catch {
    return false;
  }
  const expected = new URL(indexUrl);
  // The fragment is the page's own business (in-page navigation); everything before it must match.
  return url.protocol === 'file:' && url.host === expected.host && url.pathname === expected.pathname && url.search === '';
}
