export * from './protocol';
export * from './frameCodec';
export * from './moduleId';
export * from './hubEvents';
export { RelayHub, HubCommandError, HUB_ENDPOINT_ID, type RelayHubOptions, type InjectOptions, type InProcessReply } from './RelayHub';
export { type ConnectionOrigin, type Transport, type ModuleStats } from './HubConnection';
export { listen, HubListener, ListenError, type ListenOptions } from './listeners';
export { parseSocketAddress, parseHostPort, formatSocketAddress, defaultSocket, connectSocket, isLoopbackHost, AddressError, type SocketAddress } from './socketAddress';
