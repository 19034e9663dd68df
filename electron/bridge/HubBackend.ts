import type { RecordingStatus } from '../capture/Recording';
import type { HubEvent, HubSnapshot } from '../hub/hubEvents';
import type { SearchablePayloads } from '../hub/PayloadStore';
import type { WireHubLink, WireOffline } from './contract';
import type { InjectOptions, InProcessReply } from '../hub/RelayHub';

/** Where the backend's hub is: the addresses it listens on, and the address it is attached to when it runs elsewhere. */
export interface HubBackendDescription {
  listeners: string[];
  attachedTo: string | null;
  /** Set by the backend of an opened recording (OfflineBackend). */
  offline?: WireOffline;
}

/** A recording a backend started: the hub's in-process Recording, or one fed from a monitor connection. */
export interface BackendRecording {
  status(): RecordingStatus;
  stop(): Promise<RecordingStatus>;
  /** true when copies can be missed before they reach the recorder (a monitor connection): the UI says so. */
  readonly missedPossible: boolean;
}

/**
 * The hub as the UI bridge sees it, whether it runs in this process (LocalHubBackend) or elsewhere
 * with this process attached as a monitor (AttachedHubBackend). Failures reject with BackendError.
 */
export interface HubBackend {
  describe(): HubBackendDescription;
  /**
   * The backend's connection to its hub and its changes, for a backend that can lose its hub
   * (attached); absent = always up (a hub in this process, an opened recording).
   */
  link?(): WireHubLink;
  onLink?(callback: (link: WireHubLink) => void): () => void;
  snapshot(): Promise<HubSnapshot>;
  /**
   * Registry and traffic events in the batches of a HubEventStream: each batch bounded, with what
   * it skipped counted in a closing 'lost' event. Returns the unsubscribe function.
   */
  onEvents(callback: (batch: HubEvent[]) => void): () => void;
  inject(options: InjectOptions): Promise<void>;
  request(options: { destination: string; payload: Buffer; timeoutMs: number }): Promise<InProcessReply>;
  kick(id: string, reason?: string): Promise<void>;
  /** The full payload of a message event still held, or undefined once evicted. */
  payload(seq: number): Promise<Buffer | undefined>;
  /** The payloads held for payload(seq), for a whole-payload search. */
  searchablePayloads(): SearchablePayloads;
  /** Listens on exactly `addresses` from now on; returns their descriptions. Modules already connected stay. */
  setListeners(addresses: string[]): Promise<string[]>;
  /** Starts recording every message and event to `file` (MCAP) where the hub's traffic is: one at a time. */
  startRecording(file: string): Promise<BackendRecording>;
  close(): Promise<void>;
}

/** A failure the UI shows inline: `code` is a protocol error name (NO_SUCH_MODULE…) or TIMEOUT, NOT_CONNECTED. */
export class BackendError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}
