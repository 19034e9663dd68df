import { type ReactNode, useEffect, useRef } from 'react';

/**
 * One question before a destructive action, in a modal dialog: what is behind it is inert while it
 * is open, so a double click on the button that opened it does nothing more. Cancel has the focus, so
 * Enter or a stray key press confirms nothing; Esc cancels; clicking outside does not close it (a
 * double click would open and shut it unseen).
 */
export function ConfirmDialog({
  title,
  confirmLabel,
  testId,
  onConfirm,
  onCancel,
  children,
}: {
  title: string;
  confirmLabel: string;
  /** data-testid of the dialog; its buttons are `${testId}-cancel` and `${testId}-button`. */
  testId: string;
  onConfirm: () => void;
  onCancel: () => void;
  children: ReactNode;
}) {
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
      data-testid={testId}
      aria-label={title}
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <h3>{title}</h3>
      {children}
      <div className="dialog-actions">
        <button type="button" ref={cancelRef} onClick={onCancel} data-testid={`${testId}-cancel`}>
          cancel
        </button>
        <button type="button" className="danger" onClick={onConfirm} data-testid={`${testId}-button`}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
