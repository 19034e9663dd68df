import { useState, useSyncExternalStore } from 'react';
import type { WireModule, WireSnapshot } from '@contract';
import { formatBytes, formatCount, formatRate } from '../format/numberFormat';
import { formatClock, formatDuration } from '../format/timeFormat';
import type { ModuleDirectory, ModuleEntry } from '../state/ModuleDirectory';
import type { BackendTransport } from '../transport/BackendTransport';
import { EmptyState } from './EmptyState';

interface KickState {
  busy: boolean;
  error: string | null;
}

export function ModulesPanel({
  directory,
  snapshot,
  snapshotError,
  transport,
}: {
  directory: ModuleDirectory;
  snapshot: WireSnapshot | null;
  snapshotError: string | null;
  transport: BackendTransport;
}) {
  useSyncExternalStore(directory.subscribe, directory.getVersion);
  const [kicks, setKicks] = useState<ReadonlyMap<string, KickState>>(new Map());
  const entries = directory.entries();
  const connectedCount = entries.filter((entry) => entry.departure === null).length;

  const kick = async (id: string): Promise<void> => {
    setKicks((previous) => new Map(previous).set(id, { busy: true, error: null }));
    const result = await transport.kick({ id, reason: 'kicked from the Relayscope monitor' });
    setKicks((previous) => new Map(previous).set(id, { busy: false, error: result.ok ? null : `${result.error.code}: ${result.error.message}` }));
  };

  return (
    <section className="panel modules-panel" aria-label="Modules">
      <header className="panel-header">
        <h2>Modules</h2>
        <span className="muted">
          {connectedCount} connected{snapshot !== null && snapshot.monitors.length > 0 ? `, ${snapshot.monitors.length} monitor${snapshot.monitors.length === 1 ? '' : 's'}` : ''}
        </span>
        <span className="spacer" />
        <button type="button" disabled={directory.departedCount === 0} onClick={() => directory.clearDeparted()}>
          clear departed{directory.departedCount > 0 ? ` (${directory.departedCount})` : ''}
        </button>
      </header>
      {snapshotError !== null && <p className="inline-error">cannot read the hub's state: {snapshotError}</p>}
      <div className="panel-body">
        {snapshot === null ? (
          <p className="muted padded">Waiting for the backend's first snapshot…</p>
        ) : (
          <>
            {entries.length > 0 && (
              <table className="data-table modules-table">
                <thead>
                  <tr>
                    <th>ID</th>
                    <th>transport</th>
                    <th>connected since</th>
                    <th className="num">msgs in / out</th>
                    <th className="num">bytes in / out</th>
                    <th className="num">msg/s in / out</th>
                    <th className="num">queue</th>
                    <th className="num">drops</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {entries.map((entry) => (
                    <ModuleRow key={entry.id} entry={entry} now={snapshot.now} kick={kicks.get(entry.id)} onKick={() => void kick(entry.id)} />
                  ))}
                </tbody>
              </table>
            )}
            {connectedCount === 0 && <EmptyState snapshot={snapshot} />}
            {snapshot.monitors.length > 0 && (
              <p className="monitors-line muted">monitors: {snapshot.monitors.map((monitor) => `${monitor.id} (${monitor.transport}${monitor.peer ? ` ${monitor.peer}` : ''})`).join(', ')}</p>
            )}
          </>
        )}
      </div>
    </section>
  );
}

function ModuleRow({ entry, now, kick, onKick }: { entry: ModuleEntry; now: number; kick: KickState | undefined; onKick: () => void }) {
  const module: WireModule | null = entry.module;
  const departure = entry.departure;
  const transport = module ? `${module.transport}${module.peer ? ` ${module.peer}` : ''}` : (entry.arrival?.transport ?? '—');
  const connectedAt = module?.connectedAt ?? entry.arrival?.joinedAt ?? null;
  return (
    <>
      <tr className={departure ? 'module-row departed' : 'module-row'} data-testid="module-row" data-module-id={entry.id} data-connected={departure ? 'false' : 'true'}>
        <td className="mono strong" title={module?.listener}>
          {entry.id}
        </td>
        <td className="mono">{transport}</td>
        <td className="mono" title={connectedAt !== null ? new Date(connectedAt).toLocaleString() : undefined}>
          {connectedAt !== null ? `${formatClock(connectedAt)} (${formatDuration((departure?.leftAt ?? now) - connectedAt)})` : '—'}
        </td>
        <td className="num mono">{module ? `${formatCount(module.stats.messagesIn)} / ${formatCount(module.stats.messagesOut)}` : '—'}</td>
        <td className="num mono">{module ? `${formatBytes(module.stats.bytesIn)} / ${formatBytes(module.stats.bytesOut)}` : '—'}</td>
        {departure !== null ? (
          <td colSpan={4} className="mono departure" title={departure.reason}>
            left {formatClock(departure.leftAt)}: {departure.reason}
            {departure.code !== 0 ? ` (code ${departure.code})` : ''}
          </td>
        ) : (
          <>
            <td className="num mono">{module ? `${formatRate(module.stats.messagesInPerSecond)} / ${formatRate(module.stats.messagesOutPerSecond)}` : '—'}</td>
            <td className="num mono">{module ? formatBytes(module.stats.queuedBytes) : '—'}</td>
            <td className={module && module.stats.drops > 0 ? 'num mono warn' : 'num mono'}>{module ? formatCount(module.stats.drops) : '—'}</td>
            <td className="actions">
              <button type="button" className="danger small" data-testid="kick-button" disabled={kick?.busy === true} onClick={onKick} title={`Disconnect ${entry.id} with a KICKED error`}>
                {kick?.busy ? 'kicking…' : 'kick'}
              </button>
            </td>
          </>
        )}
      </tr>
      {kick?.error && departure === null && (
        <tr className="module-kick-error">
          <td colSpan={9} className="inline-error">
            kick failed: {kick.error}
          </td>
        </tr>
      )}
    </>
  );
}
