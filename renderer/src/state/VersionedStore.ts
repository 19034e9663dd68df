/**
 * The change signal a mutable store gives React's useSyncExternalStore: components pass
 * `store.subscribe` and `store.getVersion`, and re-render when the version moves. Subclasses call
 * changed() once per change they want shown, however much changed.
 */
export class VersionedStore {
  private version = 0;
  private readonly listeners = new Set<() => void>();

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getVersion = (): number => this.version;

  protected changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }
}
