import { BackpressureError } from './errors';

/** A frame sent while the client was not registered; `operation` is the correlation ID of the operation it starts, if any. */
export interface OutboxEntry {
  frame: Buffer;
  operation?: number;
}

/**
 * Frames sent while the client is not registered (the hub is unreachable, or a reconnect is under
 * way), kept in order for the next connection. Bounded in bytes, so a long outage cannot use up
 * memory: past the bound add() throws BackpressureError and the sender decides what to drop.
 */
export class Outbox {
  private entries: OutboxEntry[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  add(frame: Buffer, operation?: number): void {
    if (this.bytes + frame.length > this.maxBytes) {
      throw new BackpressureError(`cannot buffer ${frame.length} more bytes while the hub is unreachable: ${this.bytes} of ${this.maxBytes} bytes are already waiting`, this.bytes, this.maxBytes);
    }
    this.entries.push(operation === undefined ? { frame } : { frame, operation });
    this.bytes += frame.length;
  }

  /** Removes and returns everything buffered, oldest first. */
  takeAll(): OutboxEntry[] {
    const entries = this.entries;
    this.clear();
    return entries;
  }

  clear(): void {
    this.entries = [];
    this.bytes = 0;
  }
}
