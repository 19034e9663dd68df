import { type RefObject, useEffect, useState, useSyncExternalStore } from 'react';
import { formatCount } from '../format/numberFormat';
import type { ModuleDirectory } from '../state/ModuleDirectory';
import type { PayloadSearchRunner } from '../state/PayloadSearchRunner';
import { timeBoundText, withTimeBound } from '../state/filterExpression';
import { compileFilter, type FilterSpec, INITIAL_FILTER, type ModuleSide } from '../state/rowFilter';
import { type RowKind, ROW_KINDS } from '../state/rowKinds';
import type { TrafficStore } from '../state/TrafficStore';
import type { TrafficRow } from '../state/trafficRows';
import { pageColourRules } from '../state/colourRules';
import { SavedFilters } from '../state/savedFilters';
import { ColourRulesDialog } from './ColourRulesDialog';
import { ConfirmDialog } from './ConfirmDialog';
import { SavedFiltersDialog } from './SavedFiltersDialog';
import './filters.css';

// Applying a filter rescans every stored row once and starts a backend search; waiting for a pause in
// typing avoids one per keystroke. Just over a fast typist's 40 ms between keys: the 120 ms it was
// took more than the whole 100 ms a typed filter has to show its count (docs/PERFORMANCE.md, UI).
const TEXT_SETTLE_MS = 50;

/** A request to follow the conversation between two modules; a new nonce applies it again. */
export interface FollowRequest {
  nonce: number;
  module: string;
  peer: string;
}

