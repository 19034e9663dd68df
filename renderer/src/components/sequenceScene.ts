import { previewText } from '../format/previewText';
import { type Conversation, formatRoundTrip, roundTripLabel } from '../state/conversations';
import { KIND_COLORS } from '../state/moduleColors';
import type { RowKind } from '../state/rowKinds';
import { HUB_SOURCE, type TrafficRow } from '../state/trafficRows';

/** Fixed, like the table's rows, so a row's place follows from its index alone. */
export const SEQUENCE_ROW_HEIGHT = 22;
/** How far an arrow to or from a hidden lane reaches out of the lane it has. */
export const STUB_LENGTH = 40;
export const ERROR_COLOR = KIND_COLORS.error;

/** A lane shown, at its x in the view's content (before horizontal scrolling). */
export interface Lane {
  id: string;
  x: number;
  color: string;
}

interface MarkBase {
  rowNumber: number;
  kind: RowKind;
  /** The top of the row's band, in canvas pixels. */
  top: number;
  label: string;
  /** Errors, failed requests: drawn red. */
  error: boolean;
}

/**
 * What one row draws: an arrow from a lane to a lane (from === to: to itself); a broadcast's fan-out
 * (a dot on the source lane, a tick on every other); a hub event on a lane (join, leave, an error
 * about one module); a note across the view (rows about no module).
 */
export type SequenceMark =
  | (MarkBase & { type: 'arrow'; source: string; destination: string; from: number; to: number; color: string; dashed: boolean; stub: 'source' | 'destination' | null })
  | (MarkBase & { type: 'fanout'; source: string; x: number | null; ticks: number[]; color: string; dashed: boolean })
  | (MarkBase & { type: 'event'; module: string; x: number; event: 'join' | 'leave' | 'other' })
  | (MarkBase & { type: 'note' });

/** A request→reply arc beside the requester's lane, labelled with the round-trip time. */
export interface SequenceArc {
  requestRow: number;
  replyRow: number;
  x: number;
  /** -1: bulges to the left of the lane, 1: to the right (away from the responder). */
  side: -1 | 1;
  /** Row tops of the request and the reply (either may be outside the canvas). */
  requestTop: number;
  replyTop: number;
  label: string;
}

export interface SequenceScene {
  marks: SequenceMark[];
  arcs: SequenceArc[];
}

/** What the scene reads of the rows beyond those it draws. */
export interface SceneRows {
  conversation(rowNumber: number): Conversation | null;
  /** The view index of a row, -1 when it is not shown. */
  visibleIndexOf(rowNumber: number): number;
}

/**
 * Lays out the rows in view (with their view index) over the lanes shown. `topOf(index)` is the
 * top of a row's band on the canvas. Pure: the painter draws it, the view hit-tests and describes it.
 */
export function buildScene(rows: readonly { index: number; row: TrafficRow }[], lanes: readonly Lane[], source: SceneRows, topOf: (index: number) => number): SequenceScene {
  const laneX = new Map(lanes.map((lane) => [lane.id, lane.x]));
  const colors = new Map(lanes.map((lane) => [lane.id, lane.color]));
  const marks: SequenceMark[] = [];
  const arcs: SequenceArc[] = [];
  const arced = new Set<number>();
  for (const { index, row } of rows) {
    const top = topOf(index);
    const mark = markOf(row, top, laneX, colors, lanes, source);
    if (mark !== null) marks.push(mark);
    const arc = arcOf(row, source, laneX, topOf, arced);
    if (arc !== null) arcs.push(arc);
  }
  return { marks, arcs };
}

