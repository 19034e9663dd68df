import type { RelayscopeApi } from '../../../electron/bridge/contract';
import type { BackendTransport, ConnectionState } from './BackendTransport';

const IPC_STATE: ConnectionState = { status: 'connected', detail: '', nextAttemptAt: null };

/** The preload's window.relayscope: IPC to the main process, which is up as long as the window is. */
export function createElectronTransport(api: RelayscopeApi): BackendTransport {
  return {
    description: 'Electron IPC',
    snapshot: () => api.snapshot(),
    inject: (args) => api.inject(args),
    request: (args) => api.request(args),
    kick: (args) => api.kick(args),
    payload: (args) => api.payload(args),
    listen: (args) => api.listen(args),
    onEvents: (callback) => api.onEvents(callback),
    onSnapshot: (callback) => api.onSnapshot(callback),
    connectionState: () => IPC_STATE,
    onConnectionState: () => () => undefined,
    close: () => undefined,
  };
}
