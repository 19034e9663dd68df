import type { RelayscopeApi } from '@contract';
import type { CompiledFilter } from './rowFilter';
import { SearchMatches } from './SearchMatches';
import type { TrafficStore } from './TrafficStore';

type SearchApi = Pick<RelayscopeApi, 'search' | 'searchCancel' | 'onSearch'>;

/**
 * Runs the backend's whole-payload search for the filter bar. Each filter with payload terms
 * cancels the search before it and starts its own, whose progress reaches the table through
 * TrafficStore.applySearchProgress. The search runs in the backend (electron/bridge/PayloadSearches.ts)
 * because that is where the whole payloads are; the page holds 64-byte previews.
 */
export class PayloadSearchRunner {
  /** Pages can share a backend and every page gets every search's pushes: IDs start at random so two pages' searches do not collide. */
  private nextId = 1 + Math.floor(Math.random() * 2 ** 40);
  private current: SearchMatches | null = null;
  private readonly stopPushes: () => void;

  constructor(
    private readonly api: SearchApi,
    private readonly store: TrafficStore,
  ) {
    this.stopPushes = api.onSearch((progress) => store.applySearchProgress(progress));
  }

  /** Applies the filter to the table, with a new search when it has payload terms. */
  apply(filter: CompiledFilter): void {
    if (filter.payloadExpression === '') {
      this.cancel();
      this.store.setFilter(filter);
      return;
    }
    // The new search cancels the running one in the same call (typing makes one call per change).
    const replaces = this.current?.searchId;
    const search = new SearchMatches(this.nextId++, filter.payloadExpression, filter.caseSensitive);
    this.current = search;
    this.store.setFilter(filter, search);
    const args = { searchId: search.searchId, expression: search.expression, caseSensitive: search.caseSensitive };
    void this.api.search(replaces === undefined ? args : { ...args, replaces }).then((result) => {
      if (!result.ok) this.store.failSearch(search.searchId, `${result.error.code}: ${result.error.message}`);
    });
  }

  /** Starts the table's search again: the backend forgets a page's searches when it disconnects, and an opened recording's after a seek. */
  restart(): void {
    if (this.current !== null) this.apply(this.store.filter);
  }

  dispose(): void {
    this.cancel();
    this.stopPushes();
  }

  private cancel(): void {
    if (this.current === null) return;
    void this.api.searchCancel({ searchId: this.current.searchId });
    this.current = null;
  }
}
