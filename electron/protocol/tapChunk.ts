import { TrafficFlag } from './protocol';

/**
 * What a copy of a chunk a tap passed on (electron/hub/tap/, PROTOCOL.md 15) carries besides the
 * message fields. On the wire (TRAFFIC), in MCAP entries and in pcapng it is the TrafficFlag bits
 * TAPPED, TAP_FROM_UPSTREAM and TAP_PARTIAL plus a u64 offset; these two functions convert.
 */
export interface TapChunk {
  /** 'to-upstream': the client wrote it; 'to-client': the upstream server wrote it. */
  direction: 'to-upstream' | 'to-client';
  /** Where its first byte is in that direction's stream: bytes passed on before it since the connection opened. */
  offset: number;
  /** A piece of a message longer than the display limit, or one the end of the stream cut off. */
  partial: boolean;
}

/** The TrafficFlag bits of a tapped chunk (0 for a message that is none). */
export function tapFlagsOf(tap: TapChunk | undefined): number {
  if (tap === undefined) return 0;
  return TrafficFlag.TAPPED | (tap.direction === 'to-client' ? TrafficFlag.TAP_FROM_UPSTREAM : 0) | (tap.partial ? TrafficFlag.TAP_PARTIAL : 0);
}

/** The chunk's description from TrafficFlag bits (TAPPED set) and its offset. */
export function tapChunkOf(flags: number, offset: number): TapChunk {
  return { direction: flags & TrafficFlag.TAP_FROM_UPSTREAM ? 'to-client' : 'to-upstream', offset, partial: (flags & TrafficFlag.TAP_PARTIAL) !== 0 };
}

/** What a TRAFFIC copy (or any record with TrafficFlag bits and an offset) says of a tapped chunk: undefined for a message that is none. */
export function tapChunkOfTraffic(traffic: { flags: number; offset?: number }): TapChunk | undefined {
  return traffic.flags & TrafficFlag.TAPPED ? tapChunkOf(traffic.flags, traffic.offset ?? 0) : undefined;
}
