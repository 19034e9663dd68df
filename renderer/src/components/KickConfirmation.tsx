import type { WireModule } from '@contract';
import { formatDuration } from '../format/timeFormat';
import { ConfirmDialog } from './ConfirmDialog';
import { describeModuleProcess } from './ModuleIdentity';

/** The one question before a kick, naming the module and the process behind it. */
export function KickConfirmation({ id, module, now, onConfirm, onCancel }: { id: string; module: WireModule | null; now: number; onConfirm: () => void; onCancel: () => void }) {
  return (
    <ConfirmDialog title={`Kick ${id}?`} confirmLabel={`kick ${id}`} testId="kick-confirm" onConfirm={onConfirm} onCancel={onCancel}>
      <p>
        The hub disconnects <span className="mono strong">{id}</span> with a KICKED error; its client library does not reconnect.
      </p>
      <p className="mono" data-testid="kick-confirm-process">
        {describeModuleProcess(module)}
        {module !== null ? ` · connected for ${formatDuration(now - module.connectedAt)}` : ''}
      </p>
    </ConfirmDialog>
  );
}
