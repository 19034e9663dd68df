import { useEffect, useState, useSyncExternalStore } from 'react';
import type { WireHubLink, WireSnapshot } from '@contract';
import { formatBytes, formatCount, formatRate } from '../format/numberFormat';
import { formatDuration } from '../format/timeFormat';
import { ROW_CAPACITY_CHOICES, saveRowCapacity } from '../state/rowCapacitySetting';
import type { TrafficStore } from '../state/TrafficStore';
import type { BackendTransport, ConnectionState } from '../transport/BackendTransport';

function connectionText(connection: ConnectionState, transport: BackendTransport, now: number): string {
  switch (connection.status) {
    case 'connected':
      return 'backend: connected';
    case 'connecting':
      return `backend: connecting to ${transport.description}…`;
    case 'disconnected': {
      const retryIn = connection.nextAttemptAt === null ? null : Math.max(0, Math.ceil((connection.nextAttemptAt - now) / 1000));
      return `backend: DISCONNECTED — ${connection.detail}${retryIn !== null ? `; retrying in ${retryIn} s` : ''}`;
    }
  }
}

/** Where the hub listens, and a way to change it: new sockets are bound before old ones close. */
function SocketEditor({ listeners, transport }: { listeners: string[]; transport: BackendTransport }) {
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (draft === null) {
    return (
      <button
        type="button"
        className="link"
        data-testid="sockets-edit"
        title="Change where the hub listens (comma-separated: paths, @names, tcp://host:port)"
        onClick={() => setDraft(listeners.join(', '))}
      >
        listening on {listeners.join(', ') || '(nothing)'}
      </button>
    );
  }
  const apply = (): void => {
    const addresses = draft
      .split(',')
      .map((address) => address.trim())
      .filter((address) => address !== '');
    setBusy(true);
    void transport.listen({ addresses }).then((result) => {
      setBusy(false);
      if (result.ok) {
        setDraft(null);
        setError(null);
      } else {
        setError(`${result.error.code}: ${result.error.message}`);
      }
    });
  };
  return (
    <span className="socket-editor">
      listen on{' '}
      <input
        data-testid="sockets-input"
        value={draft}
        size={Math.max(24, draft.length)}
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter') apply();
          if (event.key === 'Escape') setDraft(null);
        }}
      />{' '}
      <button type="button" data-testid="sockets-apply" disabled={busy} onClick={apply}>
        apply
      </button>{' '}
      <button
        type="button"
        onClick={() => {
          setDraft(null);
          setError(null);
        }}
      >
        cancel
      </button>
      {error !== null && (
        <span className="warn" data-testid="sockets-error">
          {' '}
          {error}
        </span>
      )}
    </span>
  );
}

/** Attached to a hub elsewhere: the backend may be up while that hub is not. */
function hubLinkText(link: WireHubLink, now: number): string {
  const attempts = link.attempts > 0 ? `, ${link.attempts} reconnection attempt${link.attempts === 1 ? '' : 's'}` : '';
  return `hub: UNREACHABLE for ${formatDuration(now - link.since)}${link.detail !== '' ? ` — ${link.detail}` : ''}${attempts}`;
}

export function StatusBar({
  snapshot,
  connection,
  hubLink,
  store,
  transport,
}: {
  snapshot: WireSnapshot | null;
  connection: ConnectionState;
  /** null for a hub in this process. */
  hubLink: WireHubLink | null;
  store: TrafficStore;
  transport: BackendTransport;
}) {
  useSyncExternalStore(store.subscribe, store.getVersion);
  const [now, setNow] = useState(Date.now());
  const hubDown = connection.status === 'connected' && hubLink?.status === 'down';
  const down = connection.status !== 'connected' || hubDown;

  // Snapshots stop while the backend is down; tick so the retry countdown still moves.
  useEffect(() => {
    if (!down) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [down]);

  const capacityChoices = ROW_CAPACITY_CHOICES.includes(store.capacity) ? ROW_CAPACITY_CHOICES : [...ROW_CAPACITY_CHOICES, store.capacity].sort((a, b) => a - b);

  return (
    <footer className={`status-bar${down ? ' down' : ''}`} data-testid="status-bar" data-connection={connection.status}>
      <span className={`connection ${connection.status}`} data-testid="connection-state" title={`via ${transport.description}`}>
        {connectionText(connection, transport, now)}
      </span>
      {hubDown && hubLink !== null && (
        <span className="connection disconnected" data-testid="hub-link" title="The backend reaches this window but not the hub it is attached to; it keeps reconnecting">
          {hubLinkText(hubLink, now)}
        </span>
      )}
      {snapshot?.offline != null && (
        <span data-testid="offline-totals">
          offline: a recording, no live hub · {formatCount(snapshot.totals.messages)} msgs · {formatBytes(snapshot.totals.bytes)} over {formatDuration(snapshot.now - snapshot.startedAt)}
        </span>
      )}
      {snapshot !== null && snapshot.offline == null && (
        <>
          {snapshot.attachedTo !== null ? (
            <span title="This window watches a hub that runs elsewhere">attached to {snapshot.attachedTo}</span>
          ) : (
            <SocketEditor listeners={snapshot.listeners} transport={transport} />
          )}
          <span>up {formatDuration(snapshot.now - snapshot.startedAt)}</span>
          <span>
            {snapshot.modules.length} module{snapshot.modules.length === 1 ? '' : 's'}
          </span>
          <span title="Messages and payload bytes relayed since the hub started">
            {formatCount(snapshot.totals.messages)} msgs · {formatBytes(snapshot.totals.bytes)}
          </span>
          <span>
            {formatRate(snapshot.totals.messagesPerSecond)} msg/s · {formatBytes(Math.round(snapshot.totals.bytesPerSecond))}/s
          </span>
          <span className={snapshot.totals.drops > 0 ? 'warn' : ''}>drops {formatCount(snapshot.totals.drops)}</span>
          <span className={snapshot.totals.errors > 0 ? 'warn' : ''}>errors {formatCount(snapshot.totals.errors)}</span>
        </>
      )}
      <span className={store.lostEvents > 0 ? 'warn' : ''} data-testid="events-lost" title="Events the backend's event stream skipped to keep up; the relay itself lost nothing">
        events lost {formatCount(store.lostEvents)}
      </span>
      <span className="spacer" />
      <label title={`Rows kept in memory; the oldest are evicted beyond this${store.evictedCount > 0 ? ` (${formatCount(store.evictedCount)} evicted so far)` : ''}`}>
        rows {formatCount(store.rowCount)} /{' '}
        <select
          value={store.capacity}
          onChange={(event) => {
            const capacity = Number(event.target.value);
            store.setCapacity(capacity);
            saveRowCapacity(capacity);
          }}
        >
          {capacityChoices.map((choice) => (
            <option key={choice} value={choice}>
              {formatCount(choice)}
            </option>
          ))}
        </select>
      </label>
    </footer>
  );
}
