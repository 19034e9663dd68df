import { type ReactNode, useEffect, useRef } from 'react';

/**
 * The modal shell of the filter bar's dialogs (saved filters, colouring rules): the table behind is
 * inert while it is open; Esc or "close" closes it.
 */
export function FilterDialog({ title, testId, onClose, children }: { title: string; testId: string; onClose: () => void; children: ReactNode }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog === null) return;
    if (!dialog.open) dialog.showModal();
    return () => dialog.close();
  }, []);
  return (
    <dialog
      ref={dialogRef}
      className="confirm-dialog filter-dialog"
      data-testid={testId}
      aria-label={title}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <h3>{title}</h3>
      {children}
      <div className="dialog-actions">
        <button type="button" onClick={onClose} data-testid={`${testId}-close`}>
          close
        </button>
      </div>
    </dialog>
  );
}
