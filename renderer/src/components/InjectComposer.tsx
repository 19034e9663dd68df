import { useEffect, useMemo, useRef, useState } from 'react';
import type { WireSnapshot } from '@contract';
import { BROADCAST_TARGET, checkComposer, firstProblem } from '../composer/composerChecks';
import { addToHistory, type ComposerMode, HISTORY_BOUND_TEXT, HISTORY_MAX_BYTES, parseHistory, type SentMessage } from '../composer/sentHistory';
import { base64ToBytes, bytesToBase64 } from '../format/base64';
import { hexDump } from '../format/hexDump';
import { formatBytes, formatCount } from '../format/numberFormat';
import { encodePayload, PAYLOAD_ENCODINGS, type PayloadEncoding } from '../format/payloadEncoding';
import { prettyJson } from '../format/prettyJson';
import { decodeUtf8, isValidUtf8 } from '../format/utf8';
import type { BackendTransport } from '../transport/BackendTransport';

/** What "inject again" puts in the composer; a new nonce applies it even if the fields are equal. */
export interface ComposerDraft {
  nonce: number;
  target: string;
  source: string;
  encoding: PayloadEncoding;
  payload: string;
}

const HISTORY_KEY = 'relayscope.composerHistory';
const DEFAULT_TIMEOUT_MS = 5000;

function loadHistory(): SentMessage[] {
  try {
    return parseHistory(window.localStorage.getItem(HISTORY_KEY));
  } catch {
    // Unavailable storage: start with an empty history.
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
  const payloadField = useRef<HTMLTextAreaElement>(null);

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

  // Another tab of this origin sent something: show its entries too, as the next send keeps them.
  useEffect(() => {
    const onStorage = (event: StorageEvent): void => {
      if (event.key === HISTORY_KEY) setHistory(parseHistory(event.newValue));
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const encoded = useMemo(() => encodePayload(payload, encoding), [payload, encoding]);
  const problems = checkComposer({ target, source, encoding, payload, mode, timeoutText }, encoded);
  const blocked = firstProblem(problems);

  const moduleIds = snapshot?.modules.map((module) => module.id) ?? [];
  const targetIsKnown = target === BROADCAST_TARGET || moduleIds.includes(target);

  const remember = (message: SentMessage): void => {
    // Read again rather than trusting this tab's copy: another tab may have sent since.
    const added = addToHistory(loadHistory(), message);
    saveHistory(added.history);
    setHistory(added.history);
    if (!added.kept) setResult((shown) => `${shown ?? ''}\n(not kept in the history: it is larger than the ${formatBytes(HISTORY_MAX_BYTES)} the history holds)`);
  };

  const send = async (message: SentMessage): Promise<void> => {
    setResult(null);
    setError(null);
    const bytes = encodePayload(message.payload, message.encoding);
    if (!bytes.ok) {
      setError(`payload ${bytes.error}`);
      return;
    }
    const payloadBase64 = bytesToBase64(bytes.bytes);
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
        setResult(`sent ${formatCount(bytes.bytes.length)} bytes to ${broadcast ? 'every module' : message.target} as ${message.source === '' ? "the backend's own ID" : message.source}`);
      }
      remember(message);
    } finally {
      setBusy(false);
    }
  };

  const submit = (): void => {
    if (blocked !== null) return;
    const request = mode === 'request';
    void send({ target, source: request ? '' : source.trim(), encoding, payload, mode, timeoutMs: request ? Number(timeoutText) : DEFAULT_TIMEOUT_MS });
  };

  /** Puts the caret on the character at fault, selected, so the person sees it in a long paste. */
  const selectAt = (index: number): void => {
    const field = payloadField.current;
    if (field === null) return;
    field.focus();
    field.setSelectionRange(index, index + 1);
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
            <select value={target} onChange={(event) => setTarget(event.target.value)} aria-invalid={problems.target !== null} data-testid="composer-target">
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
              title="Source ID the receiver sees; empty for the backend's own ID. The hub's rule applies: no '$' names ($hub is the hub itself), no spaces."
              className={mode === 'request' ? 'ignored' : undefined}
              aria-invalid={problems.source !== null}
              aria-describedby={problems.source !== null ? 'composer-source-problem' : undefined}
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
              <input
                className="timeout"
                value={timeoutText}
                onChange={(event) => setTimeoutText(event.target.value)}
                inputMode="numeric"
                aria-invalid={problems.timeout !== null}
                data-testid="composer-timeout"
              />
            </label>
          )}
        </div>
        {[
          { id: 'composer-target-problem', text: problems.target },
          { id: 'composer-source-problem', text: problems.source },
          { id: 'composer-timeout-problem', text: problems.timeout },
        ].map(
          ({ id, text }) =>
            text !== null && (
              <p key={id} id={id} className="inline-error composer-problem" data-testid={id}>
                {text}
              </p>
            ),
        )}
        {mode === 'request' && source.trim() !== '' && <p className="muted composer-note">Requests go out as the backend's own ID, which waits for the reply; "as" applies to send only.</p>}
        <textarea
          ref={payloadField}
          className="mono composer-payload"
          value={payload}
          onChange={(event) => setPayload(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
              event.preventDefault();
              submit();
            }
          }}
          placeholder={
            encoding === 'hex'
              ? 'de ad be ef, de:ad:be:ef, 0xde 0xad, \\xde\\xad or a pasted hex dump'
              : encoding === 'json'
                ? '{"op": "ping"}'
                : encoding === 'base64'
                  ? 'SGVsbG8='
                  : 'payload (Ctrl+Enter sends)'
          }
          title={encoding === 'hex' ? 'Hex bytes: spaces, colons, commas, 0x and \\x prefixes, and the hex dump the detail pane shows (offset and |ascii| columns included)' : undefined}
          rows={3}
          // A pasted hex dump keeps its columns rather than wrapping mid-line.
          wrap={encoding === 'hex' ? 'off' : undefined}
          aria-invalid={problems.payload !== null}
          aria-describedby={problems.payload !== null ? 'composer-payload-problem' : undefined}
          data-testid="composer-payload"
          spellCheck={false}
        />
        {problems.payload !== null ? (
          <p className="composer-problem">
            <span id="composer-payload-problem" className="inline-error" data-testid="composer-payload-problem">
              payload {problems.payload}
            </span>
            {problems.payloadAt !== null && (
              <>
                {' '}
                <button type="button" className="small" onClick={() => selectAt(problems.payloadAt ?? 0)} data-testid="composer-payload-show-problem">
                  show
                </button>
              </>
            )}
          </p>
        ) : (
          encoding !== 'text' &&
          encoded.ok && (
            <p className="muted composer-problem" data-testid="composer-payload-size">
              {formatCount(encoded.bytes.length)} bytes
            </p>
          )
        )}
        <div className="composer-actions">
          <button type="submit" className="primary" disabled={busy || blocked !== null} title={blocked ?? undefined} data-testid="composer-send">
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
        <div className="composer-history" data-testid="composer-history">
          <div className="payload-view-header">
            <span className="strong" title={`Sent messages: ${HISTORY_BOUND_TEXT}`} data-testid="composer-history-title">
              sent
            </span>
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
              // biome-ignore lint/suspicious/noArrayIndexKey: entries have no ID of their own; their place is what tells them apart.
              <li key={index} className="mono" data-testid="composer-history-entry">
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
