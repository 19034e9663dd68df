/**
 * Relayscope wire protocol, version 1. docs/PROTOCOL.md is the full specification; this file holds
 * the constants it documents, so the two are kept side by side.
 *
 * Every frame, in both directions:
 *
 *   offset 0   u32 BE  length  — bytes that follow this field (type + body); at least 1
 *   offset 4   u8      type    — FrameType
 *   offset 5   ...     body    — layout depends on type; all integers big-endian
 *
 * Strings (module IDs, reasons) are UTF-8. A module ID on the wire is a u8 byte count followed by
 * the bytes. Payloads are opaque bytes and run to the end of the frame.
 */

export const PROTOCOL_VERSION = 1;

/** Bytes in the length prefix. */
export const LENGTH_PREFIX_BYTES = 4;

/** Default largest payload a MESSAGE may carry (16 MiB); the hub announces its own in WELCOME. */
export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

/**
 * Largest header a frame can add around its payload: the INJECT/TRAFFIC layouts with two 255-byte
 * IDs are the biggest. (A tapped TRAFFIC copy adds an 8-byte offset, but its two IDs are module IDs
 * of at most 64 bytes, so it stays far below.) A frame's length field may exceed maxPayload by at most this much.
 */
export const MAX_FRAME_OVERHEAD = 1 + 8 + 1 + 1 + 4 + 1 + 255 + 1 + 255;

/**
 * Largest frame the hub reads before HELLO is accepted: a HELLO with a 255-byte ID and a 65,535-byte
 * token. It keeps a connection that has not identified itself from making the hub buffer 16 MiB.
 */
export const MAX_HELLO_FRAME_LENGTH = 1 + 3 + 255 + 2 + 0xffff;

/**
 * The MESSAGE frames embedded in one TRAFFIC_RUN total at most this, unless the run is a single
 * larger frame (PROTOCOL.md 4.13): the hub cuts runs here, readers size their frame limit by it.
 */
export const MAX_RUN_BYTES = 1024 * 1024;

export function maxFrameLength(maxPayload: number): number {
  return maxPayload + MAX_FRAME_OVERHEAD;
}

export const FrameType = {
  /** client → hub: u8 version, u8 flags (HelloFlag), u8 idLen, id, u16 tokenLen, token */
  HELLO: 0x01,
  /** hub → client: u8 version, u32 maxPayload, u32 queueLimit, u32 idleTimeoutMs, u8 idLen, id */
  WELCOME: 0x02,
  /** hub → client: u16 code, u32 correlationId, u8 refLen, ref, message (UTF-8, rest of frame) */
  ERROR: 0x03,
  /** either way: opaque body of 0–8 bytes, echoed in the PONG */
  PING: 0x04,
  PONG: 0x05,
  /** either way, last frame before a clean close: u16 code, reason (UTF-8, rest of frame) */
  BYE: 0x06,
  /** hub → client: u32 correlationId — a command (INJECT, KICK, SUBSCRIBE) succeeded */
  OK: 0x07,
  /**
   * A relayed message: u8 kind (MessageKind), u8 flags (0), u32 correlationId, u8 peerLen, peer, payload.
   * client → hub: peer is the destination (empty for BROADCAST).
   * hub → client: peer is the source.
   */
  MESSAGE: 0x10,
  /** client → hub: u32 correlationId */
  LIST: 0x11,
  /** hub → client: u32 correlationId, u32 count, count × (u8 idLen, id) */
  LIST_REPLY: 0x12,
  /** monitor → hub: u32 correlationId */
  STATS: 0x13,
  /** hub → monitor: u32 correlationId, JSON (UTF-8, rest of frame), schema in PROTOCOL.md */
  STATS_REPLY: 0x14,
  /** client → hub: u32 correlationId, u8 on (1) / off (0) — join/leave notices as PRESENCE frames */
  SUBSCRIBE_PRESENCE: 0x15,
  /** hub → client: u8 event (PresenceEvent), u8 idLen, id */
  PRESENCE: 0x16,
  /**
   * hub → monitor, a copy of one relayed message: u64 timestampMicros, u8 kind, u8 flags (TrafficFlag), u32 correlationId,
   * u8 srcLen, src, u8 dstLen, dst (empty for broadcast), [u64 offset when flags has TAPPED], payload
   */
  TRAFFIC: 0x20,
  /**
   * hub → monitor, a registry or error event: u64 timestampMicros, u8 event (HubEventCode), u16 code,
   * u8 idLen, id, detail (UTF-8, rest of frame)
   */
  EVENT: 0x21,
  /**
   * hub → monitor that set HelloFlag.TRAFFIC_RUNS: u64 timestampMicros, u8 srcLen, src, u32 count, then
   * `count` MESSAGE frames exactly as the source sent them (length prefix included; their peer field is
   * the destination, empty for a broadcast). The hub forwards a run of relayed frames without
   * re-encoding them, so a monitor of this kind costs the relay almost nothing per message.
   */
  TRAFFIC_RUN: 0x22,
  /** monitor → hub: u8 kind, u8 flags, u32 correlationId, u8 srcLen, src, u8 dstLen, dst, payload */
  INJECT: 0x30,
  /** monitor → hub: u32 correlationId, u8 idLen, id, reason (UTF-8, rest of frame) */
  KICK: 0x31,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const HelloFlag = {
  /** Connect as a monitor: sees all traffic, may inject and kick, receives no broadcasts. */
  MONITOR: 0x01,
  /** If the ID is held, probe the holder and take the ID over when the holder does not answer. */
  TAKEOVER: 0x02,
  /** Monitor capability: receive relayed traffic as TRAFFIC_RUN frames (injected messages still come as TRAFFIC). */
  TRAFFIC_RUNS: 0x04,
} as const;

export const TrafficFlag = {
  /** The message was injected by a monitor or the app, not sent by its source module. */
  INJECTED: 0x01,
  /**
   * A chunk a tap passed on between two programs (electron/hub/tap/, PROTOCOL.md 15): the body carries
   * a u64 offset (the chunk's first byte in its direction's stream) between dst and the payload.
   */
  TAPPED: 0x02,
  /** With TAPPED: the upstream (the server) wrote it, to the client; without, the client wrote it. */
  TAP_FROM_UPSTREAM: 0x04,
  /** With TAPPED: a piece of a message longer than the tap's display limit, or one cut off by the end of the stream. */
  TAP_PARTIAL: 0x08,
} as const;

export const MessageKind = {
  UNICAST: 0,
  BROADCAST: 1,
  REQUEST: 2,
  REPLY: 3,
} as const;
export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind];

