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