export function FilterBar({
  store,
  directory,
  filterInputRef,
  follow = null,
  search,
  selectedRow,
}: {
  store: TrafficStore;
  directory: ModuleDirectory;
  /** Runs the backend's whole-payload search for the text, regex and field terms. */
  search: PayloadSearchRunner;
  filterInputRef: RefObject<HTMLInputElement | null>;
  follow?: FollowRequest | null;
  /** The row the time range's "from row" and "to row" take their time from. */
  selectedRow: TrafficRow | null;
}) {
  useSyncExternalStore(store.subscribe, store.getVersion);
  useSyncExternalStore(directory.subscribe, directory.getVersion);
  const [spec, setSpec] = useState<FilterSpec>(INITIAL_FILTER);
  const [saved] = useState(() => new SavedFilters());
  const [dialog, setDialog] = useState<'saved' | 'colours' | null>(null);

  // Following a conversation (from the detail pane or a row's menu): the two modules, either way.
  useEffect(() => {
    if (follow !== null) setSpec((previous) => ({ ...previous, module: follow.module, moduleSide: 'either', peer: follow.peer }));
  }, [follow]);
  const [appliedText, setAppliedText] = useState({ text: '', regex: false, caseSensitive: false, fields: '', time: '' });
  const [error, setError] = useState<string | null>(null);

  const caseSensitive = spec.caseSensitive === true;
  const fields = spec.fields ?? '';
  const time = spec.time ?? '';
  useEffect(() => {
    const timer = setTimeout(() => setAppliedText({ text: spec.text, regex: spec.regex, caseSensitive, fields, time }), TEXT_SETTLE_MS);
    return () => clearTimeout(timer);
  }, [spec.text, spec.regex, caseSensitive, fields, time]);

  const { module, moduleSide, kinds } = spec;
  const peer = spec.peer ?? '';
  useEffect(() => {
    // +N times and times of day count from the first message held (before any: from now).
    const result = compileFilter({ module, moduleSide, peer, kinds, ...appliedText }, store.firstTimeMicros ?? Date.now() * 1000);
    if (result.ok) {
      setError(null);
      // A new search for the payload terms cancels the one running (typing on, once it settles).
      search.apply(result.filter);
    } else {
      // Keep the last valid filter applied while the expression is being fixed.
      setError(result.error);
    }
    // The payload terms reach the table through appliedText, once typing settles.
  }, [search, store, module, moduleSide, peer, kinds, appliedText]);

  const update = (change: Partial<FilterSpec>): void => setSpec((previous) => ({ ...previous, ...change }));
  const toggleKind = (kind: RowKind): void => update({ kinds: spec.kinds.includes(kind) ? spec.kinds.filter((k) => k !== kind) : ROW_KINDS.filter((k) => k === kind || spec.kinds.includes(k)) });

  const setBound = (end: 'from' | 'to'): void => {
    if (selectedRow === null) return;
    const bound = timeBoundText(selectedRow.timeMicros, store.firstTimeMicros ?? selectedRow.timeMicros);
    setSpec((previous) => ({ ...previous, time: withTimeBound(previous.time ?? '', end, bound) }));
  };

  const moduleIds = directory.entries().map((entry) => entry.id);
  if (spec.module !== '' && !moduleIds.includes(spec.module)) moduleIds.push(spec.module);

  return (
    <div className="filter-bar">
      <label className="field">
        <span>module</span>
        <select value={spec.module} onChange={(event) => update({ module: event.target.value, peer: '' })} data-testid="filter-module">
          <option value="">any</option>
          {moduleIds.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </select>
        {peer !== '' ? (
          <span className="follow-chip mono" data-testid="follow-chip" title={`Only the traffic between ${spec.module} and ${peer}, both ways (mod:${spec.module} mod:${peer})`}>
            ⇄ {peer}
            <button type="button" className="small" onClick={() => update({ module: '', peer: '' })} aria-label="stop following the conversation" data-testid="follow-stop">
              ✕
            </button>
          </span>
        ) : (
          <select
            value={spec.moduleSide}
            onChange={(event) => update({ moduleSide: event.target.value as ModuleSide })}
            disabled={spec.module === ''}
            data-testid="filter-module-side"
            aria-label="module is"
          >
            <option value="either">either side</option>
            <option value="source">as source</option>
            <option value="destination">as destination</option>
          </select>
        )}
      </label>
      <div className="kind-toggles" role="group" aria-label="kinds">
        {ROW_KINDS.map((kind) => (
          <button key={kind} type="button" className={`kind-toggle kind-${kind}`} aria-pressed={spec.kinds.includes(kind)} data-testid="kind-toggle" data-kind={kind} onClick={() => toggleKind(kind)}>
            {kind}
          </button>
        ))}
      </div>
      <label className="field text-filter">
        <input
          ref={filterInputRef}
          type="search"
          value={spec.text}
          placeholder={spec.regex ? 'regular expression over the payload  ( / )' : 'text in the payload  ( / )'}
          onChange={(event) => update({ text: event.target.value })}
          aria-invalid={error !== null}
          data-testid="filter-text"
          spellCheck={false}
        />
      </label>
      <label className="field checkbox" title="Treat the text as a regular expression">
        <input type="checkbox" checked={spec.regex} onChange={(event) => update({ regex: event.target.checked })} data-testid="filter-regex" />
        <span>regex</span>
      </label>
      <button
        type="button"
        className="case-toggle mono"
        aria-pressed={caseSensitive}
        onClick={() => update({ caseSensitive: !caseSensitive })}
        data-testid="filter-case"
        title={caseSensitive ? 'Text and regex compare case (click to ignore case)' : 'Text and regex ignore case (click to compare case)'}
      >
        Aa
      </button>
      <label className="field fields-filter">
        <input
          type="search"
          value={fields}
          placeholder='fields: .temp > 30 .cmd == "open"'
          onChange={(event) => update({ fields: event.target.value })}
          aria-invalid={error?.startsWith('fields:') === true}
          data-testid="filter-fields"
          spellCheck={false}
          title="Comparisons of JSON payload fields: .path OP value, OP one of == != < <= > >=, a number, quoted text, true, false or null (docs/CAPTURE.md, Filters)"
        />
      </label>
      <div className="field time-filter">
        <input
          type="search"
          value={time}
          placeholder="time: from..to"
          onChange={(event) => update({ time: event.target.value })}
          aria-invalid={error?.startsWith('time:') === true}
          data-testid="filter-time"
          spellCheck={false}
          title="Rows from START to END, both included, either left out: a time of day as the table shows it (12:00:01.250..12:00:02), +N after the first message (+5s..+10s) or ISO 8601 (docs/CAPTURE.md, Filters)"
        />
        <button type="button" className="small" disabled={selectedRow === null} onClick={() => setBound('from')} data-testid="time-from-row" title="Start the time range at the selected row">
          ⇤row
        </button>
        <button type="button" className="small" disabled={selectedRow === null} onClick={() => setBound('to')} data-testid="time-to-row" title="End the time range at the selected row">
          row⇥
        </button>
      </div>
      <button type="button" className="small" onClick={() => setDialog('saved')} data-testid="saved-filters-button" title="Save the current filter under a name; apply, rename or delete saved ones">
        saved…
      </button>
      <button type="button" className="small" onClick={() => setDialog('colours')} data-testid="colour-rules-button" title="Colouring rules: rows matching a filter get a background colour">
        colours…
      </button>
      {dialog === 'colours' && <ColourRulesDialog rules={pageColourRules} onClose={() => setDialog(null)} />}
      {dialog === 'saved' && (
        <SavedFiltersDialog
          saved={saved}
          current={spec}
          onClose={() => setDialog(null)}
          onApply={(chosen) => {
            setSpec(chosen);
            setDialog(null);
          }}
        />
      )}
      <SearchStatus store={store} />
      <span className="spacer" />
      <LiveTailControls store={store} />
      {error !== null && (
        <p className="inline-error filter-error" data-testid="filter-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * How many rows match and, while a whole-payload search runs, how far it got; says so when rows were
 * matched on their previews because the backend no longer held their payloads.
 */
function SearchStatus({ store }: { store: TrafficStore }) {
  const search = store.search;
  const searching = search !== null && search.error === null && !search.caughtUp;
  const state = search === null ? 'none' : search.error !== null ? 'failed' : searching || store.searchPending > 0 ? 'searching' : 'done';
  const previewTested = search === null || search.error !== null ? 0 : store.previewTestedRows;
  return (
    <span
      className="match-count mono"
      data-testid="match-count"
      data-state={state}
      data-match-count={store.matchCount}
      data-row-count={store.rowCount}
      data-scanned={search?.scanned}
      data-total={search?.total}
      data-preview-tested={previewTested}
      data-search-id={search?.searchId}
    >
      {searching && (
        <span data-testid="search-progress">
          searching {formatCount(search.scanned)} of {formatCount(search.total)}… ·{' '}
        </span>
      )}
      {formatCount(store.matchCount)} of {formatCount(store.rowCount)} rows match
      {search !== null && search.error !== null && (
        <span className="warn" data-testid="search-failed" title={search.error}>
          {' '}
          · whole-payload search unavailable ({search.error}): matched on the 64-byte previews
        </span>
      )}
      {previewTested > 0 && (
        <span className="warn" data-testid="preview-only" title="The backend keeps the newest payloads only (docs/CAPTURE.md, Filters); these rows were tested on the 64 bytes the table holds">
          {' '}
          · {formatCount(previewTested)} searched on their 64-byte preview only: payload no longer held
        </span>
      )}
    </span>
  );
}

function LiveTailControls({ store }: { store: TrafficStore }) {
  const [confirmingClear, setConfirmingClear] = useState(false);
  return (
    <div className="live-tail">
      {store.paused && (
        <span className="pending mono" title={`${formatCount(store.arrivedWhilePaused)} rows arrived while paused; the ${formatCount(store.pendingCount)} that match the filter appear on resume`}>
          +<span data-testid="pending-count">{store.pendingCount}</span> new
          {store.evictedWhilePaused > 0 && (
            <span className="warn">
              {' '}
              · {formatCount(store.evictedWhilePaused)} older rows evicted (ring holds {formatCount(store.capacity)})
            </span>
          )}
        </span>
      )}
      <button
        type="button"
        className={store.paused ? 'primary' : ''}
        data-testid="pause-toggle"
        aria-pressed={store.paused}
        onClick={() => (store.paused ? store.resume() : store.pause())}
        title="Pause or resume the live tail (space)"
      >
        {store.paused ? '▶ resume' : '❚❚ pause'}
      </button>
      <button
        type="button"
        className="clear-rows"
        data-testid="clear-rows"
        disabled={store.rowCount === 0}
        onClick={() => setConfirmingClear(true)}
        title="Drop every row this window holds (asks first)"
      >
        clear…
      </button>
      {confirmingClear && (
        <ConfirmDialog
          title={`Clear ${formatCount(store.rowCount)} rows?`}
          confirmLabel="clear the table"
          testId="clear-confirm"
          onCancel={() => setConfirmingClear(false)}
          onConfirm={() => {
            setConfirmingClear(false);
            store.clear();
          }}
        >
          <p>
            Every row this window holds is dropped from the table, the detail pane and the filter counts. The hub, its modules and any recording are not touched; only rows that arrive from now on are
            shown.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
