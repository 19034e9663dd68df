export * from '../protocol/protocol';
export * from '../protocol/frameCodec';
export * from '../protocol/moduleId';
export * from './hubEvents';
export {
  RelayHub,
  HubCommandError,
  HubTimeoutError,
  HUB_ENDPOINT_ID,
  type RelayHubOptions,
  type InjectOptions,
  type InProcessReply,
  type Recording,
  type HubRecordingOptions,
  type RecordingStatus,
} from './RelayHub';
export type { ConnectionOrigin, Transport, ModuleStats } from './HubConnection';
export { listen, HubListener, ListenError, type ListenOptions } from './listeners';
export { parseSocketAddress, parseHostPort, formatSocketAddress, defaultSocket, connectSocket, isLoopbackHost, AddressError, type SocketAddress } from '../sockets/socketAddress';
