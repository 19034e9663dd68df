import { useState } from 'react';
import type { CaptureFormatName, ExportArgs, WireCaptureFile } from '@contract';
import { formatBytes, formatCount } from '../format/numberFormat';
import { filterExpression } from '../state/filterExpression';
import type { TrafficStore } from '../state/TrafficStore';
import type { BackendTransport } from '../transport/BackendTransport';
import { canDownload, downloadCapture } from './captureTransfer';

/** "Export…": the recording, whole or through the table's filter, as .mcap, .pcapng or .jsonl. */
export function ExportControl({ transport, store, source }: { transport: BackendTransport; store: TrafficStore; source: ExportArgs['source'] }) {
  const [format, setFormat] = useState<CaptureFormatName>('pcapng');
  const [filtered, setFiltered] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<WireCaptureFile | null>(null);
  const [error, setError] = useState<string | null>(null);
  const expression = filterExpression(store.filterSpec);

  const run = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    const answer = await transport.export({ source, format, filter: filtered ? expression : '' });
    setBusy(false);
    if (!answer.ok) {
      setResult(null);
      setError(`${answer.error.code}: ${answer.error.message}`);
      return;
    }
    setResult(answer.value);
    if (canDownload(transport)) downloadCapture(answer.value.captureId, answer.value.name).catch((err: unknown) => setError(String(err)));
  };

  return (
    <div className="export-control" data-testid="export-control">
      <span>Export…</span>
      <select value={format} onChange={(event) => setFormat(event.target.value as CaptureFormatName)} data-testid="export-format" aria-label="export format">
        <option value="mcap">.mcap</option>
        <option value="pcapng">.pcapng (Wireshark)</option>
        <option value="jsonl">.jsonl</option>
      </select>
      <label title={expression === '' ? 'the filter bar selects everything' : `as a capture filter: ${expression}`}>
        <input type="checkbox" checked={filtered} onChange={(event) => setFiltered(event.target.checked)} data-testid="export-filtered" /> only what the filter shows
      </label>
      <button type="button" disabled={busy} onClick={() => void run()} data-testid="export-run">
        {busy ? 'exporting…' : 'export'}
      </button>
      {result !== null && (
        <span className="muted" data-testid="export-result" data-records={result.records} title={result.path}>
          {formatCount(result.records)} records · {formatBytes(result.size)} · {canDownload(transport) ? `downloaded as ${result.name}` : `saved to ${result.path}`}
        </span>
      )}
      {error !== null && (
        <span className="warn" data-testid="export-error">
          {error}
        </span>
      )}
    </div>
  );
}
