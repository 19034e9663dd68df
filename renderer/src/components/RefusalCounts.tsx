import type { WireTotals } from '@contract';
import { formatCount } from '../format/numberFormat';

const REFUSED_TITLE =
  'Connections the hub turned away before they became modules: too many connections, a bad HELLO, an ID in use, or the access policy. ' +
  'Not permitted: refused by --allow-uid, --allow-gid or --owner (each refusal is an error row naming the uid, pid and executable).';
const DISCONNECTS_TITLE = 'Modules the hub disconnected: for reading too slowly (slow-consumer policy) or when its memory budget was used up';

/**
 * The hub's refusal counters in the modules panel's header, so a program that never appears in the
 * table is still seen to have tried. Counters a hub predating them leaves out are not shown.
 */
export function RefusalCounts({ totals }: { totals: WireTotals }) {
  const notPermitted = totals.connectionsNotPermitted;
  const disconnects = totals.slowConsumerDisconnects + (totals.budgetDisconnects ?? 0);
  return (
    <>
      <span className={totals.connectionsRejected > 0 ? 'warn' : 'muted'} data-testid="refused-count" title={REFUSED_TITLE}>
        refused {formatCount(totals.connectionsRejected)}
        {notPermitted !== undefined && ` (${formatCount(notPermitted)} not permitted)`}
      </span>
      {disconnects > 0 && (
        <span className="warn" data-testid="disconnect-count" title={DISCONNECTS_TITLE}>
          disconnected {formatCount(totals.slowConsumerDisconnects)} slow
          {totals.budgetDisconnects !== undefined && `, ${formatCount(totals.budgetDisconnects)} over memory`}
        </span>
      )}
    </>
  );
}
