import type { WireOffline } from '@contract';
import { formatCount } from '../format/numberFormat';
import { formatMicros } from '../format/timeFormat';

/** The modules that appeared in the opened recording, with when they joined and left. */
export function OfflineModules({ offline }: { offline: WireOffline }) {
  return (
    <section className="panel modules-panel" aria-label="Modules">
      <header className="panel-header">
        <h2>Modules in the recording</h2>
        <span className="muted">
          {offline.scanning ? 'scanning…' : offline.moduleCount > offline.modules.length ? `${offline.moduleCount} (the first ${offline.modules.length} shown)` : `${offline.moduleCount}`}
        </span>
      </header>
      <div className="panel-body">
        {offline.modules.length === 0 ? (
          <p className="muted">{offline.scanning ? 'still reading the file…' : 'the recording holds no messages or joins'}</p>
        ) : (
          <table className="data-table modules-table">
            <thead>
              <tr>
                <th>ID</th>
                <th>joined</th>
                <th>left</th>
                <th className="num">sent</th>
              </tr>
            </thead>
            <tbody>
              {offline.modules.map((module) => (
                <tr key={module.id} data-testid="offline-module" data-module-id={module.id}>
                  <td className="mono strong">{module.id}</td>
                  <td className="mono">{module.joinedAt === null ? 'before' : formatMicros(module.joinedAt)}</td>
                  <td className="mono" title={module.leaveReason ?? undefined}>
                    {module.leftAt === null ? '—' : `${formatMicros(module.leftAt)} (${module.leaveReason ?? ''})`}
                  </td>
                  <td className="num mono">{formatCount(module.messagesSent)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
