import { writeAnswerCorrelation } from '../protocol/frameWriters';
import type { HubConnection } from './HubConnection';

/**
 * Output batching: frames for a connection are appended to its slab while a read chunk is handled,
 * and each connection written to is flushed once at the end, so relaying N small messages from one
 * read costs one write per destination, not N.
 */
export class HubOutput {
  /** Connections written to while handling the current chunk. */
  private dirty: HubConnection[] = [];

  markDirty(conn: HubConnection): void {
    if (!conn.dirty) {
      conn.dirty = true;
      this.dirty.push(conn);
    }
  }

  flushDirty(): void {
    const dirty = this.dirty;
    for (let i = 0; i < dirty.length; i++) {
      dirty[i].dirty = false;
      dirty[i].flush();
    }
    dirty.length = 0;
  }

  /** Appends a shared encoded answer (LIST_REPLY, STATS_REPLY) with this request's correlation ID. */
  sendAnswer(conn: HubConnection, frame: Buffer, correlationId: number): void {
    if (conn.role === 'closed') return;
    const [slab, offset] = conn.reserve(frame.length);
    frame.copy(slab, offset);
    writeAnswerCorrelation(slab, offset, correlationId);
    this.markDirty(conn);
  }

  /** Appends a whole encoded frame (a control frame: WELCOME, ERROR, OK, replies…). */
  sendControl(conn: HubConnection, frame: Buffer): void {
    if (conn.role === 'closed') return;
    const [slab, offset] = conn.reserve(frame.length);
    frame.copy(slab, offset);
    this.markDirty(conn);
  }
}
