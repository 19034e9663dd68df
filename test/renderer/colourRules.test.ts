import { afterEach, describe, expect, it, vi } from 'vitest';
import { ColourRules, MAX_COLOUR_RULES } from '../../renderer/src/state/colourRules';
import { TrafficStore } from '../../renderer/src/state/TrafficStore';
import type { TrafficRow } from '../../renderer/src/state/trafficRows';
import { messageEvent } from './eventFixtures';
import { installStorage } from './memoryStorage';

afterEach(() => vi.unstubAllGlobals());

const T0 = 1_700_000_000_000_000;

function rows(): TrafficRow[] {
  const store = new TrafficStore(100);
  store.append([
    messageEvent({ source: 'sensor', destination: 'logger', payload: '{"temp": 35}', time: T0 }),
    messageEvent({ source: 'sensor', destination: 'logger', payload: '{"temp": 20}', time: T0 + 1_000_000 }),
    messageEvent({ source: 'clock', destination: null, payload: 'tick', time: T0 + 2_000_000 }),
    { type: 'error', time: T0 + 3_000_000, id: 'sensor', code: 4, codeName: 'NO_SUCH_MODULE', message: 'no module named Z' },
  ]);
  return Array.from({ length: store.rowCount }, (_, i) => store.row(store.firstRowNumber + i) as TrafficRow);
}

describe('colouring rules', () => {
  it('colours each row by the first rule it matches, in the order given, and keeps the rules across a reload', () => {
    installStorage();
    const rules = new ColourRules();
    expect(
      rules.set([
        { expression: 'kind:error', colour: '#AA0000' },
        { expression: 'src:sensor .temp > 30', colour: '#00aa00' },
        { expression: 'mod:sensor', colour: '#0000aa' },
      ]),
    ).toEqual([]);
    const firsts = (list: ColourRules): number[] => rows().map((row) => list.ruleOf(row, T0));
    expect(firsts(rules)).toEqual([1, 2, -1, 0]);
    expect(rules.colourAt(0)).toBe('#aa0000');
    const reloaded = new ColourRules();
    expect(reloaded.rules.map((rule) => rule.expression)).toEqual(['kind:error', 'src:sensor .temp > 30', 'mod:sensor']);
    expect(firsts(reloaded)).toEqual([1, 2, -1, 0]);
    // Reordered: the broader rule first takes both sensor messages, and the error about sensor.
    reloaded.set([reloaded.rules[2], reloaded.rules[1]]);
    expect(firsts(reloaded)).toEqual([0, 0, -1, 0]);
    // Relative times count from the start given: the table's first message.
    reloaded.set([{ expression: 'time:+1s..+2s', colour: '#123456' }]);
    expect(firsts(reloaded)).toEqual([-1, 0, 0, -1]);
  });

  it("refuses a list with a rule that does not parse, with the parser's own message, and changes nothing", () => {
    installStorage();
    const rules = new ColourRules();
    rules.set([{ expression: 'kind:error', colour: '#aa0000' }]);
    expect(
      rules.set([
        { expression: 'kind:requests', colour: '#aa0000' },
        { expression: 'mod:a', colour: 'red' },
        { expression: '  ', colour: '#aa0000' },
        { expression: 'src:A', colour: '#aa0000' },
      ]),
    ).toEqual([
      { index: 0, error: 'filter: unknown kind "requests"; the kinds are unicast, broadcast, request, reply, error, system, injected (at column 1)' },
      { index: 1, error: '"red" is not a colour: #rrggbb' },
      { index: 2, error: 'write a filter: an empty one would colour every row' },
    ]);
    expect(rules.set(Array.from({ length: MAX_COLOUR_RULES + 1 }, () => ({ expression: 'src:A', colour: '#aa0000' })))).toEqual([{ index: MAX_COLOUR_RULES, error: 'at most 20 colouring rules' }]);
    expect(rules.rules).toEqual([{ expression: 'kind:error', colour: '#aa0000' }]);
  });

  it('leaves out stored rules that no longer parse and counts them', () => {
    const storage = installStorage();
    storage.setItem('relayscope.colourRules', JSON.stringify([{ expression: 'kind:error', colour: '#aa0000' }, { expression: 'colour:red', colour: '#aa0000' }, 7]));
    const rules = new ColourRules();
    expect(rules.rules).toEqual([{ expression: 'kind:error', colour: '#aa0000' }]);
    expect(rules.unreadable).toBe(2);
  });
});
