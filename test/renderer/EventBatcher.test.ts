import { describe, expect, it } from 'vitest';
import type { WireEvent } from '../../electron/bridge/contract';
import { EventBatcher } from '../../renderer/src/state/EventBatcher';
import { messageEvent } from './eventFixtures';

/** A frame scheduler the test advances by hand. */
function manualFrames(): { schedule: (callback: () => void) => () => void; runFrame: () => void; scheduled: () => number } {
  let callbacks: (() => void)[] = [];
  let scheduledTotal = 0;
  return {
    schedule(callback) {
      scheduledTotal++;
      callbacks.push(callback);
      return () => {
        callbacks = callbacks.filter((c) => c !== callback);
      };
    },
    runFrame() {
      const due = callbacks;
      callbacks = [];
      for (const callback of due) callback();
    },
    scheduled: () => scheduledTotal,
  };
}

describe('EventBatcher', () => {
  it('applies every batch pushed within a frame in one update, in arrival order', () => {
    const frames = manualFrames();
    const updates: WireEvent[][] = [];
    const batcher = new EventBatcher((events) => updates.push(events), frames.schedule);
    const first = [messageEvent({ source: 'A' }), messageEvent({ source: 'B' })];
    const second = [messageEvent({ source: 'C' })];
    batcher.push(first);
    batcher.push(second);
    expect(updates).toHaveLength(0);
    frames.runFrame();
    expect(updates).toEqual([[...first, ...second]]);
    expect(frames.scheduled()).toBe(1);
  });

  it('schedules a new frame for pushes after a flush', () => {
    const frames = manualFrames();
    const updates: WireEvent[][] = [];
    const batcher = new EventBatcher((events) => updates.push(events), frames.schedule);
    batcher.push([messageEvent({ source: 'A' })]);
    frames.runFrame();
    batcher.push([messageEvent({ source: 'B' })]);
    frames.runFrame();
    expect(updates.map((events) => events.length)).toEqual([1, 1]);
    expect(frames.scheduled()).toBe(2);
  });

  it('schedules nothing for an empty batch', () => {
    const frames = manualFrames();
    const batcher = new EventBatcher(() => undefined, frames.schedule);
    batcher.push([]);
    expect(frames.scheduled()).toBe(0);
  });

  it('applies what is queued at once on flush and cancels the pending frame', () => {
    const frames = manualFrames();
    const updates: WireEvent[][] = [];
    const batcher = new EventBatcher((events) => updates.push(events), frames.schedule);
    batcher.push([messageEvent({ source: 'A' })]);
    batcher.flush();
    frames.runFrame();
    expect(updates).toHaveLength(1);
    expect(batcher.queuedCount).toBe(0);
  });
});
