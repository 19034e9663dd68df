import { type RefObject, useEffect, useState, useSyncExternalStore } from 'react';
import { formatCount } from '../format/numberFormat';
import type { ModuleDirectory } from '../state/ModuleDirectory';
import { compileFilter, type FilterSpec, INITIAL_FILTER, type ModuleSide } from '../state/rowFilter';
import { type RowKind, ROW_KINDS } from '../state/rowKinds';
import type { TrafficStore } from '../state/TrafficStore';
import { ConfirmDialog } from './ConfirmDialog';

// Applying a filter rescans every stored row once; waiting for a pause in typing avoids one rescan per keystroke.
const TEXT_SETTLE_MS = 120;

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
}: {
  store: TrafficStore;
  directory: ModuleDirectory;
  filterInputRef: RefObject<HTMLInputElement | null>;
  follow?: FollowRequest | null;
}) {
  useSyncExternalStore(store.subscribe, store.getVersion);
  useSyncExternalStore(directory.subscribe, directory.getVersion);
  const [spec, setSpec] = useState<FilterSpec>(INITIAL_FILTER);

  // Following a conversation (from the detail pane or a row's menu): the two modules, either way.
  useEffect(() => {
    if (follow !== null) setSpec((previous) => ({ ...previous, module: follow.module, moduleSide: 'either', peer: follow.peer }));
  }, [follow]);
  const [appliedText, setAppliedText] = useState({ text: '', regex: false });
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const timer = setTimeout(() => setAppliedText({ text: spec.text, regex: spec.regex }), TEXT_SETTLE_MS);
    return () => clearTimeout(timer);
  }, [spec.text, spec.regex]);

  const { module, moduleSide, kinds } = spec;
  const peer = spec.peer ?? '';
  useEffect(() => {
    const result = compileFilter({ module, moduleSide, peer, kinds, text: appliedText.text, regex: appliedText.regex });
    if (result.ok) {
      setError(null);
      store.setFilter(result.filter);
    } else {
      // Keep the last valid filter applied while the expression is being fixed.
      setError(result.error);
    }
    // spec.text and spec.regex reach the store through appliedText, once typing settles.
  }, [store, module, moduleSide, peer, kinds, appliedText]);

  const update = (change: Partial<FilterSpec>): void => setSpec((previous) => ({ ...previous, ...change }));
  const toggleKind = (kind: RowKind): void => update({ kinds: spec.kinds.includes(kind) ? spec.kinds.filter((k) => k !== kind) : ROW_KINDS.filter((k) => k === kind || spec.kinds.includes(k)) });

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
      <label className="field checkbox" title="Treat the text as a regular expression (case-insensitive)">
        <input type="checkbox" checked={spec.regex} onChange={(event) => update({ regex: event.target.checked })} data-testid="filter-regex" />
        <span>regex</span>
      </label>
      <span className="match-count mono" data-testid="match-count" data-match-count={store.matchCount} data-row-count={store.rowCount}>
        {formatCount(store.matchCount)} of {formatCount(store.rowCount)} rows match
      </span>
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
