import type { ReactNode } from 'react';
import { ModalDialog } from './ModalDialog';

/** The modal shell of the filter bar's dialogs (saved filters, colouring rules): Esc or "close" closes it. */
export function FilterDialog({ title, testId, onClose, children }: { title: string; testId: string; onClose: () => void; children: ReactNode }) {
  return (
    <ModalDialog
      title={title}
      testId={testId}
      className="filter-dialog"
      onCancel={onClose}
      actions={
        <button type="button" onClick={onClose} data-testid={`${testId}-close`}>
          close
        </button>
      }
    >
      {children}
    </ModalDialog>
  );
}