function markOf(row: TrafficRow, top: number, laneX: Map<string, number>, colors: Map<string, string>, lanes: readonly Lane[], source: SceneRows): SequenceMark | null {
  const base = { rowNumber: row.rowNumber, kind: row.kind, top };
  if (row.kind === 'system') {
    const x = laneX.get(row.source);
    if (row.source === '' || x === undefined) return row.source === '' ? { ...base, type: 'note', label: row.note ?? '', error: false } : null;
    const note = row.note ?? '';
    return { ...base, type: 'event', module: row.source, x, label: note, error: false, event: note.startsWith('joined') ? 'join' : note.startsWith('left') ? 'leave' : 'other' };
  }
  if (row.kind === 'error') {
    const label = row.note ?? '';
    const hub = laneX.get(HUB_SOURCE);
    const target = row.destination === null ? undefined : laneX.get(row.destination);
    if (hub !== undefined && target !== undefined && row.destination !== null) {
      return { ...base, type: 'arrow', source: row.source, destination: row.destination, from: hub, to: target, color: ERROR_COLOR, label, error: true, dashed: false, stub: null };
    }
    const x = target ?? hub;
    if (x === undefined) return { ...base, type: 'note', label, error: true };
    return { ...base, type: 'event', module: target !== undefined && row.destination !== null ? row.destination : HUB_SOURCE, x, label, error: true, event: 'other' };
  }
  const text = previewText(row.preview);
  const color = colors.get(row.source) ?? KIND_COLORS[row.kind];
  if (row.kind === 'broadcast' || row.destination === null) {
    const x = laneX.get(row.source) ?? null;
    const ticks = lanes.filter((lane) => lane.id !== row.source).map((lane) => lane.x);
    return { ...base, type: 'fanout', source: row.source, x, ticks, color, label: text, error: false, dashed: row.injected };
  }
  const from = laneX.get(row.source);
  const to = laneX.get(row.destination);
  if (from === undefined && to === undefined) return null;
  const failed = requestFailed(row, source);
  const label = failed === null ? text : `${text} · ${failed}`;
  const arrow = {
    ...base,
    type: 'arrow' as const,
    source: row.source,
    destination: row.destination,
    color: failed === null ? color : ERROR_COLOR,
    label,
    error: failed !== null,
    dashed: row.injected,
  };
  if (from !== undefined && to !== undefined) return { ...arrow, from, to, stub: null };
  // One end's lane is hidden: a short arrow out of (or into) the lane that is shown, naming the other.
  if (from === undefined && to !== undefined) return { ...arrow, from: to - STUB_LENGTH, to, stub: 'source', label: `${row.source}: ${label}` };
  const start = from as number;
  return { ...arrow, from: start, to: start + STUB_LENGTH, stub: 'destination', label: `→ ${row.destination}: ${label}` };
}

/** For a request that got no reply, what became of it ("no reply", "peer gone"); else null. */
function requestFailed(row: TrafficRow, source: SceneRows): string | null {
  if (row.kind !== 'request') return null;
  const conversation = source.conversation(row.rowNumber);
  if (conversation === null || conversation.state === 'answered' || conversation.state === 'pending') return null;
  return roundTripLabel(conversation);
}

/** The arc of an answered request whose request and reply rows are both shown, once per pair. */
function arcOf(row: TrafficRow, source: SceneRows, laneX: Map<string, number>, topOf: (index: number) => number, arced: Set<number>): SequenceArc | null {
  if (row.kind !== 'request' && row.kind !== 'reply') return null;
  const conversation = source.conversation(row.rowNumber);
  if (conversation === null || conversation.state !== 'answered' || conversation.replyRow === null || arced.has(conversation.requestRow)) return null;
  const requestIndex = source.visibleIndexOf(conversation.requestRow);
  const replyIndex = source.visibleIndexOf(conversation.replyRow);
  if (requestIndex < 0 || replyIndex < 0) return null;
  const requester = laneX.get(conversation.requester);
  const responder = laneX.get(conversation.responder);
  const x = requester ?? responder;
  if (x === undefined) return null;
  arced.add(conversation.requestRow);
  const towardsResponder = responder !== undefined && requester !== undefined ? Math.sign(responder - requester) : 1;
  return {
    requestRow: conversation.requestRow,
    replyRow: conversation.replyRow,
    x,
    side: towardsResponder > 0 ? -1 : 1,
    requestTop: topOf(requestIndex),
    replyTop: topOf(replyIndex),
    label: formatRoundTrip((conversation.replyTime ?? conversation.requestTime) - conversation.requestTime),
  };
}
