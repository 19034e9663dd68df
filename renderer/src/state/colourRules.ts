import { parseCaptureFilter } from '@contract';
import { readStoredJson, writeStoredJson } from './storedSetting';
import type { TrafficRow } from './trafficRows';
import { VersionedStore } from './VersionedStore';

type CaptureFilter = ReturnType<typeof parseCaptureFilter>;
/** What a filter reads (electron/capture/captureRecord.ts, which the page reaches only through the contract's parser). */
type CaptureRecord = Parameters<CaptureFilter['matches']>[0];

const STORAGE_KEY = 'relayscope.colourRules';
export const MAX_COLOUR_RULES = 20;
export const MAX_RULE_EXPRESSION = 1000;
/** Rows whose colour is remembered before the memo starts again (the view shows a few dozen at a time). */
const MEMO_ROWS = 4096;

/** A filter expression in the capture filter language and the background of the rows it matches. */
export interface ColourRule {
  expression: string;
  /** #rrggbb */
  colour: string;
}

/** A refused rule: its place in the list and why. */
export interface RuleProblem {
  index: number;
  error: string;
}

const COLOUR = /^#[0-9a-f]{6}$/i;

function check(rule: ColourRule): { filter: CaptureFilter; colour: string } | string {
  if (!COLOUR.test(rule.colour)) return `"${rule.colour}" is not a colour: #rrggbb`;
  const expression = rule.expression.trim();
  if (expression === '') return 'write a filter: an empty one would colour every row';
  if (expression.length > MAX_RULE_EXPRESSION) return `a rule's filter is at most ${MAX_RULE_EXPRESSION} characters`;
  try {
    return { filter: parseCaptureFilter(expression), colour: rule.colour.toLowerCase() };
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * A row as the filter language reads a record: a message with its preview as the payload, an error
 * row as an error event about the module it was sent to, a system row as an event about its module.
 */
export function recordOfRow(row: TrafficRow): CaptureRecord {
  if (row.note === null) {
    return {
      type: 'message',
      time: row.timeMicros,
      kind: row.kind as Extract<CaptureRecord, { type: 'message' }>['kind'],
      source: row.source,
      destination: row.destination,
      correlationId: row.correlationId,
      injected: row.injected,
      payload: row.preview,
    };
  }
  if (row.kind === 'error') return { type: 'event', time: row.timeMicros, event: 'error', id: row.destination ?? '', code: 0, detail: row.note };
  return { type: 'event', time: row.timeMicros, event: 'join', id: row.source, code: 0, detail: row.note };
}

/**
 * Wireshark's colouring rules: an ordered list of (filter, colour); a row takes the colour of the
 * first rule it matches. Text, regex and JSON field terms look at the row's 64-byte preview, as the
 * table holds no more. Kept in localStorage; a list with a rule that does not parse is refused whole,
 * each bad rule with the parser's own message.
 */
export class ColourRules extends VersionedStore {
  private current: ColourRule[] = [];
  private compiled: { filter: CaptureFilter; colour: string }[] = [];
  private memo = new Map<number, number>();
  private memoStart: number | null = null;
  /** Stored rules that no longer parse (counted, left out). */
  readonly unreadable: number = 0;
  /** Set when the browser refused the last write: the rules then last until the page reloads. */
  storageProblem: string | null = null;

  constructor() {
    super();
    const stored = readStoredJson(STORAGE_KEY);
    const list = Array.isArray(stored) ? stored.slice(0, MAX_COLOUR_RULES) : [];
    for (const item of list) {
      const rule = typeof item?.expression === 'string' && typeof item?.colour === 'string' ? { expression: item.expression, colour: item.colour } : null;
      const checked = rule === null ? 'unreadable' : check(rule);
      if (rule !== null && typeof checked !== 'string') {
        this.current.push(rule);
        this.compiled.push(checked);
      }
    }
    this.unreadable = (Array.isArray(stored) ? stored.length : 0) - this.current.length;
  }

  get rules(): readonly ColourRule[] {
    return this.current;
  }

  /** Replaces the list; refused whole (nothing changes) when any rule is wrong, with each problem. */
  set(rules: readonly ColourRule[]): RuleProblem[] {
    if (rules.length > MAX_COLOUR_RULES) return [{ index: MAX_COLOUR_RULES, error: `at most ${MAX_COLOUR_RULES} colouring rules` }];
    const problems: RuleProblem[] = [];
    const compiled = rules.map((rule, index) => {
      const checked = check(rule);
      if (typeof checked === 'string') problems.push({ index, error: checked });
      return checked;
    });
    if (problems.length > 0) return problems;
    this.current = rules.map((rule) => ({ expression: rule.expression.trim(), colour: rule.colour.toLowerCase() }));
    this.compiled = compiled as { filter: CaptureFilter; colour: string }[];
    this.memo.clear();
    this.storageProblem = writeStoredJson(STORAGE_KEY, this.current) ? null : 'the browser refused to store the colouring rules (storage full or disabled): they last until this page reloads';
    this.changed();
    return [];
  }

  /**
   * The index of the first rule the row matches, or -1. `startMicros` anchors relative times
   * (`time:+5s..`): the table's first message.
   */
  ruleOf(row: TrafficRow, startMicros: number): number {
    if (this.compiled.length === 0) return -1;
    if (this.memoStart !== startMicros || this.memo.size >= MEMO_ROWS) {
      this.memo.clear();
      this.memoStart = startMicros;
    }
    const known = this.memo.get(row.rowNumber);
    if (known !== undefined) return known;
    const record = recordOfRow(row);
    const index = this.compiled.findIndex(({ filter }) => filter.matches(record, startMicros));
    this.memo.set(row.rowNumber, index);
    return index;
  }

  colourAt(index: number): string | null {
    return this.compiled[index]?.colour ?? null;
  }
}

/** The page's one list, read by the filter bar's dialog and the traffic table. */
export const pageColourRules = new ColourRules();
