import { useEffect, useState } from 'react';
import type { WireSnapshot } from '@contract';
import { base64ToBytes, bytesToBase64 } from '../format/base64';
import { hexDump } from '../format/hexDump';
import { formatCount } from '../format/numberFormat';
import { encodePayload, PAYLOAD_ENCODINGS, type PayloadEncoding } from '../format/payloadEncoding';
import { prettyJson } from '../format/prettyJson';
import { decodeUtf8, isValidUtf8 } from '../format/utf8';
import type { BackendTransport } from '../transport/BackendTransport';

export const BROADCAST_TARGET = 'broadcast';
type ComposerMode = 'send' | 'request';

/** What "inject again" puts in the composer; a new nonce applies it even if the fields are equal. */
export interface ComposerDraft {
  nonce: number;
  target: string;
  source: string;
  encoding: PayloadEncoding;
  payload: string;
}

interface SentMessage {
  target: string;
  source: string;
  encoding: PayloadEncoding;
  payload: string;
  mode: ComposerMode;
  timeoutMs: number;
}

const HISTORY_KEY = 'relayscope.composerHistory';
const HISTORY_LIMIT = 30;
const DEFAULT_TIMEOUT_MS = 5000;

function loadHistory(): SentMessage[] {
  try {
    const stored: unknown = JSON.parse(window.localStorage.getItem(HISTORY_KEY) ?? '[]');
    return Array.isArray(stored) ? (stored as SentMessage[]).slice(0, HISTORY_LIMIT) : [];
  } catch {
    // Unreadable or unavailable storage: start with an empty history.
    return [];
  }
}

function saveHistory(history: readonly SentMessage[]): void {
  try {
    window.localStorage.setItem(HISTORY_KEY, JSON.stringify(history));
  } catch {
    // The history still lives for this session.
  }
}

function sameMessage(a: SentMessage, b: SentMessage): boolean {
  return a.target === b.target && a.source === b.source && a.encoding === b.encoding && a.payload === b.payload && a.mode === b.mode;
}

