import { useState, useSyncExternalStore } from 'react';
import type { WireHubLink, WireModule, WireSnapshot } from '@contract';
import { formatBytes, formatCount, formatRate } from '../format/numberFormat';
import { formatClock, formatDuration } from '../format/timeFormat';
import type { ModuleDirectory, ModuleEntry } from '../state/ModuleDirectory';
import { moduleColor } from '../state/moduleColors';
import type { BackendTransport } from '../transport/BackendTransport';
import { EmptyState } from './EmptyState';
import { KickConfirmation } from './KickConfirmation';
import { FramingBadge, HubCell, isRemote, ModuleDetail, ModuleProcess } from './ModuleIdentity';
import { RefusalCounts } from './RefusalCounts';
import './modules.css';

interface KickState {
  busy: boolean;
  error: string | null;
}

/** Without the hub column, shown only on a federated bus. */
const BASE_COLUMN_COUNT = 11;
/** A departed module's reason takes the place of its live columns: rates, queue, drops, errors and kick. */
const DEPARTURE_SPAN = 5;

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
  const [opened, setOpened] = useState<string | null>(null);
  const entries = directory.entries();
  const localHub = snapshot?.federation?.hub ?? null;
  // The hub column is for a bus: a hub alone, or federated with no other hub's modules yet, has one hub.
  const showHub = entries.some((entry) => isRemote(entry.module, localHub));
  const columns = BASE_COLUMN_COUNT + (showHub ? 1 : 0);
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
        {snapshot !== null && snapshot.offline == null && <RefusalCounts totals={snapshot.totals} />}
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
                    <th title="Click an ID for everything the hub knows of the module">ID</th>
                    <th title="The process behind the connection, as the kernel told the hub at accept (SO_PEERCRED, /proc): executable, pid, user">process</th>
                    <th>transport</th>
                    {showHub && <th title="The hub of the bus the module is connected to">hub</th>}
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
                    <ModuleRow
                      key={entry.id}
                      entry={entry}
                      now={snapshot.now}
                      layout={{ columns, showHub, localHub }}
                      opened={opened === entry.id}
                      onOpen={() => setOpened((previous) => (previous === entry.id ? null : entry.id))}
                      kick={kicks.get(entry.id)}
                      hubDown={hubDown}
                      onKick={() => setConfirming(entry.id)}
                    />
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

interface RowLayout {
  columns: number;
  showHub: boolean;
  /** This hub's name on its bus; null when not federated. */
  localHub: string | null;
}

function ModuleRow({
  entry,
  now,
  layout,
  opened,
  onOpen,
  kick,
  hubDown,
  onKick,
}: {
  entry: ModuleEntry;
  now: number;
  layout: RowLayout;
  opened: boolean;
  onOpen: () => void;
  kick: KickState | undefined;
  hubDown: boolean;
  onKick: () => void;
}) {
  const module: WireModule | null = entry.module;
  const departure = entry.departure;
  const remote = isRemote(module, layout.localHub);
  const rowClass = `module-row${departure ? ' departed' : ''}${remote ? ' remote' : ''}`;
  const transport = module ? `${module.transport}${module.peer ? ` ${module.peer}` : ''}` : (entry.arrival?.transport ?? '—');
  const connectedAt = module?.connectedAt ?? entry.arrival?.joinedAt ?? null;
  const stats = module?.stats ?? null;
  return (
    <>
      <tr className={rowClass} data-testid="module-row" data-module-id={entry.id} data-connected={departure ? 'false' : 'true'} data-remote={remote}>
        <td className="mono strong module-id" title={module !== null ? `${module.listener} · click for details` : undefined}>
          <button type="button" className="module-open" aria-expanded={opened} onClick={onOpen} disabled={module === null} data-testid="module-open">
            <span className="module-swatch" style={{ background: moduleColor(entry.id) }} aria-hidden="true" />
            {entry.id}
          </button>
          <FramingBadge module={module} />
        </td>
        <td className="mono">
          <ModuleProcess module={module} localHub={layout.localHub} />
        </td>
        <td className="mono">{transport}</td>
        {layout.showHub && (
          <td className="mono">
            <HubCell module={module} localHub={layout.localHub} />
          </td>
        )}
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
          <td colSpan={DEPARTURE_SPAN} className="mono departure" title={departure.reason}>
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
      {opened && module !== null && (
        <tr className="module-detail-row">
          <td colSpan={layout.columns}>
            <ModuleDetail module={module} localHub={layout.localHub} now={departure?.leftAt ?? now} />
          </td>
        </tr>
      )}
      {kick?.error && departure === null && (
        <tr className="module-kick-error">
          <td colSpan={layout.columns} className="inline-error">
            kick failed: {kick.error}
          </td>
        </tr>
      )}
    </>
  );
}
