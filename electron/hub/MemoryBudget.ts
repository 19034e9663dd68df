import * as os from 'node:os';
import type { HubConnection } from './HubConnection';

/**
 * What one unanswered-request record costs, for the budget: the Map entry, its key string and the
 * record object, measured at roughly 100–150 bytes on Node 20.
 */
export const REQUEST_RECORD_BYTES = 160;

/** 1/8 of the machine's memory, between 64 MiB and 1 GiB. */
export function defaultMemoryBudget(): number {
  return Math.max(64 * 1024 * 1024, Math.min(1024 * 1024 * 1024, Math.floor(os.totalmem() / 8)));
}

export interface BudgetHolder {
  conn: HubConnection;
  bytes: number;
}

/**
 * The hub-wide bound on what its connections make it hold: partial frames being read, output queued
 * towards them, and unanswered-request records. Each connection is bounded on its own (frame limit,
 * queueLimit, 4096 records), but those bounds add up to gigabytes over 1,024 connections; this one
 * caps the sum. Input is counted as it is buffered, so a frame that would cross the budget is refused
 * at once; output and records are summed at each sweep.
 */
export class MemoryBudget {
  /** Bytes of partial frames the decoders hold, summed over connections. */
  private input = 0;
  /** The last sweep's total (input + output + records), for STATS. */
  lastTotal = 0;

  constructor(readonly limit: number) {
    if (!(Number.isInteger(limit) && limit > 0)) throw new RangeError(`memory budget must be a positive number of bytes, not ${limit}`);
  }

  /** Updates what `conn`'s decoder holds after a read; true when the input alone is now over the budget. */
  noteInput(conn: HubConnection): boolean {
    const held = conn.decoder.reservedBytes;
    if (held !== conn.inputAccounted) {
      this.input += held - conn.inputAccounted;
      conn.inputAccounted = held;
    }
    return this.input > this.limit;
  }

  /** Forgets a closed connection's input. */
  release(conn: HubConnection): void {
    this.input -= conn.inputAccounted;
    conn.inputAccounted = 0;
  }

  /**
   * The connection holding the largest partial frame: the one to refuse when input crosses the
   * budget. On a tie it is `reader`, whose read crossed it, so connections already holding their
   * share are not the ones to pay.
   */
  largestInput(connections: Iterable<HubConnection>, reader: HubConnection): HubConnection {
    let largest = reader;
    for (const conn of connections) if (conn.inputAccounted > largest.inputAccounted) largest = conn;
    return largest;
  }

  /**
   * Sums everything held; when over the budget, returns the connections to close, largest holders
   * first, until what is left fits.
   */
  sweep(connections: Iterable<HubConnection>): BudgetHolder[] {
    const holders: BudgetHolder[] = [];
    let total = 0;
    for (const conn of connections) {
      const bytes = conn.inputAccounted + conn.queuedBytes + conn.pendingRequests.size * REQUEST_RECORD_BYTES;
      total += bytes;
      if (bytes > 0) holders.push({ conn, bytes });
    }
    this.lastTotal = total;
    if (total <= this.limit) return [];
    holders.sort((a, b) => b.bytes - a.bytes);
    const close: BudgetHolder[] = [];
    for (const holder of holders) {
      if (total <= this.limit) break;
      close.push(holder);
      total -= holder.bytes;
    }
    return close;
  }
}
