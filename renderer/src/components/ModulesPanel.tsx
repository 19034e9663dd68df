import { useState, useSyncExternalStore } from 'react';
import type { WireHubLink, WireModule, WireSnapshot } from '@contract';
import { formatBytes, formatCount, formatRate } from '../format/numberFormat';
import { formatClock, formatDuration } from '../format/timeFormat';
import type { ModuleDirectory, ModuleEntry } from '../state/ModuleDirectory';
import { moduleColor } from '../state/moduleColors';
import type { BackendTransport } from '../transport/BackendTransport';
import { EmptyState } from './EmptyState';
import { describeModuleProcess, KickConfirmation } from './KickConfirmation';

interface KickState {
  busy: boolean;
  error: string | null;
}

const COLUMN_COUNT = 10;

// The hub counts from its side ("in" = what it read from the module); people read a module's row from the module's side.
const SENT_TITLE = "Messages and payload bytes this module sent to the hub (the hub's 'in' counters)";
const RECEIVED_TITLE = "Messages and payload bytes the hub delivered to this module (the hub's 'out' counters)";

export function ModulesPanel({
  directory,
  snapshot,
  snapshotError,
  hubLink,
  transport,
}: {
  directory: ModuleDirectory;
  snapshot: WireSnapshot | null;
  snapshotError: string | null;
  /** null for a hub in this process; attached, whether the hub is reachable. */
  hubLink: WireHubLink | null;
  transport: BackendTransport;
}) {
  useSyncExternalStore(directory.subscribe, directory.getVersion);
  const [kicks, setKicks] = useState<ReadonlyMap<string, KickState>>(new Map());
  const [confirming, setConfirming] = useState<string | null>(null);
  const entries = directory.entries();
  const connectedCount = entries.filter((entry) => entry.departure === null).length;
  const hubDown = hubLink?.status === 'down';

  const kick = async (id: string): Promise<void> => {
    setKicks((previous) => new Map(previous).set(id, { busy: true, error: null }));
    const result = await transport.kick({ id, reason: 'kicked from the Relayscope monitor' });
    setKicks((previous) => new Map(previous).set(id, { busy: false, error: result.ok ? null : `${result.error.code}: ${result.error.message}` }));
  };
  const confirmingEntry = confirming === null ? undefined : entries.find((entry) => entry.id === confirming);

  return (
    <section className={`panel modules-panel${hubDown ? ' stale' : ''}`} aria-label="Modules" data-testid="modules-panel" data-stale={hubDown}>
      <header className="panel-header">
        <h2>Modules</h2>
        <span className="muted">
          {hubDown ? 'last known: ' : ''}
          {connectedCount} connected{snapshot !== null && snapshot.monitors.length > 0 ? `, ${snapshot.monitors.length} monitor${snapshot.monitors.length === 1 ? '' : 's'}` : ''}
        </span>
        {hubDown && hubLink !== null && (
          <span className="warn" data-testid="modules-stale">
            hub unreachable since {formatClock(hubLink.since)}
          </span>
        )}
        <span className="spacer" />
        <button type="button" disabled={directory.departedCount === 0} onClick={() => directory.clearDeparted()}>
          clear departed{directory.departedCount > 0 ? ` (${directory.departedCount})` : ''}
        </button>
      </header>
      {snapshotError !== null && !hubDown && <p className="inline-error">cannot read the hub's state: {snapshotError}</p>}
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
                    <th>connected</th>
                    <th className="num" title={SENT_TITLE}>
                      sent
                    </th>
                    <th className="num" title={RECEIVED_TITLE}>
                      received
                    </th>
                    <th className="num" title="Messages per second this module sent / received">
                      msg/s sent / recv
                    </th>
                    <th className="num" title="Bytes waiting in the hub for this module to read">
                      queue
                    </th>
                    <th className="num" title="Messages to this module the hub dropped (slow-consumer policy)">
                      drops
                    </th>
                    <th className="num" title="Frames from this module the hub refused with an error">
                      errors
                    </th>
                    <th className="actions" />
                  </tr>
                </thead>
                <tbody>
                  {entries.map((entry) => (
                    <ModuleRow key={entry.id} entry={entry} now={snapshot.now} kick={kicks.get(entry.id)} hubDown={hubDown} onKick={() => setConfirming(entry.id)} />
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
        {confirming !== null && (
          <KickConfirmation
            id={confirming}
            module={confirmingEntry?.module ?? null}
            now={snapshot?.now ?? Date.now()}
            onCancel={() => setConfirming(null)}
            onConfirm={() => {
              setConfirming(null);
              void kick(confirming);
            }}
          />
        )}
      </div>
    </section>
  );
}

function countAndBytes(messages: number, bytes: number): string {
  return `${formatCount(messages)} · ${formatBytes(bytes)}`;
}

function ModuleRow({ entry, now, kick, hubDown, onKick }: { entry: ModuleEntry; now: number; kick: KickState | undefined; hubDown: boolean; onKick: () => void }) {
  const module: WireModule | null = entry.module;
  const departure = entry.departure;
  const transport = module ? `${module.transport}${module.peer ? ` ${module.peer}` : ''}` : (entry.arrival?.transport ?? '—');
  const connectedAt = module?.connectedAt ?? entry.arrival?.joinedAt ?? null;
  const stats = module?.stats ?? null;
  return (
    <>
      <tr className={departure ? 'module-row departed' : 'module-row'} data-testid="module-row" data-module-id={entry.id} data-connected={departure ? 'false' : 'true'}>
        <td className="mono strong" title={module?.listener}>
          <span className="module-swatch" style={{ background: moduleColor(entry.id) }} aria-hidden="true" />
          {entry.id}
        </td>
        <td className="mono" title={describeModuleProcess(module)}>
          {transport}
          {module?.pid !== undefined && <span className="muted"> {module.pid}</span>}
        </td>
        <td className="mono" title={connectedAt !== null ? `since ${new Date(connectedAt).toLocaleString()}` : undefined}>
          {connectedAt !== null ? formatDuration((departure?.leftAt ?? now) - connectedAt) : '—'}
        </td>
        <td className="num mono" title={SENT_TITLE} data-testid="module-sent">
          {stats ? countAndBytes(stats.messagesIn, stats.bytesIn) : '—'}
        </td>
        <td className="num mono" title={RECEIVED_TITLE} data-testid="module-received">
          {stats ? countAndBytes(stats.messagesOut, stats.bytesOut) : '—'}
        </td>
        {departure !== null ? (
          <td colSpan={COLUMN_COUNT - 5} className="mono departure" title={departure.reason}>
            left {formatClock(departure.leftAt)}: {departure.reason}
            {departure.code !== 0 ? ` (code ${departure.code})` : ''}
          </td>
        ) : (
          <>
            <td className="num mono">{stats ? `${formatRate(stats.messagesInPerSecond)} / ${formatRate(stats.messagesOutPerSecond)}` : '—'}</td>
            <td className="num mono">{stats ? formatBytes(stats.queuedBytes) : '—'}</td>
            <td className={stats && stats.drops > 0 ? 'num mono warn' : 'num mono'}>{stats ? formatCount(stats.drops) : '—'}</td>
            <td className={stats && stats.errors > 0 ? 'num mono warn' : 'num mono'} data-testid="module-errors">
              {stats ? formatCount(stats.errors) : '—'}
            </td>
            <td className="actions">
              <button
                type="button"
                className="danger small"
                data-testid="kick-button"
                disabled={kick?.busy === true || hubDown}
                onClick={onKick}
                title={hubDown ? 'The hub is unreachable' : `Disconnect ${entry.id} with a KICKED error (asks first)`}
              >
                {kick?.busy ? 'kicking…' : 'kick…'}
              </button>
            </td>
          </>
        )}
      </tr>
      {kick?.error && departure === null && (
        <tr className="module-kick-error">
          <td colSpan={COLUMN_COUNT} className="inline-error">
            kick failed: {kick.error}
          </td>
        </tr>
      )}
    </>
  );
}
