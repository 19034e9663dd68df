import type { FilterSpec } from './rowFilter';

/** What the lanes read of the traffic store: the rows the table shows and the modules they name. */
export interface LaneRows {
  readonly filterSpec: FilterSpec;
  readonly firstRowNumber: number;
  readonly visibleCount: number;
  visibleRowNumberAt(index: number): number;
  sourceIdAt(rowNumber: number): string;
  destinationIdAt(rowNumber: number): string;
}

/**
 * The sequence view's lanes: one per module the shown rows name (as source or destination), in the
 * order each first appears. A new filter (or a clear) scans the shown rows once; after that each
 * arriving row is looked at once. Lanes keep their order as old rows are evicted, so they do not
 * jump about under the live tail; a module none of the stored rows names any more loses its lane,
 * which keeps the lanes bounded by the ring.
 */
export class SequenceLanes {
  private order: string[] = [];
  /** The newest row number that names each lane's module. */
  private lastSeen = new Map<string, number>();
  private spec: FilterSpec | null = null;
  /** The newest row number scanned; -1 before any. */
  private scannedThrough = -1;

  /** The lanes for what `rows` shows now, in order of first appearance. */
  update(rows: LaneRows): readonly string[] {
    if (rows.filterSpec !== this.spec || rows.firstRowNumber > this.scannedThrough + 1) this.restart(rows.filterSpec);
    const count = rows.visibleCount;
    // The shown rows ascend by row number: the unscanned ones are at the end.
    let start = count;
    while (start > 0 && rows.visibleRowNumberAt(start - 1) > this.scannedThrough) start--;
    for (let index = start; index < count; index++) {
      const rowNumber = rows.visibleRowNumberAt(index);
      this.see(rows.sourceIdAt(rowNumber), rowNumber);
      this.see(rows.destinationIdAt(rowNumber), rowNumber);
      this.scannedThrough = rowNumber;
    }
    if (this.order.some((id) => (this.lastSeen.get(id) ?? -1) < rows.firstRowNumber)) {
      this.order = this.order.filter((id) => (this.lastSeen.get(id) ?? -1) >= rows.firstRowNumber);
      for (const id of [...this.lastSeen.keys()]) if (!this.order.includes(id)) this.lastSeen.delete(id);
    }
    return this.order;
  }

  private restart(spec: FilterSpec): void {
    this.spec = spec;
    this.order = [];
    this.lastSeen = new Map();
    this.scannedThrough = -1;
  }

  private see(id: string, rowNumber: number): void {
    if (id === '') return;
    if (!this.lastSeen.has(id)) this.order.push(id);
    this.lastSeen.set(id, rowNumber);
  }
}
