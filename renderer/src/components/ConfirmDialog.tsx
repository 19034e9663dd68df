import { type ReactNode, useRef } from 'react';
import { ModalDialog } from './ModalDialog';

/**
 * One question before a destructive action, in a modal dialog. Cancel has the focus, so Enter or a
 * stray key press confirms nothing; Esc cancels.
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
  const cancelRef = useRef<HTMLButtonElement>(null);
  return (
    <ModalDialog
      title={title}
      testId={testId}
      onCancel={onCancel}
      focusRef={cancelRef}
      actions={
        <>
          <button type="button" ref={cancelRef} onClick={onCancel} data-testid={`${testId}-cancel`}>
            cancel
          </button>
          <button type="button" className="danger" onClick={onConfirm} data-testid={`${testId}-button`}>
            {confirmLabel}
          </button>
        </>
      }
    >
      {children}
    </ModalDialog>
  );
}
