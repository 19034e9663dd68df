import { describe, expect, it } from 'vitest';
import type { WireEvent } from '../../electron/bridge/contract';
import { buildScene, type Lane, SEQUENCE_ROW_HEIGHT, type SequenceMark } from '../../renderer/src/components/sequenceScene';
import { compileFilter, EMPTY_FILTER, type FilterSpec } from '../../renderer/src/state/rowFilter';
import { SequenceLanes } from '../../renderer/src/state/SequenceLanes';
import { TrafficStore } from '../../renderer/src/state/TrafficStore';
import { messageEvent } from './eventFixtures';

function setFilter(store: TrafficStore, spec: Partial<FilterSpec>): void {
  const result = compileFilter({ ...EMPTY_FILTER, ...spec });
  if (!result.ok) throw new Error(result.error);
  store.setFilter(result.filter);
}

type MessageEvent = Extract<WireEvent, { type: 'message' }>;

function message(fields: Parameters<typeof messageEvent>[0], extra: Partial<MessageEvent>): MessageEvent {
  return { ...(messageEvent(fields) as MessageEvent), ...extra };
}

function request(source: string, destination: string, correlationId: number, time: number, kind: 'request' | 'reply' = 'request'): WireEvent {
  return message({ source, destination, kind, payload: kind, time }, { correlationId });
}

const join = (id: string, time = 1): WireEvent => ({ type: 'join', time, id, role: 'module', transport: 'unix', listener: '/tmp/x.sock' });
const leave = (id: string, time = 1): WireEvent => ({ type: 'leave', time, id, role: 'module', reason: 'said goodbye', code: 0 });

/** The scene of every row shown, over lanes 100 px apart in the order the lanes give. */
function sceneOf(store: TrafficStore, order: readonly string[]) {
  const lanes: Lane[] = order.map((id, i) => ({ id, x: 100 * (i + 1), color: '#fff' }));
  const rows = Array.from({ length: store.visibleCount }, (_, index) => ({ index, row: store.row(store.visibleRowNumberAt(index)) as NonNullable<ReturnType<TrafficStore['row']>> }));
  return buildScene(rows, lanes, store, (index) => index * SEQUENCE_ROW_HEIGHT);
}

describe('SequenceLanes', () => {
  it('has one lane per module the shown rows name, in the order each first appears, and follows arriving rows', () => {
    const store = new TrafficStore(100);
    const lanes = new SequenceLanes();
    store.append([messageEvent({ source: 'C', destination: 'A' }), messageEvent({ source: 'B', destination: null }), messageEvent({ source: 'A', destination: 'C' })]);
    expect(lanes.update(store)).toEqual(['C', 'A', 'B']);
    store.append([messageEvent({ source: 'D', destination: 'A' })]);
    expect(lanes.update(store)).toEqual(['C', 'A', 'B', 'D']);
  });

  it('starts again from the filtered rows when the filter changes', () => {
    const store = new TrafficStore(100);
    const lanes = new SequenceLanes();
    store.append([messageEvent({ source: 'A', destination: 'B', payload: 'x' }), messageEvent({ source: 'C', destination: 'D', payload: 'needle' })]);
    expect(lanes.update(store)).toEqual(['A', 'B', 'C', 'D']);
    setFilter(store, { text: 'needle' });
    expect(lanes.update(store)).toEqual(['C', 'D']);
    store.append([messageEvent({ source: 'E', destination: 'B', payload: 'no' })]);
    expect(lanes.update(store)).toEqual(['C', 'D']);
  });

  it('keeps its order as rows are evicted, and drops the lane of a module no stored row names', () => {
    const store = new TrafficStore(3);
    const lanes = new SequenceLanes();
    store.append([messageEvent({ source: 'A', destination: 'B' }), messageEvent({ source: 'C', destination: 'B' })]);
    expect(lanes.update(store)).toEqual(['A', 'B', 'C']);
    store.append([messageEvent({ source: 'C', destination: 'B' }), messageEvent({ source: 'B', destination: 'C' })]);
    // A's only row was evicted; B and C keep their places.
    expect(lanes.update(store)).toEqual(['B', 'C']);
  });

  it('starts again after a clear', () => {
    const store = new TrafficStore(10);
    const lanes = new SequenceLanes();
    store.append([messageEvent({ source: 'A', destination: 'B' })]);
    expect(lanes.update(store)).toEqual(['A', 'B']);
    store.clear();
    store.append([messageEvent({ source: 'X', destination: 'Y' })]);
    expect(lanes.update(store)).toEqual(['X', 'Y']);
  });
});

