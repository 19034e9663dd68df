/**
 * Frame writers for the hub's hot path: they write a frame's header straight into an output slab at
 * a given offset, so relaying a message allocates nothing. The payload is copied (or written as its
 * own buffer) by the caller right after the header. Each writer produces exactly the bytes of the
 * matching encoder in frameCodec.ts (test/protocol/frameWriters.test.ts checks it); the layouts are
 * the ones documented in protocol.ts and docs/PROTOCOL.md.
 */
import { FrameType, LENGTH_PREFIX_BYTES } from './protocol';

/** Offsets within a MESSAGE body (after the type byte): u8 kind, u8 flags, u32 correlationId, u8 peerLen, peer, payload. */
export const MessageBody = {
  KIND: 0,
  FLAGS: 1,
  CORRELATION: 2,
  PEER_LENGTH: 6,
  PEER: 7,
} as const;

/** Bytes before the payload of a MESSAGE frame whose peer ID is `peerLength` bytes, length prefix included. */
export function messageHeaderLength(peerLength: number): number {
  return LENGTH_PREFIX_BYTES + 1 + MessageBody.PEER + peerLength;
}

/** Bytes before the payload of a TRAFFIC frame, length prefix included. */
export function trafficHeaderLength(sourceLength: number, destinationLength: number): number {
  return LENGTH_PREFIX_BYTES + 1 + 8 + 1 + 1 + 4 + 1 + sourceLength + 1 + destinationLength;
}

/** The u64 stream offset a TRAFFIC copy of a tapped chunk (TrafficFlag.TAPPED) carries between dst and the payload. */
export const TAP_OFFSET_BYTES = 8;

/** Bytes before the embedded MESSAGE frames of a TRAFFIC_RUN, length prefix included. */
export function trafficRunHeaderLength(sourceLength: number): number {
  return LENGTH_PREFIX_BYTES + 1 + 8 + 1 + sourceLength + 4;
}

export function writeU32(target: Buffer, at: number, value: number): void {
  target[at] = value >>> 24;
  target[at + 1] = (value >>> 16) & 0xff;
  target[at + 2] = (value >>> 8) & 0xff;
  target[at + 3] = value & 0xff;
}

function writeShortBytes(target: Buffer, at: number, bytes: Buffer): number {
  target[at] = bytes.length;
  for (let i = 0; i < bytes.length; i++) target[at + 1 + i] = bytes[i];
  return at + 1 + bytes.length;
}

/**
 * A MESSAGE as the hub delivers it: `kind`, the four correlation bytes at corr[corrAt], the source ID
 * as the peer. Returns the offset where the payload of `payloadLength` bytes goes.
 */
export function writeMessageHeader(target: Buffer, at: number, kind: number, corr: Buffer, corrAt: number, source: Buffer, payloadLength: number): number {
  writeU32(target, at, 1 + MessageBody.PEER + source.length + payloadLength);
  target[at + 4] = FrameType.MESSAGE;
  target[at + 5] = kind;
  target[at + 6] = 0;
  target[at + 7] = corr[corrAt];
  target[at + 8] = corr[corrAt + 1];
  target[at + 9] = corr[corrAt + 2];
  target[at + 10] = corr[corrAt + 3];
  return writeShortBytes(target, at + 11, source);
}

/**
 * A TRAFFIC copy: the timestamp as two u32 halves (the hub computes them once per read chunk), kind,
 * flags, correlation bytes, source, destination (empty for a broadcast). Returns the payload offset.
 */
export function writeTrafficHeader(
  target: Buffer,
  at: number,
  micros: { hi: number; lo: number },
  kind: number,
  flags: number,
  corr: Buffer,
  corrAt: number,
  source: Buffer,
  destination: Buffer | null,
  payloadLength: number,
): number {
  const destinationLength = destination === null ? 0 : destination.length;
  writeU32(target, at, trafficHeaderLength(source.length, destinationLength) - LENGTH_PREFIX_BYTES + payloadLength);
  target[at + 4] = FrameType.TRAFFIC;
  writeU32(target, at + 5, micros.hi);
  writeU32(target, at + 9, micros.lo);
  target[at + 13] = kind;
  target[at + 14] = flags;
  target[at + 15] = corr[corrAt];
  target[at + 16] = corr[corrAt + 1];
  target[at + 17] = corr[corrAt + 2];
  target[at + 18] = corr[corrAt + 3];
  const p = writeShortBytes(target, at + 19, source);
  if (destination === null) {
    target[p] = 0;
    return p + 1;
  }
  return writeShortBytes(target, p, destination);
}

/**
 * A TRAFFIC copy of a tapped chunk: writeTrafficHeader's layout with flags TAPPED and the u64 stream
 * `offset` after dst (no correlation ID: the four bytes are zero). Returns the payload offset.
 */
export function writeTappedTrafficHeader(
  target: Buffer,
  at: number,
  micros: { hi: number; lo: number },
  flags: number,
  source: Buffer,
  destination: Buffer,
  offset: number,
  payloadLength: number,
): number {
  const p = writeTrafficHeader(target, at, micros, 0, flags, NO_CORRELATION, 0, source, destination, TAP_OFFSET_BYTES + payloadLength);
  writeU32(target, p, Math.floor(offset / 2 ** 32));
  writeU32(target, p + 4, offset >>> 0);
  return p + TAP_OFFSET_BYTES;
}

const NO_CORRELATION = Buffer.alloc(4);

/** A TRAFFIC_RUN header for `count` MESSAGE frames totalling `runBytes`; returns where they go. */
export function writeTrafficRunHeader(target: Buffer, at: number, micros: { hi: number; lo: number }, source: Buffer, count: number, runBytes: number): number {
  const headerLength = trafficRunHeaderLength(source.length);
  writeU32(target, at, headerLength - LENGTH_PREFIX_BYTES + runBytes);
  target[at + 4] = FrameType.TRAFFIC_RUN;
  writeU32(target, at + 5, micros.hi);
  writeU32(target, at + 9, micros.lo);
  const p = writeShortBytes(target, at + 13, source);
  writeU32(target, p, count);
  return p + 4;
}

/**
 * Sets the correlation ID of an encoded answer whose body starts with it (OK, LIST_REPLY,
 * STATS_REPLY) written at target[at]: one encoded answer can then serve many requests.
 */
export function writeAnswerCorrelation(target: Buffer, at: number, correlationId: number): void {
  writeU32(target, at + LENGTH_PREFIX_BYTES + 1, correlationId);
}

/** The length prefix and type byte of a MESSAGE frame whose body is `bodyLength` bytes (a frame rebuilt from a reassembled body). */
export function writeMessagePrefix(target: Buffer, at: number, bodyLength: number): number {
  writeU32(target, at, bodyLength + 1);
  target[at + 4] = FrameType.MESSAGE;
  return at + 5;
}
