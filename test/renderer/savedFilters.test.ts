import { afterEach, describe, expect, it, vi } from 'vitest';
import { EMPTY_FILTER, type FilterSpec } from '../../renderer/src/state/rowFilter';
import { MAX_FILTER_NAME, MAX_FILTER_PART, MAX_SAVED_FILTERS, SavedFilters } from '../../renderer/src/state/savedFilters';
import { installStorage } from './memoryStorage';

const SENSOR_HOT: FilterSpec = {
  ...EMPTY_FILTER,
  module: 'sensor',
  moduleSide: 'source',
  kinds: ['unicast', 'request'],
  text: 'Hot',
  regex: false,
  caseSensitive: true,
  fields: '.temp > 30',
  time: '12:00..12:05',
};

afterEach(() => vi.unstubAllGlobals());

describe('saved filters', () => {
  it('keeps every part of a filter under its name across a reload, renames and deletes', () => {
    installStorage();
    const saved = new SavedFilters();
    expect(saved.save('  hot sensor ', SENSOR_HOT)).toBeNull();
    expect(saved.save('everything', EMPTY_FILTER)).toBeNull();
    const reloaded = new SavedFilters();
    expect(reloaded.list).toEqual([
      { name: 'hot sensor', spec: SENSOR_HOT },
      { name: 'everything', spec: EMPTY_FILTER },
    ]);
    expect(reloaded.rename('hot sensor', 'warm')).toBeNull();
    reloaded.remove('everything');
    expect(new SavedFilters().list).toEqual([{ name: 'warm', spec: SENSOR_HOT }]);
  });

  it('refuses what it cannot keep, saying why', () => {
    installStorage();
    const saved = new SavedFilters();
    expect(saved.save(' ', SENSOR_HOT)).toBe('give the filter a name');
    expect(saved.save('x'.repeat(MAX_FILTER_NAME + 1), SENSOR_HOT)).toMatch(/at most 60 characters \(this one has 61\)/);
    expect(saved.save('long', { ...SENSOR_HOT, text: 'a'.repeat(MAX_FILTER_PART + 1) })).toMatch(/too long to save/);
    expect(saved.save('a', SENSOR_HOT)).toBeNull();
    expect(saved.save('a', EMPTY_FILTER)).toMatch(/already named "a"/);
    expect(saved.save('b', EMPTY_FILTER)).toBeNull();
    expect(saved.rename('b', 'a')).toMatch(/already named "a"/);
    for (let n = saved.list.length; n < MAX_SAVED_FILTERS; n++) expect(saved.save(`f${n}`, EMPTY_FILTER)).toBeNull();
    expect(saved.save('one more', EMPTY_FILTER)).toBe('at most 50 filters can be saved: delete one first');
    expect(saved.list).toHaveLength(MAX_SAVED_FILTERS);
  });

  it('says when the browser refuses to store them, and counts stored entries it cannot read', () => {
    const storage = installStorage();
    storage.setItem('relayscope.savedFilters', JSON.stringify([{ name: 'ok', spec: SENSOR_HOT }, { name: 'bad kinds', spec: { ...SENSOR_HOT, kinds: ['loud'] } }, 'nonsense']));
    const saved = new SavedFilters();
    expect(saved.list.map((entry) => entry.name)).toEqual(['ok']);
    expect(saved.unreadable).toBe(2);
    storage.refuseWrites = true;
    expect(saved.save('kept for now', EMPTY_FILTER)).toBeNull();
    expect(saved.storageProblem).toMatch(/refused to store the saved filters .*until this page reloads/);
    expect(saved.list.map((entry) => entry.name)).toEqual(['ok', 'kept for now']);
  });
});
