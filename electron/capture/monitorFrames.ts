import type { EventFrame, TrafficFrame } from '../protocol/frameCodec';
import { HubEventCode, MESSAGE_KIND_NAMES, TrafficFlag } from '../protocol/protocol';
import { tapChunkOfTraffic } from '../protocol/tapChunk';
import type { CapturedEvent, CapturedEventName, CapturedMessage } from './captureRecord';

/**
 * What a monitor connection receives (TRAFFIC copies and EVENTs, PROTOCOL.md 8) as capture records,
 * for the recorders that read a hub over a socket: `relayscope record` and the UI's Record button
 * when attached (MonitorRecording). The in-process recorder writes the same fields from the hub's
 * own frames (RecordingBuffer.ts).
 */

/** The capture's name of each hub event a recording keeps; other event codes are not recorded. */
export const CAPTURED_EVENT_NAMES: Readonly<Record<number, CapturedEventName>> = {
  [HubEventCode.JOIN]: 'join',
  [HubEventCode.LEAVE]: 'leave',
  [HubEventCode.ERROR]: 'error',
  [HubEventCode.MONITOR_DROPPED]: 'monitor-dropped',
};

/** A TRAFFIC copy as a message record, a tapped chunk with its direction, offset and partial flag; null for a kind this reader does not know. */
export function capturedTraffic(traffic: TrafficFrame): CapturedMessage | null {
  const kind = MESSAGE_KIND_NAMES[traffic.kind];
  if (kind === undefined) return null;
  const message: CapturedMessage = {
    type: 'message',
    time: traffic.timestampMicros,
    kind,
    source: traffic.source,
    destination: traffic.destination === '' ? null : traffic.destination,
    correlationId: traffic.correlationId,
    injected: (traffic.flags & TrafficFlag.INJECTED) !== 0,
    payload: traffic.payload,
  };
  const tap = tapChunkOfTraffic(traffic);
  if (tap !== undefined) message.tap = tap;
  return message;
}

/** An EVENT as an event record (a join's detail is the peer's identity as JSON: peerIdentity.ts); null for an event a capture does not keep. */
export function capturedEvent(event: EventFrame): CapturedEvent | null {
  const name = CAPTURED_EVENT_NAMES[event.event];
  if (name === undefined) return null;
  return { type: 'event', time: event.timestampMicros, event: name, id: event.id, code: event.code, detail: event.detail };
}
