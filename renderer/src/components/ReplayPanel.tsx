import { useEffect, useState } from 'react';
import type { WireReplayStatus } from '@contract';
import { formatCount } from '../format/numberFormat';
import { filterExpression } from '../state/filterExpression';
import type { TrafficStore } from '../state/TrafficStore';
import type { BackendTransport } from '../transport/BackendTransport';

const STATUS_POLL_MS = 300;
const SPEEDS = [
  { label: '1× (recorded pace)', value: '1' },
  { label: '10×', value: '10' },
  { label: '100×', value: '100' },
  { label: 'fast (no gaps)', value: 'fast' },
];

/**
 * The offline view's stand-in for the inject composer: replays the opened recording (what the filter
 * shows, or the messages selected in the table: a row, or rows taken with Ctrl/⌘- and Shift-click)
 * into a live hub and reports every message delivered or failed.
 */
export function ReplayPanel({ transport, store, selectedSeqs }: { transport: BackendTransport; store: TrafficStore; selectedSeqs: number[] }) {
  const [socket, setSocket] = useState('');
  const [speed, setSpeed] = useState('fast');
  const [scope, setScope] = useState<'filter' | 'selected'>('filter');
  const [status, setStatus] = useState<WireReplayStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const running = status?.running === true;

  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      void transport.replayStatus().then((result) => {
        if (result.ok) setStatus(result.value);
      });
    }, STATUS_POLL_MS);
    return () => clearInterval(timer);
  }, [transport, running]);

  const start = async (): Promise<void> => {
    setError(null);
    const seqs = scope === 'selected' && selectedSeqs.length > 0 ? selectedSeqs : null;
    const result = await transport.replay({ socket, speed: speed === 'fast' ? null : Number(speed), seqs, filter: seqs === null ? filterExpression(store.filterSpec) : '' });
    if (result.ok) setStatus(result.value);
    else setError(`${result.error.code}: ${result.error.message}`);
  };

  return (
    <section className="panel composer" aria-label="Replay into a live hub">
      <header className="panel-header">
        <h2>Replay into a live hub</h2>
      </header>
      <form
        className="composer-form"
        onSubmit={(event) => {
          event.preventDefault();
          void start();
        }}
      >
        <div className="composer-fields">
          <label className="field">
            <span>socket</span>
            <input value={socket} onChange={(event) => setSocket(event.target.value)} placeholder="path, @name or tcp://host:port" data-testid="replay-socket" style={{ width: 200 }} />
          </label>
          <label className="field">
            <span>speed</span>
            <select value={speed} onChange={(event) => setSpeed(event.target.value)} data-testid="replay-speed">
              {SPEEDS.map(({ label, value }) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>what</span>
            <select
              value={scope}
              onChange={(event) => setScope(event.target.value as 'filter' | 'selected')}
              data-testid="replay-scope"
              title="Select rows in the table: click one, Ctrl/⌘-click to add or remove a row, Shift-click for a range"
            >
              <option value="filter">the file, through the filter</option>
              <option value="selected" disabled={selectedSeqs.length === 0} data-testid="replay-selected-option">
                {selectedSeqs.length === 1 ? 'the selected message' : `the ${formatCount(selectedSeqs.length)} selected messages`}
              </option>
            </select>
          </label>
        </div>
        <div className="composer-actions">
          <button type="submit" disabled={running || socket.trim() === '' || (scope === 'selected' && selectedSeqs.length === 0)} data-testid="replay-start">
            {running ? 'replaying…' : 'replay'}
          </button>
        </div>
        {status !== null && (
          <pre className="composer-result" data-testid="replay-result" data-running={String(status.running)} data-delivered={status.delivered} data-failed={status.failed}>
            {`${status.running ? 'replaying' : 'replayed'} ${formatCount(status.sent)} into ${status.socket}: ${formatCount(status.delivered)} delivered, ${formatCount(status.failed)} failed`}
            {status.reasons.length > 0 && `\nby reason: ${status.reasons.map(({ reason, count }) => `${reason} ×${count}`).join(', ')}`}
            {status.failures.map((failure) => `\n  #${failure.index} ${failure.source} → ${failure.destination ?? '*'}: ${failure.reason}`).join('')}
            {status.error !== null && `\nstopped: ${status.error}`}
          </pre>
        )}
        {error !== null && (
          <p className="inline-error" data-testid="replay-error" role="alert">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}
