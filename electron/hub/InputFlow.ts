import { FrameError } from '../protocol/frameCodec';
import { ErrorCode } from '../protocol/protocol';
import type { HubConnection } from './HubConnection';
import type { HubCore } from './HubCore';
import type { MemoryBudget } from './MemoryBudget';
import type { MonitorTap } from './MonitorTap';

const NOTHING = Buffer.alloc(0);

/**
 * Reading from a connection as fast as its answers allow: bytes are decoded and handled until the
 * connection's own answers (LIST replies, errors, PONGs) cross queueLimit; then the rest of the read
 * waits, reading pauses, and it resumes once the socket has taken what was queued. Input held for
 * partial frames is counted against the hub-wide memory budget here.
 */
export class InputFlow {
  constructor(
    private readonly core: HubCore,
    private readonly tap: MonitorTap,
    private readonly budget: MemoryBudget,
    private readonly connections: () => Iterable<HubConnection>,
  ) {}

  /**
   * Decodes and handles bytes from `conn`. When its own answers cross the queue limit the decoder
   * stops; once they are flushed, handling goes on if the socket took them, and otherwise the rest
   * waits in conn.unread with reading paused.
   */
  handle(conn: HubConnection, chunk: Buffer, now: number): void {
    this.core.clock.stamp(now);
    let rest = chunk;
    for (;;) {
      let stoppedAt = rest.length;
      try {
        stoppedAt = conn.decoder.push(rest, conn.visitor);
      } catch (err) {
        if (err instanceof FrameError) this.core.fail(conn, err.code, err.message);
        else this.core.fail(conn, ErrorCode.MALFORMED_FRAME, `the hub could not handle a frame: ${(err as Error).message}`);
      }
      if (this.budget.noteInput(conn)) this.refuseLargestInput(conn);
      this.tap.flushRun();
      this.core.output.flushDirty();
      if (!conn.isOpen || stoppedAt === rest.length) break;
      rest = rest.subarray(stoppedAt);
      if (conn.queuedBytes > this.core.limits.queueLimit) {
        conn.unread = rest;
        break;
      }
    }
    if (conn.isOpen && (conn.unread !== null || conn.queuedBytes > this.core.limits.queueLimit)) this.pauseUntilDrained(conn);
  }

  /** Partial frames alone exceed the memory budget: the connection holding the largest one is refused. */
  private refuseLargestInput(reader: HubConnection): void {
    const largest = this.budget.largestInput(this.connections(), reader);
    this.core.statistics.totals.budgetDisconnects++;
    this.core.fail(
      largest,
      ErrorCode.FRAME_TOO_LARGE,
      `the hub's memory budget of ${this.budget.limit} bytes is used up, and this connection's incomplete frame of ${largest.inputAccounted} bytes is the largest it holds`,
    );
  }

  /**
   * A connection whose own answers (LIST replies, errors) pile up unread is not read from until they
   * drain: its requests cannot make the hub buffer without bound, and nobody else waits on it.
   */
  private pauseUntilDrained(conn: HubConnection): void {
    if (!conn.readPaused) {
      conn.readPaused = true;
      conn.stream.pause();
    }
    // 'drain' comes only after a write was refused at the stream's high-water mark. Below that mark
    // a write of nothing, queued behind the rest, completes once they have and says so.
    if (!conn.stream.writableNeedDrain && !conn.drainProbe && conn.stream.writable) {
      conn.drainProbe = true;
      conn.stream.write(NOTHING, () => {
        conn.drainProbe = false;
        this.resumeIfDrained(conn);
      });
    }
  }

  /** Resumes a paused connection once its queue is back under the limit: on 'drain', on the drain probe, and from the sweep. */
  resumeIfDrained(conn: HubConnection): void {
    if (!conn.readPaused || conn.role === 'closed' || conn.queuedBytes > this.core.limits.queueLimit) return;
    const unread = conn.unread;
    if (unread !== null) {
      conn.unread = null;
      this.handle(conn, unread, performance.now());
      if (conn.unread !== null || !conn.isOpen || conn.queuedBytes > this.core.limits.queueLimit) return;
    }
    conn.readPaused = false;
    conn.stream.resume();
  }
}
