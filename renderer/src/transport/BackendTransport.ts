import type { RelayscopeApi } from '../../../electron/bridge/contract';

export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected';

export interface ConnectionState {
  status: ConnectionStatus;
  /** Why the last connection ended, for the status bar; empty when there is nothing to say. */
  detail: string;
  /** When the next attempt starts (ms since the Unix epoch), while disconnected. */
  nextAttemptAt: number | null;
}

/** The contract's API plus what the UI needs to know about the carrier itself. */
export interface BackendTransport extends RelayscopeApi {
  /** "Electron IPC" or the WebSocket URL. */
  readonly description: string;
  connectionState(): ConnectionState;
  onConnectionState(callback: (state: ConnectionState) => void): () => void;
  close(): void;
}

/** The error code calls fail with when the backend cannot be reached. */
export const BACKEND_DISCONNECTED = 'BACKEND_DISCONNECTED';
