const TWO_POW_32 = 2 ** 32;

/**
 * The hub's timestamps: microseconds since the epoch. Every monitor copy made while one read chunk is
 * handled carries the chunk's time, computed once and kept split into the two u32 halves the
 * TRAFFIC and TRAFFIC_RUN headers take, so copying a message does no clock or 64-bit arithmetic.
 */
export class HubClock {
  /** Microseconds of the chunk being handled. */
  chunkMicros = 0;
  /** chunkMicros as the u64's high and low u32 (the object is reused, never reallocated). */
  readonly chunkHalves = { hi: 0, lo: 0 };

  /** Sets the time that monitor copies of the frames about to be handled carry. */
  stamp(now = performance.now()): void {
    const micros = Math.floor((performance.timeOrigin + now) * 1000);
    this.chunkMicros = micros;
    this.chunkHalves.hi = Math.floor(micros / TWO_POW_32);
    this.chunkHalves.lo = micros >>> 0;
  }

  nowMicros(): number {
    return Math.floor((performance.timeOrigin + performance.now()) * 1000);
  }
}
