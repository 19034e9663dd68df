import { useEffect, useState } from 'react';
import type { WireRecordingStatus } from '@contract';
import { formatBytes, formatCount } from '../format/numberFormat';
import { formatDuration } from '../format/timeFormat';
import type { TrafficStore } from '../state/TrafficStore';
import type { BackendTransport } from '../transport/BackendTransport';
import { canDownload, downloadCapture } from './captureTransfer';
import { ExportControl } from './ExportControl';

const STATUS_POLL_MS = 500;

/**
 * The Record button of the live view. The file is written where the hub's traffic is (the hub's own
 * process, or serve's monitor connection when attached) and, in the browser mode, offered for
 * download once stopped.
 */
export function RecordControl({ transport, store, attached }: { transport: BackendTransport; store: TrafficStore; attached: boolean }) {
  const [status, setStatus] = useState<WireRecordingStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const running = status?.running === true;

  useEffect(() => {
    void transport.recordStatus().then((result) => {
      if (result.ok) setStatus(result.value);
    });
  }, [transport]);

  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      void transport.recordStatus().then((result) => {
        if (result.ok) setStatus(result.value);
      });
    }, STATUS_POLL_MS);
    return () => clearInterval(timer);
  }, [transport, running]);

  const toggle = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    const result = running ? await transport.recordStop() : await transport.recordStart();
    setBusy(false);
    if (result.ok) setStatus(result.value);
    else setError(`${result.error.code}: ${result.error.message}`);
  };

  const download = (): void => {
    if (status?.captureId == null) return;
    downloadCapture(status.captureId, status.path.split('/').pop() ?? 'recording.mcap').catch((err: unknown) => setError(String(err)));
  };

  return (
    <div className="record-control" data-testid="record-control" data-recording={running ? 'running' : 'stopped'}>
      <button type="button" className={running ? 'record running' : 'record'} disabled={busy} onClick={() => void toggle()} data-testid="record-toggle">
        {running ? '■ Stop' : '● Record'}
      </button>
      {status !== null && (
        <span data-testid="record-status" data-messages={status.messages} data-missed={status.missed} title={status.path}>
          {formatDuration(status.elapsedMs)} · {formatCount(status.messages)} msgs · {formatBytes(status.bytes)} ·{' '}
          <span className={status.missed > 0 ? 'warn' : ''}>missed {formatCount(status.missed)}</span>
          {status.missedPossible && <span className="muted"> (recorded from a monitor connection: the hub may drop copies towards it, counted here)</span>}
          {!status.running && <span className="muted"> · saved {status.path}</span>}
        </span>
      )}
      {status !== null && !status.running && status.captureId !== null && canDownload(transport) && (
        <button type="button" onClick={download} data-testid="record-download">
          download
        </button>
      )}
      {status !== null && !status.running && status.captureId !== null && <ExportControl transport={transport} store={store} source="recording" />}
      {status?.error != null && <span className="warn">{status.error}</span>}
      {error !== null && (
        <span className="warn" data-testid="record-error">
          {error}
        </span>
      )}
      {attached && status === null && <span className="muted">attached: a recording here comes over the monitor connection</span>}
    </div>
  );
}
