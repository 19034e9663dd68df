import { type ReactNode, useEffect, useState, useSyncExternalStore } from 'react';
import { base64ToBytes, bytesToBase64 } from '../format/base64';
import { hexDump } from '../format/hexDump';
import { formatBytes, formatCount } from '../format/numberFormat';
import { renderPayload, suggestEncoding } from '../format/payloadEncoding';
import { prettyJson } from '../format/prettyJson';
import { formatMicros } from '../format/timeFormat';
import { decodeUtf8 } from '../format/utf8';
import type { TimeDisplay } from '../state/TimeDisplay';
import type { TrafficStore } from '../state/TrafficStore';
import type { TrafficRow } from '../state/trafficRows';
import type { BackendTransport } from '../transport/BackendTransport';
import { ConversationFacts } from './ConversationFacts';
import { CopyAsControl } from './CopyAsControl';
import type { ComposerDraft } from './InjectComposer';
import { conversationPeers } from './RowMenu';
import { TapFacts } from './TapFacts';

// What the views render of a large payload; copying always takes all of it.
const HEX_DISPLAY_BYTES = 64 * 1024;
const TEXT_DISPLAY_CHARS = 256 * 1024;
const JSON_DISPLAY_BYTES = 1024 * 1024;

type PayloadState = { status: 'loading' } | { status: 'full'; bytes: Uint8Array } | { status: 'preview-only'; bytes: Uint8Array; reason: string };

const LOADING: PayloadState = { status: 'loading' };

let nextDraftNonce = 1;

/**
 * A payload no longer than the preview is all in the row: shown at once, without a fetch. Under load
 * the fetch's round trip through the backend was most of a click's response (docs/PERFORMANCE.md, UI).
 */
export function holdsWholePayload(row: TrafficRow): boolean {
  return row.seq !== null && row.size === row.preview.byteLength;
}

export function DetailPane({
  row,
  transport,
  store,
  timeDisplay,
  onSelect,
  onFollow,
  onInjectAgain,
  onClose,
}: {
  row: TrafficRow | null;
  transport: BackendTransport;
  store: TrafficStore;
  timeDisplay: TimeDisplay;
  /** Go to another row (the other half of a request/reply pair). */
  onSelect: (row: TrafficRow) => void;
  /** Follow the conversation between two modules: the filter shows their rows, both ways. */
  onFollow: (module: string, peer: string) => void;
  /** Absent in the offline view, which has no composer. */
  onInjectAgain?: (draft: ComposerDraft) => void;
  onClose: () => void;
}) {
  useSyncExternalStore(timeDisplay.subscribe, timeDisplay.getVersion);
  // Tagged with the row it belongs to, so a new selection never shows the previous row's payload.
  const [fetched, setFetched] = useState<{ rowNumber: number; state: PayloadState } | null>(null);

  useEffect(() => {
    if (row === null || row.seq === null || holdsWholePayload(row)) return;
    let current = true;
    const settle = (state: PayloadState): void => {
      if (current) setFetched({ rowNumber: row.rowNumber, state });
    };
    void transport.payload({ seq: row.seq }).then((result) => {
      if (!result.ok) {
        settle({ status: 'preview-only', bytes: row.preview, reason: `could not fetch the full payload (${result.error.code}: ${result.error.message})` });
      } else if (result.value === null) {
        settle({ status: 'preview-only', bytes: row.preview, reason: 'the backend no longer holds this payload (evicted)' });
      } else {
        settle({ status: 'full', bytes: base64ToBytes(result.value.payloadBase64) });
      }
    });
    return () => {
      current = false;
    };
  }, [row, transport]);

  if (row === null) {
    return (
      <section className="panel detail-pane empty" data-testid="detail-pane" aria-label="Message detail">
        <header className="panel-header">
          <h2>Detail</h2>
        </header>
        <p className="muted padded">Click a row to see its full payload as text, hex and JSON. Esc clears the selection; / jumps to the filter; space pauses the live tail.</p>
      </section>
    );
  }

  const isMessage = row.note === null;
  const payload: PayloadState = holdsWholePayload(row) ? { status: 'full', bytes: row.preview } : fetched !== null && fetched.rowNumber === row.rowNumber ? fetched.state : LOADING;
  const bytes = !isMessage ? new TextEncoder().encode(row.note ?? '') : payload.status === 'loading' ? row.preview : payload.bytes;
  const peers = conversationPeers(row);
  const isReference = timeDisplay.reference?.rowNumber === row.rowNumber;
  const injectAgain = (): void => {
    const encoding = suggestEncoding(bytes);
    onInjectAgain?.({
      nonce: nextDraftNonce++,
      target: row.kind === 'broadcast' || row.destination === null ? 'broadcast' : row.destination,
      source: row.source,
      encoding,
      payload: renderPayload(bytes, encoding),
    });
  };

  return (
    <section className="panel detail-pane" data-testid="detail-pane" data-row-number={row.rowNumber} data-payload={isMessage ? payload.status : 'none'} aria-label="Message detail">
      <header className="panel-header">
        <h2>Detail</h2>
        <span className="mono">{formatMicros(row.timeMicros)}</span>
        <span className={`kind kind-${row.kind}`}>{row.kind}</span>
        <span className="spacer" />
        {isMessage && onInjectAgain !== undefined && (
          <button type="button" onClick={injectAgain} disabled={payload.status === 'loading'} title="Prefill the composer with this message">
            inject again
          </button>
        )}
        <button type="button" onClick={onClose} title="Clear the selection (Esc)">
          ✕
        </button>
      </header>
      <dl className="detail-facts mono">
        <dt>route</dt>
        <dd>
          {row.source || '—'} → {row.destination ?? (row.kind === 'broadcast' ? '* (broadcast)' : '—')}
        </dd>
        {isMessage && (
          <>
            <dt>size</dt>
            <dd>
              {formatCount(row.size)} bytes{row.size >= 1024 ? ` (${formatBytes(row.size)})` : ''}
            </dd>
            <dt>seq / corr</dt>
            <dd>
              {row.seq} / {row.correlationId}
              {row.injected ? ' · injected' : ''}
            </dd>
            <ConversationFacts store={store} row={row} onSelect={onSelect} />
            <TapFacts row={row} bytes={bytes} />
          </>
        )}
      </dl>
      <div className="detail-actions">
        <button
          type="button"
          className={`small${isReference ? ' primary' : ''}`}
          aria-pressed={isReference}
          onClick={() => timeDisplay.toggleReference({ rowNumber: row.rowNumber, timeMicros: row.timeMicros })}
          title="Show the table's times relative to this row (again: stop)"
          data-testid="detail-time-reference"
        >
          {isReference ? 'time reference ✓' : 'set as time reference'}
        </button>
        {peers !== null && (
          <button
            type="button"
            className="small"
            onClick={() => onFollow(peers[0], peers[1])}
            title={`Filter the table to the traffic between ${peers[0]} and ${peers[1]}, both ways`}
            data-testid="detail-follow"
          >
            follow conversation {peers[0]} ⇄ {peers[1]}
          </button>
        )}
      </div>
      {isMessage && payload.status === 'loading' && <p className="muted notice">fetching the full payload…</p>}
      {payload.status === 'preview-only' && isMessage && (
        <p className="notice warn">
          {payload.reason}; showing the first {bytes.length} of {formatCount(row.size)} bytes.
        </p>
      )}
      <PayloadViews bytes={bytes} isMessage={isMessage}>
        {isMessage && payload.status !== 'loading' && <CopyAsControl kind={row.kind} source={row.source} destination={row.destination} bytes={bytes} complete={payload.status === 'full'} />}
      </PayloadViews>
    </section>
  );
}

