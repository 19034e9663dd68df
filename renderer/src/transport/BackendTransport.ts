import { contractApi, type ContractCarrier, type RelayscopeApi } from '@contract';

export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected';

export interface ConnectionState {
  status: ConnectionStatus;
  /** Why the last connection ended, for the status bar; empty when there is nothing to say. */
  detail: string;
  /** When the next attempt starts (ms since the Unix epoch), while disconnected. */
  nextAttemptAt: number | null;
}

/** What the UI needs to know about the carrier itself. */
export interface CarrierState {
  /** "Electron IPC" or the WebSocket URL. */
  readonly description: string;
  connectionState(): ConnectionState;
  onConnectionState(callback: (state: ConnectionState) => void): () => void;
  close(): void;
}

/** A carrier of the contract with its state: the preload's window.relayscope with a fixed state, or the WebSocket transport. */
export type Carrier = ContractCarrier & CarrierState;

/** What the components use: the contract's method per channel, and the state of what carries them. */
export type BackendTransport = RelayscopeApi & CarrierState;

/** The contract's methods (built from its channel table) over `carrier`. */
export function backendTransport(carrier: Carrier): BackendTransport {
  return {
    ...contractApi(carrier),
    description: carrier.description,
    connectionState: () => carrier.connectionState(),
    onConnectionState: (callback) => carrier.onConnectionState(callback),
    close: () => carrier.close(),
  };
}

/** The error code calls fail with when the backend cannot be reached. */
export const BACKEND_DISCONNECTED = 'BACKEND_DISCONNECTED';
