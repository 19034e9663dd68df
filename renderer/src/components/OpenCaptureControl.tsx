import { useCallback, useEffect, useRef, useState } from 'react';
import type { BackendTransport } from '../transport/BackendTransport';
import { canDownload, uploadCapture } from './captureTransfer';

/** What a recording dropped on a live view is told: only an offline serve takes uploads. */
const LIVE_DROP_REFUSAL = 'This page shows a live hub; to look at a recording, run relayscope serve --open FILE (or drop it on a page that shows one).';

/**
 * Opening another recording in the browser mode: the file picker of the offline view, and a file
 * dropped anywhere on the page. Without the drop handler the browser would leave the page to show
 * the dropped file, and the live view with it. The desktop app handles drops in its main process
 * (electron/shell/droppedCapture.ts), so this does nothing there.
 */
export function OpenCaptureControl({ transport, offline, onOpened }: { transport: BackendTransport; offline: boolean; onOpened: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const enabled = canDownload(transport);
  // The latest callback, so the window's drop listeners are not replaced on every render.
  const openedRef = useRef(onOpened);
  openedRef.current = onOpened;
  const open = useCallback((file: File): void => {
    setError(null);
    uploadCapture(file).then(
      () => openedRef.current(),
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  }, []);

  useEffect(() => {
    if (!enabled) return;
    const carriesFiles = (event: DragEvent): boolean => event.dataTransfer?.types.includes('Files') === true;
    const over = (event: DragEvent): void => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer !== null) event.dataTransfer.dropEffect = 'copy';
    };
    const drop = (event: DragEvent): void => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      const file = event.dataTransfer?.files[0];
      if (file === undefined) return;
      if (offline) open(file);
      else setError(LIVE_DROP_REFUSAL);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, [enabled, offline, open]);

  if (!enabled) return null;
  return (
    <>
      {offline && (
        <label className="open-file" title="Upload a recording to serve and show it here instead (or drop it on the page)">
          open another…{' '}
          <input
            type="file"
            accept=".mcap,.pcapng,.jsonl"
            data-testid="open-file"
            onChange={(event) => {
              const file = event.target.files?.[0];
              event.target.value = '';
              if (file !== undefined) open(file);
            }}
          />
        </label>
      )}
      {error !== null && (
        <span className="warn" role="alert" data-testid="open-error">
          {error}
        </span>
      )}
    </>
  );
}
