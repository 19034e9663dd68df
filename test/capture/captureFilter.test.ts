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

  it('takes a time of day (local, on the day the capture started) and ISO 8601 times to the microsecond', () => {
    const startDay = new Date(START / 1000);
    const localMidnight = new Date(startDay.getFullYear(), startDay.getMonth(), startDay.getDate()).getTime() * 1000;
    const clock = (micros: number): string => {
      const at = new Date(Math.floor(micros / 1000));
      const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
      return `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}.${pad(micros % 1_000_000, 6)}`;
    };
    expect(parseCaptureFilter('time:00:00..23:59:59.999999').timeRange(START)).toEqual({ start: localMidnight, end: localMidnight + 86_400_000_000 - 1 });
    expect(parseCaptureFilter('time:12:00:01.25..').timeRange(START)).toEqual({ start: localMidnight + 43_201_250_000, end: undefined });
    expect(matching(`time:${clock(START + 5_000_000)}..${clock(START + 20_000_000)}`)).toEqual(['bToA', 'broadcast']);
    expect(parseCaptureFilter('time:2026-12-02T06:00:05.000001Z..2026-12-02T06:00:05.25Z').timeRange(START)).toEqual({ start: START + 5_000_001, end: START + 5_250_000 });
    expect(matching('time:2026-12-02T06:00:05.000001Z..')).toEqual(['broadcast', 'injected']);
  });

  it('limits time relative to the start or absolutely, both ends included, and gives the range to an indexed read', () => {
    expect(matching('time:+5s..+20s')).toEqual(['bToA', 'broadcast']);
    expect(matching('time:..+1us')).toEqual(['aToB', 'join']);
    expect(matching('time:2026-12-02T06:00:25Z..')).toEqual(['injected']);
    expect(parseCaptureFilter('time:+5s.. time:..+20s src:B').timeRange(START)).toEqual({ start: START + 5_000_000, end: START + 20_000_000 });
    expect(parseCaptureFilter('src:B').timeRange(START)).toEqual({ start: undefined, end: undefined });
  });

  it('compares fields of JSON payloads with numbers, text, true, false and null; not JSON or no such field does not match', () => {
    const json = (payload: string): CaptureRecord => message({ payload: text(payload) });
    const payloads: Record<string, CaptureRecord> = {
      hot: json('{"temp": 31, "cmd": "open", "a": {"b": {"c": 1}}, "tags": ["x", "y"], "ok": true}'),
      cold: json('{"temp": 12.5, "cmd": "close", "a": {"b": {"c": 2}}, "ok": null}'),
      text: json('{"temp": "31"}'),
      broken: json('{"temp": 31'),
      plain: json('temp > 30'),
      event: RECORDS.join,
    };
    const which = (expression: string): string[] =>
      Object.entries(payloads)
        .filter(([, record]) => parseCaptureFilter(expression).matches(record, START))
        .map(([name]) => name);
    expect(which('.temp > 30')).toEqual(['hot']);
    expect(which('.temp>30')).toEqual(['hot']);
    expect(which('.temp <= 12.5')).toEqual(['cold']);
    expect(which('.temp >= -1e3')).toEqual(['hot', 'cold']);
    expect(which('.temp == "31"')).toEqual(['text']);
    expect(which('.cmd == "open"')).toEqual(['hot']);
    expect(which('.cmd != "open"')).toEqual(['cold']);
    expect(which('.cmd < "d"')).toEqual(['cold']);
    expect(which('.a.b.c != 1')).toEqual(['cold']);
    expect(which('.tags.1 == "y"')).toEqual(['hot']);
    expect(which('.ok == true')).toEqual(['hot']);
    expect(which('.ok == null')).toEqual(['cold']);
    expect(which('.missing != 1')).toEqual([]);
    expect(which('.temp > 30 .cmd == "open" mod:A')).toEqual(['hot']);
    expect(which('-.temp > 30 src:A')).toEqual(['cold', 'text', 'broken', 'plain', 'event']);
    expect(which('"temp > 30"')).toEqual(['plain']);
  });

  it('compares case when asked, for text and for flagless regexes', () => {
    const sensitive = (expression: string): boolean => parseCaptureFilter(expression, { caseSensitive: true }).matches(RECORDS.bToA, START);
    expect(sensitive('"OK"')).toBe(true);
    expect(sensitive('"ok"')).toBe(false);
    expect(sensitive('/^OK/')).toBe(true);
    expect(sensitive('/^ok/')).toBe(false);
    expect(sensitive('/^ok/i')).toBe(true);
  });

  it('tests the payload terms alone on a payload, and says whether a filter has only those', () => {
    const filter = parseCaptureFilter('"needle" .n == 2');
    expect(filter.payloadOnly).toBe(true);
    expect(filter.matchesPayload(text('{"n": 2, "s": "a needle"}'))).toBe(true);
    expect(filter.matchesPayload(text('{"n": 3, "s": "a needle"}'))).toBe(false);
    expect(parseCaptureFilter('src:A "needle"').payloadOnly).toBe(false);
    expect(parseCaptureFilter('src:A "needle"').matchesPayload(text('needle'))).toBe(true);
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
      ['time:24:00..', /not a time of day/, 5],
      ['time:..12:60', /not a time of day/, 7],
      ['dst:', /needs a value/, 0],
      ['kind:reply,', /empty alternative/, 0],
      ['corr:-1', /not a number/, 0],
      ['src:A .temp 30', /compared as \.path OP value/, 12],
      ['.temp >', /needs a value/, 7],
      ['.temp > warm', /"warm" is not a value/, 8],
      ['.temp > true', /== or != only/, 8],
      ['.a..b == 1', /not a field path/, 0],
      ['.cmd == "open', /no closing "/, 0],
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
