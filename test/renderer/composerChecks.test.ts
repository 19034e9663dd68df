import { describe, expect, it } from 'vitest';
import { injectSourceProblem } from '../../electron/protocol/moduleIdRules';
import { BROADCAST_TARGET, checkComposer, type ComposerFields, firstProblem } from '../../renderer/src/composer/composerChecks';
import { addToHistory, HISTORY_MAX_BYTES, HISTORY_MAX_ENTRIES, parseHistory, type SentMessage, storedBytes } from '../../renderer/src/composer/sentHistory';

const FIELDS: ComposerFields = { target: 'B', source: '', encoding: 'text', payload: 'hi', mode: 'send', timeoutText: '5000' };

function message(payload: string, extra: Partial<SentMessage> = {}): SentMessage {
  return { target: 'B', source: '', encoding: 'text', payload, mode: 'send', timeoutMs: 5000, ...extra };
}

describe('composer checks', () => {
  it('refuses the sources the hub refuses, with the hub’s reason', () => {
    for (const source of ['$hub', '$monitor', 'two words', 'p\u0430ypal', 'a'.repeat(65)]) {
      const problems = checkComposer({ ...FIELDS, source });
      expect(problems.source, source).toBe(injectSourceProblem(source));
      expect(problems.source, source).not.toBeNull();
      expect(firstProblem(problems)).toBe(problems.source);
    }
    expect(checkComposer({ ...FIELDS, source: '$hub' }).source).toBe("source: module IDs starting with '$' are reserved for the hub");
  });

  it('takes an empty source (the backend’s own ID) and an ID a module could register', () => {
    expect(firstProblem(checkComposer(FIELDS))).toBeNull();
    expect(firstProblem(checkComposer({ ...FIELDS, source: ' sensor-1 ' }))).toBeNull();
  });

  it('does not check the source of a request, which goes as the backend’s own ID', () => {
    expect(checkComposer({ ...FIELDS, mode: 'request', source: '$hub' }).source).toBeNull();
  });

  it('points at the first bad character of a hex payload', () => {
    expect(checkComposer({ ...FIELDS, encoding: 'hex', payload: 'de ad bz' })).toMatchObject({ payload: "not hex at column 8: 'z' is not a hex digit (0-9, a-f)", payloadAt: 7 });
    expect(checkComposer({ ...FIELDS, encoding: 'hex', payload: 'de:ad:be:ef' })).toMatchObject({ payload: null, payloadAt: null });
    expect(checkComposer({ ...FIELDS, encoding: 'json', payload: '{' })).toMatchObject({ payload: expect.stringContaining('not valid JSON'), payloadAt: null });
  });

  it('checks a request’s target and timeout', () => {
    const request = { ...FIELDS, mode: 'request' as const };
    expect(checkComposer({ ...request, target: BROADCAST_TARGET }).target).toBe('a request goes to one module: choose a target');
    for (const timeoutText of ['', '0', '1.5', 'soon', '600001']) expect(checkComposer({ ...request, timeoutText }).timeout, timeoutText).not.toBeNull();
    expect(firstProblem(checkComposer({ ...request, timeoutText: '600000' }))).toBeNull();
    expect(checkComposer({ ...FIELDS, timeoutText: 'soon' }).timeout).toBeNull();
  });
});

describe('sent history', () => {
  it('puts the newest first and moves a repeated message to the front', () => {
    let history: SentMessage[] = [];
    for (const payload of ['one', 'two', 'one']) history = addToHistory(history, message(payload)).history;
    expect(history.map((entry) => entry.payload)).toEqual(['one', 'two']);
  });

  it('drops the oldest entries when the total size passes the bound, keeping the newest', () => {
    const big = 'x'.repeat(HISTORY_MAX_BYTES / 4);
    let history: SentMessage[] = [];
    for (let i = 0; i < 10; i++) history = addToHistory(history, message(`${i}${big}`)).history;
    expect(history.map((entry) => entry.payload[0])).toEqual(['9', '8', '7']);
    expect(history.reduce((sum, entry) => sum + storedBytes(entry), 0)).toBeLessThanOrEqual(HISTORY_MAX_BYTES);
  });

  it('bounds the count as well', () => {
    let history: SentMessage[] = [];
    for (let i = 0; i < HISTORY_MAX_ENTRIES + 5; i++) history = addToHistory(history, message(String(i))).history;
    expect(history).toHaveLength(HISTORY_MAX_ENTRIES);
    expect(history[0].payload).toBe(String(HISTORY_MAX_ENTRIES + 4));
  });

  it('does not keep one message larger than the whole bound, and leaves the others', () => {
    const history = addToHistory([], message('small')).history;
    const added = addToHistory(history, message('x'.repeat(HISTORY_MAX_BYTES)));
    expect(added.kept).toBe(false);
    expect(added.history).toEqual(history);
  });

  it('reads a stored history newest first, skipping what is not a message, within the bound', () => {
    const big = 'x'.repeat(HISTORY_MAX_BYTES / 2);
    const stored = JSON.stringify([message('newest'), { payload: 3 }, message(`a${big}`), message(`b${big}`)]);
    expect(parseHistory(stored).map((entry) => entry.payload.slice(0, 6))).toEqual(['newest', `a${'x'.repeat(5)}`]);
    expect(parseHistory('not json')).toEqual([]);
    expect(parseHistory('{"a":1}')).toEqual([]);
    expect(parseHistory(null)).toEqual([]);
  });
});
