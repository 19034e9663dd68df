import type { BackendTransport } from '../transport/BackendTransport';
import { PAGE_TOKEN_STORAGE_KEY } from '../transport/pageToken';

/** The page token the browser mode's download route needs; null in the desktop app (no HTTP there). */
function downloadToken(): string | null {
  if (window.relayscope !== undefined) return null;
  return window.sessionStorage.getItem(PAGE_TOKEN_STORAGE_KEY);
}

export function canDownload(transport: BackendTransport): boolean {
  return transport.description !== 'Electron IPC' && downloadToken() !== null;
}

/**
 * Saves a capture the serving machine wrote: fetched with the token in a header (the route refuses
 * requests without it), then handed to the browser's download as a Blob under its file name.
 */
export async function downloadCapture(captureId: string, name: string): Promise<void> {
  const token = downloadToken();
  if (token === null) throw new Error('no page token: open the URL relayscope serve printed');
  const response = await fetch(`/captures/${captureId}`, { headers: { 'X-Relayscope-Token': token } });
  if (!response.ok) throw new Error(`download failed: HTTP ${response.status}`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** What the server takes (electron/serve/BrowserModeServer.ts MAX_UPLOAD_BYTES); checked here first so the error comes at once. */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

/**
 * Sends a recording the user picked to the serving machine, which shows it in place of the opened
 * one (an offline serve only). The file goes to serve rather than being read in the page because the
 * indexed reader, the window of rows and the scan live there, as for serve --open.
 */
export async function uploadCapture(file: File): Promise<void> {
  const token = downloadToken();
  if (token === null) throw new Error('no page token: open the URL relayscope serve printed');
  if (file.size > MAX_UPLOAD_BYTES) throw new Error(`${file.name} is ${file.size} bytes; the browser mode takes recordings up to 512 MiB: open it with relayscope serve --open FILE`);
  const response = await fetch('/captures/upload', { method: 'POST', headers: { 'X-Relayscope-Token': token, 'X-Relayscope-Filename': file.name }, body: file });
  if (!response.ok) throw new Error((await response.text()).trim() || `upload failed: HTTP ${response.status}`);
}
