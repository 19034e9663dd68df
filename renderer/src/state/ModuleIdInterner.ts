/** The index of "no module" (a broadcast's destination, a system row's source). */
export const NO_MODULE = -1;

/** Module IDs as small integers, so a stored row holds two numbers rather than two strings. */
export class ModuleIdInterner {
  private ids: string[] = [];
  private indexes = new Map<string, number>();

  /** IDs in the table, referenced or not. */
  get size(): number {
    return this.ids.length;
  }

  intern(id: string): number {
    const known = this.indexes.get(id);
    if (known !== undefined) return known;
    const index = this.ids.length;
    this.ids.push(id);
    this.indexes.set(id, index);
    return index;
  }

  /** The ID of an index intern() returned; '' for NO_MODULE. */
  idOf(index: number): string {
    return index === NO_MODULE ? '' : this.ids[index];
  }

  /**
   * Empties the table and returns the map from old indexes to new ones: passing each index still
   * in use through it re-interns just those IDs.
   */
  restart(): (index: number) => number {
    const oldIds = this.ids;
    this.clear();
    return (index) => (index === NO_MODULE ? NO_MODULE : this.intern(oldIds[index]));
  }

  clear(): void {
    this.ids = [];
    this.indexes = new Map();
  }
}