function describeBytes(bytes: Uint8Array): string {
  if (!isValidUtf8(bytes)) return hexDump(bytes, 4096);
  const text = decodeUtf8(bytes);
  const json = prettyJson(text);
  return json.ok && /^[[{]/.test(text.trim()) ? json.text : text;
}

export function InjectComposer({ transport, snapshot, draft }: { transport: BackendTransport; snapshot: WireSnapshot | null; draft: ComposerDraft | null }) {
  const [target, setTarget] = useState(BROADCAST_TARGET);
  const [source, setSource] = useState('');
  const [encoding, setEncoding] = useState<PayloadEncoding>('text');
  const [mode, setMode] = useState<ComposerMode>('send');
  const [timeoutText, setTimeoutText] = useState(String(DEFAULT_TIMEOUT_MS));
  const [payload, setPayload] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [history, setHistory] = useState<SentMessage[]>(loadHistory);

  useEffect(() => {
    if (draft === null) return;
    setTarget(draft.target);
    setSource(draft.source);
    setEncoding(draft.encoding);
    setPayload(draft.payload);
    setMode('send');
    setResult(null);
    setError(null);
  }, [draft]);

  const moduleIds = snapshot?.modules.map((module) => module.id) ?? [];
  const targetIsKnown = target === BROADCAST_TARGET || moduleIds.includes(target);

  const send = async (message: SentMessage): Promise<void> => {
    setResult(null);
    setError(null);
    const encoded = encodePayload(message.payload, message.encoding);
    if (!encoded.ok) {
      setError(`payload ${encoded.error}`);
      return;
    }
    const payloadBase64 = bytesToBase64(encoded.bytes);
    setBusy(true);
    try {
      if (message.mode === 'request') {
        const reply = await transport.request({ destination: message.target, payloadBase64, timeoutMs: message.timeoutMs });
        if (!reply.ok) {
          setError(`${reply.error.code}: ${reply.error.message}`);
          return;
        }
        const replyBytes = base64ToBytes(reply.value.payloadBase64);
        setResult(`reply from ${reply.value.source} (${formatCount(replyBytes.length)} bytes, correlation ${reply.value.correlationId}):\n${describeBytes(replyBytes)}`);
      } else {
        const broadcast = message.target === BROADCAST_TARGET;
        const sent = await transport.inject({
          destination: broadcast ? null : message.target,
          kind: broadcast ? 'broadcast' : 'unicast',
          payloadBase64,
          ...(message.source !== '' ? { source: message.source } : {}),
        });
        if (!sent.ok) {
          setError(`${sent.error.code}: ${sent.error.message}`);
          return;
        }
        setResult(`sent ${formatCount(encoded.bytes.length)} bytes to ${broadcast ? 'every module' : message.target} as ${message.source === '' ? "the backend's own ID" : message.source}`);
      }
      setHistory((previous) => {
        const next = [message, ...previous.filter((entry) => !sameMessage(entry, message))].slice(0, HISTORY_LIMIT);
        saveHistory(next);
        return next;
      });
    } finally {
      setBusy(false);
    }
  };

  const submit = (): void => {
    const timeoutMs = Number(timeoutText);
    if (mode === 'request') {
      if (target === BROADCAST_TARGET) {
        setResult(null);
        setError('a request goes to one module: choose a target');
        return;
      }
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
        setResult(null);
        setError('timeout must be a whole number of milliseconds from 1 to 600000');
        return;
      }
    }
    void send({ target, source: mode === 'request' ? '' : source.trim(), encoding, payload, mode, timeoutMs: mode === 'request' ? timeoutMs : DEFAULT_TIMEOUT_MS });
  };

  const load = (message: SentMessage): void => {
    setTarget(message.target);
    setSource(message.source);
    setEncoding(message.encoding);
    setPayload(message.payload);
    setMode(message.mode);
    setTimeoutText(String(message.timeoutMs));
  };

  return (
    <section className="panel composer" aria-label="Inject a message">
      <header className="panel-header">
        <h2>Inject</h2>
      </header>
      <form
        className="composer-form"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <div className="composer-fields">
          <label className="field">
            <span>to</span>
            <select value={target} onChange={(event) => setTarget(event.target.value)} data-testid="composer-target">
              <option value={BROADCAST_TARGET}>broadcast</option>
              {moduleIds.map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
              {!targetIsKnown && <option value={target}>{`${target} (not connected)`}</option>}
            </select>
          </label>
          <label className="field">
            <span>as</span>
            <input
              value={source}
              onChange={(event) => setSource(event.target.value)}
              placeholder="backend's own ID"
              title="Source ID the receiver sees; empty for the backend's own ID"
              className={mode === 'request' ? 'ignored' : undefined}
              data-testid="composer-source"
              spellCheck={false}
            />
          </label>
          <label className="field">
            <span>encoding</span>
            <select value={encoding} onChange={(event) => setEncoding(event.target.value as PayloadEncoding)} data-testid="composer-encoding">
              {PAYLOAD_ENCODINGS.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>mode</span>
            <select value={mode} onChange={(event) => setMode(event.target.value as ComposerMode)} data-testid="composer-mode">
              <option value="send">send</option>
              <option value="request">request</option>
            </select>
          </label>
          {mode === 'request' && (
            <label className="field">
              <span>timeout ms</span>
              <input className="timeout" value={timeoutText} onChange={(event) => setTimeoutText(event.target.value)} inputMode="numeric" data-testid="composer-timeout" />
            </label>
          )}
        </div>
        {mode === 'request' && source.trim() !== '' && <p className="muted composer-note">Requests go out as the backend's own ID, which waits for the reply; "as" applies to send only.</p>}
        <textarea
          className="mono composer-payload"
          value={payload}
          onChange={(event) => setPayload(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
              event.preventDefault();
              submit();
            }
          }}
          placeholder={encoding === 'hex' ? '48 65 6c 6c 6f' : encoding === 'json' ? '{"op": "ping"}' : encoding === 'base64' ? 'SGVsbG8=' : 'payload (Ctrl+Enter sends)'}
          rows={3}
          data-testid="composer-payload"
          spellCheck={false}
        />
        <div className="composer-actions">
          <button type="submit" className="primary" disabled={busy} data-testid="composer-send">
            {busy ? (mode === 'request' ? 'waiting for the reply…' : 'sending…') : mode === 'request' ? 'send request' : 'send'}
          </button>
          {error !== null && (
            <span className="inline-error" data-testid="composer-error" role="alert">
              {error}
            </span>
          )}
        </div>
        {result !== null && (
          <pre className="mono composer-result" data-testid="composer-result">
            {result}
          </pre>
        )}
      </form>
      {history.length > 0 && (
        <div className="composer-history">
          <div className="payload-view-header">
            <span className="strong">sent</span>
            <span className="spacer" />
            <button
              type="button"
              className="small"
              onClick={() => {
                setHistory([]);
                saveHistory([]);
              }}
            >
              clear history
            </button>
          </div>
          <ul>
            {history.map((message, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the same message may be in the history twice; its place is what tells the entries apart.
              <li key={index} className="mono">
                <button type="button" className="small" onClick={() => void send(message)} disabled={busy} title="Send this again as it is">
                  resend
                </button>
                <button type="button" className="small" onClick={() => load(message)} title="Put this in the composer to edit">
                  edit
                </button>
                <span className="history-text" title={message.payload}>
                  {message.mode === 'request' ? 'request ' : ''}
                  {message.source !== '' ? `${message.source} ` : ''}→ {message.target}: [{message.encoding}] {message.payload}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
