import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CAPTURE_FORMATS } from '../capture/captureFiles';

/**
 * A file dropped on the window makes Chromium navigate to its file: URL, which the window refuses
 * (hardenWebContents); when that URL names a capture file, the app opens it in the offline view
 * instead. Anything else (another scheme, another extension) is null and stays refused.
 */
export function droppedCapture(url: string): string | null {
  if (!url.startsWith('file://')) return null;
  let file: string;
  try {
    file = fileURLToPath(url);
  } catch {
    return null;
  }
  return Object.hasOwn(CAPTURE_FORMATS, path.extname(file).toLowerCase()) ? file : null;
}

/** The File → Open dialog's filter. */
export const CAPTURE_FILE_FILTERS = [{ name: 'Relayscope captures', extensions: Object.keys(CAPTURE_FORMATS).map((extension) => extension.slice(1)) }];
