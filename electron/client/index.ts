export {
  RelayClient,
  type RelayClientOptions,
  type RelayClientEvents,
  type ReconnectOptions,
  type ReceivedMessage,
  type PresenceNotice,
  type InjectRequest,
} from './RelayClient';
export { RelayError, ConnectError, TimeoutError, ClosedError, BackpressureError } from './errors';
export type { Welcome, TrafficFrame, EventFrame } from '../protocol/frameCodec';
export type { HubSnapshot } from '../hub/hubEvents';
export { ErrorCode, errorName, HubEventCode, MessageKind, MESSAGE_KIND_NAMES, type MessageKindName } from '../protocol/protocol';
export { defaultSocket } from '../sockets/socketAddress';