describe('the sequence scene', () => {
  it('draws unicast as an arrow between lanes, a broadcast as a dot with ticks on the other lanes, hub events on their lane', () => {
    const store = new TrafficStore(10);
    store.append([join('A'), messageEvent({ source: 'A', destination: 'B', payload: 'hi' }), messageEvent({ source: 'B', destination: null, payload: 'all' }), leave('A')]);
    const { marks } = sceneOf(store, ['A', 'B', 'C']);
    expect(marks.map((mark) => mark.type)).toEqual(['event', 'arrow', 'fanout', 'event']);
    expect(marks[0]).toMatchObject({ event: 'join', x: 100 });
    expect(marks[1]).toMatchObject({ from: 100, to: 200, label: 'hi', error: false, top: SEQUENCE_ROW_HEIGHT });
    expect(marks[2]).toMatchObject({ x: 200, ticks: [100, 300], label: 'all' });
    expect(marks[3]).toMatchObject({ event: 'leave', x: 100 });
  });

  it('links a request and its reply with an arc labelled with the round-trip time, on the requester side away from the responder', () => {
    const store = new TrafficStore(10);
    store.append([request('A', 'B', 7, 1_000_000), messageEvent({ source: 'C', destination: 'B' }), request('B', 'A', 7, 1_012_300, 'reply')]);
    const { arcs } = sceneOf(store, ['A', 'B', 'C']);
    expect(arcs).toEqual([{ requestRow: 0, replyRow: 2, x: 100, side: -1, requestTop: 0, replyTop: 2 * SEQUENCE_ROW_HEIGHT, label: '12.3 ms' }]);
  });

  it('draws a request that got no reply, and an error from the hub, in red', () => {
    const store = new TrafficStore(10);
    store.append([request('A', 'B', 1, 1), leave('A'), { type: 'error', time: 2, id: 'B', code: 3, codeName: 'NO_SUCH_MODULE', message: 'no module "Z"' }]);
    const { marks, arcs } = sceneOf(store, ['A', 'B', '$hub']);
    expect(arcs).toEqual([]);
    expect(marks[0]).toMatchObject({ type: 'arrow', error: true });
    expect(marks[0].label).toContain('no reply');
    expect(marks[2]).toMatchObject({ type: 'arrow', from: 300, to: 200, error: true, label: 'NO_SUCH_MODULE: no module "Z"' });
  });

  it('draws an arrow to a hidden lane as a stub naming the module, and nothing for a row between two hidden lanes', () => {
    const store = new TrafficStore(10);
    store.append([messageEvent({ source: 'A', destination: 'B', payload: 'p' }), messageEvent({ source: 'C', destination: 'A', payload: 'q' }), messageEvent({ source: 'C', destination: 'B' })]);
    const { marks } = sceneOf(store, ['A']);
    expect(marks).toHaveLength(2);
    const [out, into] = marks as Extract<SequenceMark, { type: 'arrow' }>[];
    expect(out).toMatchObject({ from: 100, stub: 'destination', label: '→ B: p' });
    expect(out.to).toBeGreaterThan(100);
    expect(into).toMatchObject({ to: 100, stub: 'source', label: 'C: q' });
    expect(into.from).toBeLessThan(100);
  });

  it('marks injected messages as dashed', () => {
    const store = new TrafficStore(10);
    store.append([message({ source: 'A', destination: 'B' }, { injected: true })]);
    expect(sceneOf(store, ['A', 'B']).marks[0]).toMatchObject({ type: 'arrow', dashed: true });
  });
});
