export { RelayClient } from './RelayClient';
export type { RelayClientOptions, RelayClientEvents, ReceivedMessage, PresenceNotice, InjectRequest, ModuleIdentity } from './clientTypes';
export type { ReconnectOptions } from './Reconnector';
export { RelayError, ConnectError, TimeoutError, ClosedError, BackpressureError } from './errors';
export type { Welcome, TrafficFrame, EventFrame } from '../protocol/frameCodec';
export type { HubSnapshot } from '../hub/hubEvents';
export { ErrorCode, errorName, HubEventCode, MessageKind, MESSAGE_KIND_NAMES, type MessageKindName } from '../protocol/protocol';
export { defaultSocket } from '../sockets/socketAddress';
