import { describe, expect, it } from 'vitest';
import type { WireModule, WireSnapshot } from '../../electron/bridge/contract';
import { ModuleDirectory, UNSEEN_DEPARTURE_REASON } from '../../renderer/src/state/ModuleDirectory';
import { wireModule, wireSnapshot } from './eventFixtures';

function moduleNamed(id: string, rates: { in?: number; out?: number } = {}): WireModule {
  return wireModule(id, { messagesInPerSecond: rates.in ?? 0, messagesOutPerSecond: rates.out ?? 0 });
}

function snapshotAt(now: number, modules: WireModule[], total = 0): WireSnapshot {
  return wireSnapshot(now, modules, { messagesPerSecond: total });
}

describe('ModuleDirectory', () => {
  it('keeps a module that left visible with when and why, until departed modules are cleared', () => {
    const directory = new ModuleDirectory();
    directory.applySnapshot(snapshotAt(1000, [moduleNamed('A'), moduleNamed('B')]));
    directory.applyEvents([{ type: 'leave', time: 1_500_000, id: 'B', role: 'module', reason: 'KICKED: maintenance', code: 9 }]);
    directory.applySnapshot(snapshotAt(2000, [moduleNamed('A')]));
    expect(directory.entries().map((entry) => [entry.id, entry.departure])).toEqual([
      ['A', null],
      ['B', { leftAt: 1500, reason: 'KICKED: maintenance', code: 9 }],
    ]);
    expect(directory.entries()[1].module?.id).toBe('B');
    directory.clearDeparted();
    expect(directory.entries().map((entry) => entry.id)).toEqual(['A']);
  });

  it('keeps a departed module in its place, so the rows after it do not move up', () => {
    const directory = new ModuleDirectory();
    directory.applySnapshot(snapshotAt(1000, [moduleNamed('B'), moduleNamed('C'), moduleNamed('D')]));
    directory.applyEvents([{ type: 'leave', time: 1_500_000, id: 'B', role: 'module', reason: 'KICKED: from the monitor', code: 9 }]);
    directory.applySnapshot(snapshotAt(2000, [moduleNamed('C'), moduleNamed('D'), moduleNamed('E')]));
    expect(directory.entries().map((entry) => [entry.id, entry.departure !== null])).toEqual([
      ['B', true],
      ['C', false],
      ['D', false],
      ['E', false],
    ]);
    directory.applySnapshot(snapshotAt(3000, [moduleNamed('C'), moduleNamed('D'), moduleNamed('E'), moduleNamed('B')]));
    expect(directory.entries().map((entry) => entry.id)).toEqual(['B', 'C', 'D', 'E']);
  });

  it('shows a module as departed as soon as its leave event arrives, before the next snapshot', () => {
    const directory = new ModuleDirectory();
    directory.applySnapshot(snapshotAt(1000, [moduleNamed('A')]));
    directory.applyEvents([{ type: 'leave', time: 1_200_000, id: 'A', role: 'module', reason: 'said goodbye', code: 0 }]);
    expect(directory.entries()[0].departure?.reason).toBe('said goodbye');
  });

  it('remembers when and how a module that came and went between two snapshots joined', () => {
    const directory = new ModuleDirectory();
    directory.applyEvents([
      { type: 'join', time: 1_100_000, id: 'A', role: 'module', transport: 'tcp', listener: 'tcp://127.0.0.1:7000' },
      { type: 'leave', time: 1_300_000, id: 'A', role: 'module', reason: 'said goodbye', code: 0 },
    ]);
    expect(directory.entries()).toEqual([{ id: 'A', module: null, arrival: { joinedAt: 1100, transport: 'tcp' }, departure: { leftAt: 1300, reason: 'said goodbye', code: 0 } }]);
    directory.clearDeparted();
    directory.applySnapshot(snapshotAt(2000, []));
    expect(directory.entries()).toEqual([]);
  });

  it('marks a module that vanished without a leave event as departed, saying so', () => {
    const directory = new ModuleDirectory();
    directory.applySnapshot(snapshotAt(1000, [moduleNamed('A')]));
    directory.applySnapshot(snapshotAt(2000, []));
    expect(directory.entries()[0].departure).toEqual({ leftAt: 2000, reason: UNSEEN_DEPARTURE_REASON, code: 0 });
  });

  it('brings a departed module back when it joins again', () => {
    const directory = new ModuleDirectory();
    directory.applySnapshot(snapshotAt(1000, [moduleNamed('A')]));
    directory.applyEvents([{ type: 'leave', time: 1_100_000, id: 'A', role: 'module', reason: 'connection closed', code: 0 }]);
    directory.applyEvents([{ type: 'join', time: 1_200_000, id: 'A', role: 'module', transport: 'unix', listener: '/tmp/x.sock' }]);
    directory.applySnapshot(snapshotAt(2000, [moduleNamed('A')]));
    expect(directory.entries()).toEqual([{ id: 'A', module: moduleNamed('A'), arrival: { joinedAt: 1200, transport: 'unix' }, departure: null }]);
  });
});
