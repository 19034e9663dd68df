import { describe, expect, it } from 'vitest';
import { CaptureFilterError, parseCaptureFilter } from '../../electron/capture/captureFilter';
import type { CaptureRecord, CapturedMessage } from '../../electron/capture/captureRecord';

const START = Date.parse('2026-12-02T06:00:00Z') * 1000;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function message(over: Partial<CapturedMessage>): CapturedMessage {
  return { type: 'message', time: START, kind: 'unicast', source: 'A', destination: 'B', correlationId: 0, injected: false, payload: text(''), ...over };
}

const RECORDS: Record<string, CaptureRecord> = {
  aToB: message({ payload: text('{"temp": 21.5}') }),
  bToA: message({ source: 'B', destination: 'A', kind: 'reply', correlationId: 7, time: START + 5_000_000, payload: text('OK done') }),
  broadcast: message({ source: 'C', destination: null, kind: 'broadcast', time: START + 20_000_000, payload: Uint8Array.from([0xff, 0x00]) }),
  injected: message({ source: 'C', destination: 'B', kind: 'request', injected: true, correlationId: 9, time: START + 30_000_000, payload: text('ping') }),
  join: { type: 'event', time: START + 1, event: 'join', id: 'A', code: 0, detail: '' },
  error: { type: 'event', time: START + 2, event: 'error', id: 'B', code: 3, detail: 'no module "Z" is connected' },
};

function matching(expression: string): string[] {
  const filter = parseCaptureFilter(expression);
  return Object.entries(RECORDS)
    .filter(([, record]) => filter.matches(record, START))
    .map(([name]) => name);
}

describe('the capture filter language', () => {
  it('matches everything when empty', () => {
    expect(parseCaptureFilter('  ').active).toBe(false);
    expect(matching('')).toEqual(Object.keys(RECORDS));
  });

  it('selects modules by side or either side, with alternatives and negation', () => {
    expect(matching('src:A')).toEqual(['aToB', 'join']);
    expect(matching('dst:A')).toEqual(['bToA']);
    expect(matching('mod:A')).toEqual(['aToB', 'bToA', 'join']);
    expect(matching('src:A,C')).toEqual(['aToB', 'broadcast', 'injected', 'join']);
    expect(matching('-mod:A -mod:B')).toEqual(['broadcast']);
  });

  it('selects kinds as the UI names them (events are error and system rows), and injected messages', () => {
    expect(matching('kind:reply')).toEqual(['bToA']);
    expect(matching('kind:request,broadcast')).toEqual(['broadcast', 'injected']);
    expect(matching('kind:system')).toEqual(['join']);
    expect(matching('kind:error')).toEqual(['error']);
    expect(matching('kind:injected')).toEqual(['injected']);
    expect(matching('corr:7,9')).toEqual(['bToA', 'injected']);
  });

  it('searches the payload as text, quoted or bare, and by regex, ignoring case unless flags are given', () => {
    expect(matching('"TEMP"')).toEqual(['aToB']);
    expect(matching('ok')).toEqual(['bToA']);
    expect(matching('"ok done"')).toEqual(['bToA']);
    expect(matching('/^ok\\s/')).toEqual(['bToA']);
    expect(matching('/^ok/u')).toEqual([]);
    expect(matching('"is connected"')).toEqual(['error']);
    expect(matching('"\\"temp\\""')).toEqual(['aToB']);
  });

  it('limits time relative to the start or absolutely, both ends included, and gives the range to an indexed read', () => {
    expect(matching('time:+5s..+20s')).toEqual(['bToA', 'broadcast']);
    expect(matching('time:..+1us')).toEqual(['aToB', 'join']);
    expect(matching('time:2026-12-02T06:00:25Z..')).toEqual(['injected']);
    expect(parseCaptureFilter('time:+5s.. time:..+20s src:B').timeRange(START)).toEqual({ start: START + 5_000_000, end: START + 20_000_000 });
    expect(parseCaptureFilter('src:B').timeRange(START)).toEqual({ start: undefined, end: undefined });
  });

  it('combines terms with AND', () => {
    expect(matching('mod:B kind:reply "ok"')).toEqual(['bToA']);
    expect(matching('mod:B kind:reply "nope"')).toEqual([]);
  });

  it('says what is wrong and where', () => {
    const cases: [string, RegExp, number][] = [
      ['kind:requests', /unknown kind "requests"/, 0],
      ['src:A colour:red', /unknown field "colour:"/, 6],
      ['src:A "open', /no closing "/, 6],
      ['/a(/', /invalid regular expression/, 0],
      ['/abc', /no closing \//, 0],
      ['time:+5x..', /"\+5x" is not a time/, 5],
      ['time:5s', /START\.\.END/, 5],
      ['dst:', /needs a value/, 0],
      ['kind:reply,', /empty alternative/, 0],
      ['corr:-1', /not a number/, 0],
    ];
    for (const [expression, message, position] of cases) {
      let thrown: unknown = null;
      try {
        parseCaptureFilter(expression);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, expression).toBeInstanceOf(CaptureFilterError);
      expect((thrown as CaptureFilterError).message, expression).toMatch(message);
      expect((thrown as CaptureFilterError).position, expression).toBe(position);
    }
  });
});