function PayloadViews({ bytes, isMessage, children }: { bytes: Uint8Array; isMessage: boolean; children: ReactNode }) {
  const text = decodeUtf8(bytes);
  const json = isMessage && bytes.length <= JSON_DISPLAY_BYTES ? prettyJson(text) : null;
  return (
    <div className="payload-views">
      <PayloadView title="text" testId="detail-text" copyText={text} note={text.length > TEXT_DISPLAY_CHARS ? `first ${formatCount(TEXT_DISPLAY_CHARS)} characters` : null}>
        {text.length > TEXT_DISPLAY_CHARS ? text.slice(0, TEXT_DISPLAY_CHARS) : text}
      </PayloadView>
      <PayloadView title="hex" testId="detail-hex" copyText={() => hexDump(bytes)} note={bytes.length > HEX_DISPLAY_BYTES ? `first ${formatBytes(HEX_DISPLAY_BYTES)}` : null}>
        {hexDump(bytes, HEX_DISPLAY_BYTES)}
      </PayloadView>
      <PayloadView title="json" testId="detail-json" copyText={json?.ok ? json.text : null} note={null}>
        {json === null ? (
          <span className="muted">{isMessage ? `not parsed: larger than ${formatBytes(JSON_DISPLAY_BYTES)}` : 'no payload'}</span>
        ) : json.ok ? (
          json.text
        ) : (
          <span className="muted">not JSON: {json.error}</span>
        )}
      </PayloadView>
      <CopyButton label="copy base64" text={() => bytesToBase64(bytes)} />
      {children}
    </div>
  );
}

function PayloadView({ title, testId, copyText, note, children }: { title: string; testId: string; copyText: string | (() => string) | null; note: string | null; children: ReactNode }) {
  return (
    <div className="payload-view">
      <div className="payload-view-header">
        <span className="strong">{title}</span>
        {note !== null && <span className="muted">({note})</span>}
        <span className="spacer" />
        {copyText !== null && <CopyButton label="copy" text={copyText} />}
      </div>
      <pre className="mono payload-body" data-testid={testId}>
        {children}
      </pre>
    </div>
  );
}

function CopyButton({ label, text }: { label: string; text: string | (() => string) }) {
  const [outcome, setOutcome] = useState<string | null>(null);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(typeof text === 'function' ? text() : text);
      setOutcome('copied');
    } catch (error) {
      setOutcome(`copy failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    setTimeout(() => setOutcome(null), 2000);
  };
  return (
    <span className="copy">
      <button type="button" className="small" onClick={() => void copy()}>
        {label}
      </button>
      {outcome !== null && <span className={outcome === 'copied' ? 'muted' : 'inline-error'}> {outcome}</span>}
    </span>
  );
}
