import { describe, expect, it } from 'vitest';
import { parseCaptureFilter } from '../../electron/capture/captureFilter';
import { filterExpression, timeBoundText, withTimeBound } from '../../renderer/src/state/filterExpression';
import { compileFilter, EMPTY_FILTER, type CompiledFilter } from '../../renderer/src/state/rowFilter';
import { TrafficStore } from '../../renderer/src/state/TrafficStore';
import { rowText } from '../../renderer/src/state/trafficRows';
import { messageEvent } from './eventFixtures';

const T0 = Date.parse('2026-12-04T08:00:00Z') * 1000;

function rangeFilter(time: string, anchor = T0): CompiledFilter {
  const result = compileFilter({ ...EMPTY_FILTER, time }, anchor);
  if (!result.ok) throw new Error(result.error);
  return result.filter;
}

function rangeError(time: string): string {
  const result = compileFilter({ ...EMPTY_FILTER, time }, T0);
  if (result.ok) throw new Error(`"${time}" was accepted`);
  return result.error;
}

/** Rows one second apart, the second one 250 µs late, named by their payload. */
function matchingIn(filter: CompiledFilter): string[] {
  const store = new TrafficStore(100);
  store.append([0, 1_000_250, 2_000_000, 3_000_000].map((offset, i) => messageEvent({ source: 'A', payload: `row${i}`, time: T0 + offset })));
  store.setFilter(filter);
  return Array.from({ length: store.visibleCount }, (_, i) => rowText(store.row(store.visibleRowNumberAt(i))!));
}

describe("the filter bar's time range", () => {
  it('keeps the rows from START to END, both included, counted from the first message', () => {
    expect(matchingIn(rangeFilter('+1.00025s..+2s'))).toEqual(['row1', 'row2']);
    expect(matchingIn(rangeFilter('+1.0003s..'))).toEqual(['row2', 'row3']);
    expect(matchingIn(rangeFilter('..+1s'))).toEqual(['row0']);
    expect(rangeFilter('+1s..').active).toBe(true);
    expect(rangeFilter('').active).toBe(false);
  });

  it('takes the time of day the table shows, and a row bound written from a row reads back as that row', () => {
    const second = T0 + 1_000_250;
    const range = withTimeBound(withTimeBound('', 'from', timeBoundText(second, T0)), 'to', timeBoundText(T0 + 2_000_000, T0));
    expect(range).toMatch(/^\d{2}:\d{2}:01\.000250\.\.\d{2}:\d{2}:02\.000000$/);
    expect(matchingIn(rangeFilter(range))).toEqual(['row1', 'row2']);
    // Spaces around the dots are fine.
    expect(matchingIn(rangeFilter(range.replace('..', ' .. ')))).toEqual(['row1', 'row2']);
    // A row on another day than the first message is written in ISO 8601, which needs no day.
    expect(timeBoundText(T0 + 86_400_000_000, T0)).toBe('2026-12-05T08:00:00.000000Z');
    expect(withTimeBound('10:00..11:00', 'from', '10:30')).toBe('10:30..11:00');
    expect(withTimeBound('10:00..11:00', 'to', '10:45')).toBe('10:00..10:45');
  });

  it('writes the range resolved to ISO 8601 into an export expression, which a file reads as the same rows', () => {
    const filter = rangeFilter('+1s..+2.5s');
    const expression = filterExpression(filter.spec);
    expect(expression).toBe('time:2026-12-04T08:00:01.000000Z..2026-12-04T08:00:02.500000Z');
    expect(parseCaptureFilter(expression).timeRange(0)).toEqual({ start: T0 + 1_000_000, end: T0 + 2_500_000 });
  });

  it('says what is wrong, with the column in the time box', () => {
    expect(rangeError('12:00')).toMatch(/^time: .*START\.\.END.*\(at column 1\)$/);
    expect(rangeError('12:00..soon')).toBe(
      'time: "soon" is not a time: use +N with us, ms, s, m or h (after the capture\'s start), a time of day such as 12:00:01.250 (local time, on the day the capture started), or an ISO 8601 time such as 2026-12-02T06:00:00.000250Z (at column 8)',
    );
    expect(rangeError('25:00..')).toMatch(/not a time of day/);
    expect(rangeError('+2s..+1s')).toMatch(/^time: the range ends \(2026-12-04T08:00:01\.000000Z\) before it starts/);
    expect(rangeError('12:00 12:01')).toMatch(/without spaces/);
  });
});
