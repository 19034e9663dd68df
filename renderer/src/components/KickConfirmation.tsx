import { useEffect, useRef } from 'react';
import type { WireModule } from '@contract';
import { formatDuration } from '../format/timeFormat';

/** Who the module is, as far as the hub knows: transport, peer address, the process's pid and uid. */
export function describeModuleProcess(module: WireModule | null): string {
  if (module === null) return 'no details from the hub yet';
  const parts = [module.transport];
  if (module.peer !== undefined) parts.push(module.peer);
  if (module.pid !== undefined) parts.push(`pid ${module.pid}`);
  if (module.uid !== undefined) parts.push(`uid ${module.uid}`);
  return parts.join(', ');
}

/**
 * The one question before a kick, in a modal dialog away from the modules list: the list's kick
 * buttons are inert while it is open, so a double click on kick opens it and does nothing else.
 * Cancel has the focus, so Enter or a stray key press does not kick; clicking outside does not
 * close it (that would make a double click open and shut it unseen).
 */
export function KickConfirmation({ id, module, now, onConfirm, onCancel }: { id: string; module: WireModule | null; now: number; onConfirm: () => void; onCancel: () => void }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog === null) return;
    if (!dialog.open) dialog.showModal();
    cancelRef.current?.focus();
    return () => dialog.close();
  }, []);

  return (
    <dialog
      ref={dialogRef}
      className="confirm-dialog"
      data-testid="kick-confirm"
      aria-labelledby="kick-confirm-title"
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <h3 id="kick-confirm-title">Kick {id}?</h3>
      <p>
        The hub disconnects <span className="mono strong">{id}</span> with a KICKED error; its client library does not reconnect.
      </p>
      <p className="mono" data-testid="kick-confirm-process">
        {describeModuleProcess(module)}
        {module !== null ? ` · connected for ${formatDuration(now - module.connectedAt)}` : ''}
      </p>
      <div className="dialog-actions">
        <button type="button" ref={cancelRef} onClick={onCancel} data-testid="kick-cancel">
          cancel
        </button>
        <button type="button" className="danger" onClick={onConfirm} data-testid="kick-confirm-button">
          kick {id}
        </button>
      </div>
    </dialog>
  );
}
