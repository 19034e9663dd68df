import { type ReactNode, type RefObject, useEffect, useRef } from 'react';

/**
 * The shell of every modal dialog: shown with showModal(), so what is behind it is inert while it is
 * open and a double click on the button that opened it does nothing more; Esc calls onCancel;
 * clicking outside does not close it (a double click would open and shut it unseen).
 */
export function ModalDialog({
  title,
  testId,
  className,
  onCancel,
  focusRef,
  actions,
  children,
}: {
  title: string;
  testId: string;
  className?: string;
  onCancel: () => void;
  /** What gets the focus when the dialog opens (the browser's choice otherwise). */
  focusRef?: RefObject<HTMLElement | null>;
  actions: ReactNode;
  children: ReactNode;
}) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog === null) return;
    if (!dialog.open) dialog.showModal();
    focusRef?.current?.focus();
    return () => dialog.close();
  }, [focusRef]);
  return (
    <dialog
      ref={dialogRef}
      className={className === undefined ? 'confirm-dialog' : `confirm-dialog ${className}`}
      data-testid={testId}
      aria-label={title}
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <h3>{title}</h3>
      {children}
      <div className="dialog-actions">{actions}</div>
    </dialog>
  );
}