export const PresenceEvent = {
  JOIN: 1,
  LEAVE: 2,
} as const;

export const HubEventCode = {
  JOIN: 1,
  LEAVE: 2,
  /** An ERROR the hub sent to a connection; code carries its ErrorCode. */
  ERROR: 3,
  /** This monitor's queue overflowed; detail says how many TRAFFIC copies it missed. */
  MONITOR_DROPPED: 4,
} as const;

/** Error codes carried by ERROR and BYE frames. Fatal ones are followed by the hub closing the connection. */
export const ErrorCode = {
  BAD_VERSION: 1,
  INVALID_ID: 2,
  ID_IN_USE: 3,
  TOO_MANY_CONNECTIONS: 4,
  HELLO_REQUIRED: 5,
  BAD_TOKEN: 6,
  FRAME_TOO_LARGE: 7,
  MALFORMED_FRAME: 8,
  UNKNOWN_FRAME_TYPE: 9,
  NO_SUCH_MODULE: 10,
  PEER_GONE: 11,
  SLOW_CONSUMER: 12,
  IDLE_TIMEOUT: 13,
  NOT_PERMITTED: 14,
  SHUTDOWN: 15,
  KICKED: 16,
  REPLACED: 17,
  DUPLICATE_HELLO: 18,
  CLIENT_LEAVING: 19,
  /** Not fatal: the destination's outbound queue was full, so this one message was not delivered. */
  DESTINATION_OVERLOADED: 20,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ERROR_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

/** Errors after which the hub closes the connection. */
export const FATAL_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.BAD_VERSION,
  ErrorCode.INVALID_ID,
  ErrorCode.ID_IN_USE,
  ErrorCode.TOO_MANY_CONNECTIONS,
  ErrorCode.HELLO_REQUIRED,
  ErrorCode.BAD_TOKEN,
  ErrorCode.FRAME_TOO_LARGE,
  ErrorCode.MALFORMED_FRAME,
  ErrorCode.SLOW_CONSUMER,
  ErrorCode.IDLE_TIMEOUT,
  ErrorCode.KICKED,
  ErrorCode.REPLACED,
  ErrorCode.DUPLICATE_HELLO,
  ErrorCode.SHUTDOWN,
]);

export function errorName(code: number): string {
  return ERROR_NAMES[code] ?? `ERROR_${code}`;
}

export const MESSAGE_KIND_NAMES = ['unicast', 'broadcast', 'request', 'reply'] as const;
export type MessageKindName = (typeof MESSAGE_KIND_NAMES)[number];
