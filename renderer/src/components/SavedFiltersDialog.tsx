import { useState, useSyncExternalStore } from 'react';
import { filterExpression } from '../state/filterExpression';
import type { FilterSpec } from '../state/rowFilter';
import { MAX_FILTER_NAME, type SavedFilters } from '../state/savedFilters';
import { FilterDialog } from './FilterDialog';

/** Save the filter bar's whole state under a name; list, apply, rename and delete the saved ones. */
export function SavedFiltersDialog({ saved, current, onApply, onClose }: { saved: SavedFilters; current: FilterSpec; onApply: (spec: FilterSpec) => void; onClose: () => void }) {
  useSyncExternalStore(saved.subscribe, saved.getVersion);
  const [name, setName] = useState('');
  const [renaming, setRenaming] = useState<{ from: string; to: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const currentExpression = filterExpression(current);

  const save = (): void => {
    const refused = saved.save(name, current);
    setProblem(refused);
    if (refused === null) setName('');
  };
  const rename = (): void => {
    if (renaming === null) return;
    const refused = saved.rename(renaming.from, renaming.to);
    setProblem(refused);
    if (refused === null) setRenaming(null);
  };

  return (
    <FilterDialog title="Saved filters" testId="saved-filters" onClose={onClose}>
      <form
        className="saved-filter-form"
        onSubmit={(event) => {
          event.preventDefault();
          save();
        }}
      >
        <input
          value={name}
          onChange={(event) => setName(event.target.value)}
          placeholder="name of the current filter"
          maxLength={MAX_FILTER_NAME}
          data-testid="saved-filter-name"
          aria-label="name of the current filter"
        />
        <button type="submit" className="primary" data-testid="saved-filter-save">
          save
        </button>
      </form>
      <p className="mono muted saved-filter-expression" title="The current filter in the capture filter language (docs/CAPTURE.md, Filters)">
        {currentExpression === '' ? 'the current filter shows every row' : currentExpression}
      </p>
      {problem !== null && (
        <p className="inline-error" role="alert" data-testid="saved-filter-error">
          {problem}
        </p>
      )}
      {saved.storageProblem !== null && <p className="warn">{saved.storageProblem}</p>}
      {saved.unreadable > 0 && <p className="warn">{saved.unreadable} stored filters could not be read back and were left out</p>}
      {saved.list.length === 0 ? (
        <p className="muted">No saved filters yet.</p>
      ) : (
        <ul className="saved-filter-list">
          {saved.list.map((entry) => (
            <li key={entry.name} data-testid="saved-filter" data-name={entry.name}>
              {renaming?.from === entry.name ? (
                <form
                  className="saved-filter-form"
                  onSubmit={(event) => {
                    event.preventDefault();
                    rename();
                  }}
                >
                  <input
                    value={renaming.to}
                    onChange={(event) => setRenaming({ from: entry.name, to: event.target.value })}
                    maxLength={MAX_FILTER_NAME}
                    data-testid="saved-filter-new-name"
                    aria-label={`new name for ${entry.name}`}
                  />
                  <button type="submit" className="small" data-testid="saved-filter-rename-ok">
                    ok
                  </button>
                </form>
              ) : (
                <span className="saved-filter-name">{entry.name}</span>
              )}
              <span className="mono muted saved-filter-expression">{filterExpression(entry.spec) || 'every row'}</span>
              <span className="saved-filter-actions">
                <button type="button" className="small primary" onClick={() => onApply(entry.spec)} data-testid="saved-filter-apply">
                  apply
                </button>
                <button type="button" className="small" onClick={() => setRenaming({ from: entry.name, to: entry.name })} data-testid="saved-filter-rename">
                  rename
                </button>
                <button type="button" className="small danger" onClick={() => saved.remove(entry.name)} data-testid="saved-filter-delete">
                  delete
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
    </FilterDialog>
  );
}
