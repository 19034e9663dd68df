/** The shapes a RelayClient user handles: its options, what it receives, and the events it emits. */
import type { ModuleInfo } from '../hub/hubEvents';
import type { EventFrame, TrafficFrame } from '../protocol/frameCodec';
import type { MessageKindName } from '../protocol/protocol';
import type { RelayError } from './errors';
import type { ReconnectOptions } from './Reconnector';

export interface RelayClientOptions {
  /** Module ID (for a monitor: optional requested name, '' to let the hub pick one). */
  id: string;
  /** A path, '@name' or 'tcp://host:port'; defaultSocket() when omitted. */
  socket?: string;
  /** Connect as a monitor (HELLO with HelloFlag.MONITOR). */
  monitor?: boolean;
  token?: string;
  /**
   * On a Unix socket the client sends HELLO only to a hub running as this user or root (SO_PEERCRED),
   * so that another user's socket cannot collect the token; this allows one more uid. Default
   * $RELAYSCOPE_ALLOW_HUB_UID.
   */
  allowHubUid?: number;
  /** Covers connecting and waiting for WELCOME; default 5000. */
  connectTimeoutMs?: number;
  /** Default timeout of request(), list(), stats(), inject(), kick() and subscribePresence(); default 5000. */
  requestTimeoutMs?: number;
  /** Default true: 100 ms doubling to 5 s, jittered, unlimited attempts. */
  reconnect?: boolean | ReconnectOptions;
  /** Subscribe to presence after every (re)connect. */
  presence?: boolean;
  /**
   * The correlation ID of the client's first operation (1 to 4294967295); later ones count up and wrap.
   * By default a random one, as the C and Python clients do: a program run once per request (each CLI
   * command), or one that reconnects under the same module ID, would otherwise send every first request
   * as ID 1, so a monitor could not tell them apart and a late reply to an earlier run could answer this one.
   */
  firstCorrelationId?: number;
  /** Bytes of sends buffered while disconnected or reconnecting (default 8 MiB); beyond it send() throws BackpressureError. */
  maxBufferedBytes?: number;
}

export interface ReceivedMessage {
  kind: MessageKindName;
  source: string;
  correlationId: number;
  payload: Buffer;
  /** The payload decoded as UTF-8. */
  text(): string;
}

export interface PresenceNotice {
  event: 'join' | 'leave';
  id: string;
}

/**
 * A connected module and who is behind it, from listModules() (PROTOCOL.md 14.3): pid, uid, gid, exe
 * and cmdline where the hub read them at accept, framing for a program on a --plain listener.
 */
export type ModuleIdentity = Omit<ModuleInfo, 'role' | 'stats'>;

export interface InjectRequest {
  /** Source the receiver sees; '' or omitted for the monitor's own ID. */
  source?: string;
  /** Destination module; omitted or null for a broadcast. */
  destination?: string | null;
  /** Default: 'broadcast' without a destination, else 'unicast'. */
  kind?: MessageKindName;
  payload: Uint8Array | string;
  /** Correlation ID the injected message carries (e.g. to answer a real request). */
  correlationId?: number;
}

export interface RelayClientEvents {
  /** Every unicast, broadcast and request received (requests also emit 'request'). */
  message: [message: ReceivedMessage];
  request: [message: ReceivedMessage];
  presence: [notice: PresenceNotice];
  /** Monitors: a copy of each relayed message. */
  traffic: [traffic: TrafficFrame];
  /** Monitors: registry and error events. */
  hubEvent: [event: EventFrame];
  /** A non-fatal ERROR not matched to a pending operation, e.g. NO_SUCH_MODULE for a send(). */
  remoteError: [error: RelayError];
  /** The connection was lost unexpectedly (or the hub said BYE). */
  disconnect: [info: { error?: Error }];
  reconnecting: [info: { attempt: number; delayMs: number }];
  /** Registered again after a disconnect. */
  reconnect: [info: { attempts: number }];
  drain: [];
  /** Final: after close(), or when reconnecting is off, refused for good or exhausted. */
  close: [];
}
