import type { ContractCarrier } from '@contract';
import { backendTransport, type BackendTransport, type ConnectionState } from './BackendTransport';

const IPC_STATE: ConnectionState = { status: 'connected', detail: '', nextAttemptAt: null };

/** The preload's window.relayscope: IPC to the main process, which is up as long as the window is. */
export function createElectronTransport(ipc: ContractCarrier): BackendTransport {
  return backendTransport({
    description: 'Electron IPC',
    invoke: (channel, args) => ipc.invoke(channel, args),
    on: (channel, callback) => ipc.on(channel, callback),
    connectionState: () => IPC_STATE,
    onConnectionState: () => () => undefined,
    close: () => undefined,
  });
}
