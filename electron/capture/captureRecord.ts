import type { MessageKindName } from '../protocol/protocol';
import type { TapChunk } from '../protocol/tapChunk';

/**
 * What a recording holds, independent of the file format it is stored in (MCAP, pcapng, JSON
 * Lines; docs/CAPTURE.md maps each field onto each format). Every writer takes these records and
 * every reader gives them back, so converting between formats is reading one and writing the other.
 */

/** One relayed (or injected) message, as the live view shows it, with its whole payload. */
export interface CapturedMessage {
  type: 'message';
  /** Microseconds since the Unix epoch at which the hub read the message. */
  time: number;
  kind: MessageKindName;
  source: string;
  /** null for a broadcast */
  destination: string | null;
  correlationId: number;
  /** true when a monitor or the app injected it rather than `source` sending it */
  injected: boolean;
  /** Set for a chunk a tap passed on between two programs: its direction and stream offset. */
  tap?: TapChunk;
  payload: Uint8Array;
}

/** Registry and error events: who joined, who left and why, kicks, errors the hub sent. */
export type CapturedEventName = 'join' | 'leave' | 'error' | 'monitor-dropped';

export interface CapturedEvent {
  type: 'event';
  /** Microseconds since the Unix epoch. */
  time: number;
  event: CapturedEventName;
  /** the module (or monitor) the event is about; '' before HELLO */
  id: string;
  /** ErrorCode for 'error' and for a 'leave' caused by one, else 0 */
  code: number;
  /** free text: the leave reason, the error message, the missed count */
  detail: string;
}

export type CaptureRecord = CapturedMessage | CapturedEvent;

/** The hub's counters at a moment (the start and the end of a recording). */
export interface CaptureCounters {
  /** Microseconds since the Unix epoch. */
  time: number;
  messages: number;
  bytes: number;
  errors: number;
  drops: number;
  modules: number;
}

/** What a recording says about itself (MCAP metadata `relayscope`; see docs/CAPTURE.md). */
export interface CaptureInfo {
  /** name of the hub (host:socket by default) */
  hub: string;
  /** the addresses the hub listened on */
  sockets: string[];
  host: string;
  /** Microseconds since the Unix epoch at which recording started. */
  startTime: number;
  relayscopeVersion: string;
  /** How many message copies the recorder missed (0 unless the hub or the disk could not keep up). */
  missed: number;
  countersAtStart: CaptureCounters | null;
  countersAtEnd: CaptureCounters | null;
}
