import type { CaptureRecord } from './captureRecord';

/**
 * The one filter language of captures (`record --filter`, `replay --filter`, export, and the UI's
 * filter bar later): terms separated by spaces, all of which must match. docs/CAPTURE.md, "Filters",
 * is the reference. Kinds are the UI's row kinds (renderer/src/state/rowKinds.ts), so a filter means
 * the same on a live table and on a file; text and regex ignore case there too.
 *
 *   src:A  dst:B  mod:A (either side)  kind:request  corr:7  "text"  word  /regex/  time:START..END
 *   (START and END: +10s after the start, 12:00:01.250 a local time of day, or ISO 8601 to the µs)
 *   .temp>30  .cmd == "open"  .a.b.c != 1   (a field of a JSON payload compared with a number or string)
 *
 * A field takes alternatives separated by commas (`kind:request,reply`), and a leading `-` negates a
 * term (`-mod:logger`). A JSON field starts with `.`, which no other term does, so the tokenizer
 * reads the comparison whole, spaces around the operator included.
 */

export const FILTER_KINDS = ['unicast', 'broadcast', 'request', 'reply', 'error', 'system', 'injected'] as const;
export type FilterKind = (typeof FILTER_KINDS)[number];

export class CaptureFilterError extends Error {
  constructor(
    message: string,
    /** 0-based offset of the offending term in the expression */
    readonly position: number,
  ) {
    super(`filter: ${message} (at column ${position + 1})`);
    this.name = 'CaptureFilterError';
  }
}

/** A time bound: absolute µs since the epoch, µs after the capture's start, or µs after local midnight of the start's day. */
type TimeBound = { absolute: number } | { offset: number } | { timeOfDay: number } | null;

export type CompareOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';
type JsonValue = number | string | boolean | null;

type Term =
  | { field: 'src' | 'dst' | 'mod'; ids: string[] }
  | { field: 'json'; path: string[]; operator: CompareOperator; value: JsonValue }
  | { field: 'kind'; kinds: FilterKind[] }
  | { field: 'corr'; values: number[] }
  | { field: 'text'; needle: string }
  | { field: 'regex'; pattern: RegExp }
  | { field: 'time'; from: TimeBound; to: TimeBound };

interface ParsedTerm {
  term: Term;
  negated: boolean;
}

export interface CaptureFilter {
  /** The expression as given. */
  readonly source: string;
  /** False for the empty expression: everything matches. */
  readonly active: boolean;
  /** `startTime` (µs) anchors relative times (`time:+10s..`): the capture's start. */
  matches(record: CaptureRecord, startTime: number): boolean;
  /** The narrowest time range the filter allows (µs, both ends included), for an indexed read. */
  timeRange(startTime: number): { start?: number; end?: number };
  /** True when every term is about the payload (text, regex, JSON field): what matchesPayload can decide alone. */
  readonly payloadOnly: boolean;
  /** The payload terms alone, on a message's payload (the other terms are not looked at). */
  matchesPayload(payload: Uint8Array): boolean;
}

export interface CaptureFilterOptions {
  /** Text and regex terms without flags compare case as well (default: case is ignored). */
  caseSensitive?: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Parses an expression; throws CaptureFilterError naming the column of what is wrong. */
export function parseCaptureFilter(expression: string, options: CaptureFilterOptions = {}): CaptureFilter {
  const caseSensitive = options.caseSensitive === true;
  const terms = tokenize(expression).map(({ text, position }) => parseTerm(text, position, caseSensitive));
  const payloadTerms = terms.filter(({ term }) => isPayloadTerm(term));
  return {
    source: expression,
    active: terms.length > 0,
    payloadOnly: payloadTerms.length === terms.length,
    matches(record, startTime) {
      const content = new RecordContent(record, caseSensitive);
      for (const { term, negated } of terms) {
        if (termMatches(term, record, content, startTime) === negated) return false;
      }
      return true;
    },
    matchesPayload(payload) {
      const content = new RecordContent(payload, caseSensitive);
      for (const { term, negated } of payloadTerms) {
        if (payloadTermMatches(term, content) === negated) return false;
      }
      return true;
    },
    timeRange(startTime) {
      let start: number | undefined;
      let end: number | undefined;
      for (const { term, negated } of terms) {
        if (term.field !== 'time' || negated) continue;
        const from = resolve(term.from, startTime);
        const to = resolve(term.to, startTime);
        if (from !== null) start = start === undefined ? from : Math.max(start, from);
        if (to !== null) end = end === undefined ? to : Math.min(end, to);
      }
      return { start, end };
    },
  };
}

/** Splits on spaces outside quotes and slashes; a quoted or /…/ term ends at its closing mark. */
function tokenize(expression: string): { text: string; position: number }[] {
  const tokens: { text: string; position: number }[] = [];
  let i = 0;
  while (i < expression.length) {
    if (/\s/.test(expression[i])) {
      i++;
      continue;
    }
    const start = i;
    const dot = expression[i] === '-' ? i + 1 : i;
    if (expression[dot] === '.') {
      i = fieldComparisonEnd(expression, dot);
      tokens.push({ text: expression.slice(start, i), position: start });
      continue;
    }
    let closing: string | null = null;
    while (i < expression.length && (closing !== null || !/\s/.test(expression[i]))) {
      const c = expression[i];
      if (closing !== null) {
        if (c === '\\') i++;
        else if (c === closing) closing = null;
      } else if (c === '"' || (c === '/' && (i === start || (i === start + 1 && expression[start] === '-')))) {
        closing = c;
      }
      i++;
    }
    if (closing !== null) throw new CaptureFilterError(closing === '"' ? 'the quoted text has no closing "' : 'the regular expression has no closing /', start);
    tokens.push({ text: expression.slice(start, i), position: start });
  }
  return tokens;
}

const OPERATORS: readonly CompareOperator[] = ['==', '!=', '<=', '>=', '<', '>'];
const PATH_CHARS = /[A-Za-z0-9_$.-]/;

/** The end of `.path OP value` starting at `dot`: the path, the operator and the value may be separated by spaces. */
function fieldComparisonEnd(expression: string, dot: number): number {
  let i = dot + 1;
  while (i < expression.length && PATH_CHARS.test(expression[i])) i++;
  while (i < expression.length && expression[i] === ' ') i++;
  const operator = OPERATORS.find((op) => expression.startsWith(op, i));
  if (operator === undefined) {
    const bad = i < expression.length ? `"${expression[i]}"` : 'the end';
    throw new CaptureFilterError(`a JSON field is compared as .path OP value with OP one of ${OPERATORS.join(' ')} (found ${bad} after the path; quote text that starts with a dot)`, i);
  }
  i += operator.length;
  while (i < expression.length && expression[i] === ' ') i++;
  if (expression[i] === '"') {
    for (i++; i < expression.length && expression[i] !== '"'; i++) if (expression[i] === '\\') i++;
    if (i >= expression.length) throw new CaptureFilterError('the quoted text has no closing "', dot);
    return i + 1;
  }
  while (i < expression.length && !/\s/.test(expression[i])) i++;
  return i;
}

function parseTerm(raw: string, position: number, caseSensitive: boolean): ParsedTerm {
  const negated = raw.startsWith('-') && raw.length > 1;
  const text = negated ? raw.slice(1) : raw;
  const at = negated ? position + 1 : position;
  const folded = (needle: string): string => (caseSensitive ? needle : needle.toLowerCase());
  if (text.startsWith('.')) return { negated, term: parseFieldComparison(text, at) };
  if (text.startsWith('"')) return { negated, term: { field: 'text', needle: folded(unquote(text, at)) } };
  if (text.startsWith('/')) return { negated, term: { field: 'regex', pattern: parseRegex(text, at, caseSensitive) } };
  const colon = text.indexOf(':');
  if (colon < 0) return { negated, term: { field: 'text', needle: folded(text) } };
  const field = text.slice(0, colon);
  const value = text.slice(colon + 1);
  if (value === '') throw new CaptureFilterError(`"${field}:" needs a value`, at);
  const alternatives = value.split(',');
  if (alternatives.some((v) => v === '')) throw new CaptureFilterError(`"${text}" has an empty alternative`, at);
  switch (field) {
    case 'src':
    case 'dst':
    case 'mod':
      return { negated, term: { field, ids: alternatives } };
    case 'kind': {
      const unknown = alternatives.find((k) => !(FILTER_KINDS as readonly string[]).includes(k));
      if (unknown !== undefined) throw new CaptureFilterError(`unknown kind "${unknown}"; the kinds are ${FILTER_KINDS.join(', ')}`, at);
      return { negated, term: { field, kinds: alternatives as FilterKind[] } };
    }
    case 'corr': {
      const bad = alternatives.find((v) => !/^\d+$/.test(v) || Number(v) > 0xffffffff);
      if (bad !== undefined) throw new CaptureFilterError(`correlation ID "${bad}" is not a number from 0 to 4294967295`, at);
      return { negated, term: { field, values: alternatives.map(Number) } };
    }
    case 'time':
      return { negated, term: parseTimeRange(value, at + colon + 1) };
    default:
      throw new CaptureFilterError(`unknown field "${field}:"; the fields are src:, dst:, mod:, kind:, corr:, time:, and .path for a JSON field (quote text that contains a colon)`, at);
  }
}

/** `.a.b.c OP value` (the tokenizer made sure an operator is there): a path of keys, a number index for an array. */
function parseFieldComparison(text: string, position: number): Term {
  let end = 1;
  while (end < text.length && PATH_CHARS.test(text[end])) end++;
  const pathText = text.slice(1, end);
  const path = pathText.split('.');
  if (path.some((key) => key === '')) throw new CaptureFilterError(`"${text.slice(0, end)}" is not a field path: write .key or .key.inner, keys of letters, digits, _, - and $`, position);
  const rest = text.slice(end).trimStart();
  const operator = OPERATORS.find((op) => rest.startsWith(op)) as CompareOperator;
  const valueText = rest.slice(operator.length).trimStart();
  const valueAt = position + text.length - valueText.length;
  if (valueText === '') throw new CaptureFilterError(`${text.slice(0, end)} ${operator} needs a value: a number or "text"`, valueAt);
  let value: JsonValue;
  if (valueText.startsWith('"')) value = unquote(valueText, valueAt);
  else if (valueText === 'true' || valueText === 'false') value = valueText === 'true';
  else if (valueText === 'null') value = null;
  else if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(valueText)) value = Number(valueText);
  else throw new CaptureFilterError(`"${valueText}" is not a value: compare with a number (30, -1.5) or quoted text ("open"), true, false or null`, valueAt);
  if ((typeof value === 'boolean' || value === null) && operator !== '==' && operator !== '!=') throw new CaptureFilterError(`${valueText} is compared with == or != only`, valueAt);
  return { field: 'json', path, operator, value };
}

function unquote(text: string, position: number): string {
  if (text.length < 2 || !text.endsWith('"')) throw new CaptureFilterError('text after the closing " must be separated by a space', position);
  return text.slice(1, -1).replace(/\\(.)/g, '$1');
}

function parseRegex(text: string, position: number, caseSensitive: boolean): RegExp {
  const end = text.lastIndexOf('/');
  const flags = text.slice(end + 1);
  if (end === 0 || !/^[imsu]*$/.test(flags)) throw new CaptureFilterError('a regular expression is /pattern/ with optional flags i, m, s, u', position);
  try {
    // Case is ignored unless flags are given (or the filter is case-sensitive), as in the UI's filter bar.
    return new RegExp(text.slice(1, end), flags !== '' ? flags : caseSensitive ? 'u' : 'iu');
  } catch (error) {
    throw new CaptureFilterError(`invalid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`, position);
  }
}

const UNIT_MICROS: Record<string, number> = { us: 1, ms: 1000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };

/** START..END, either side may be empty: +1.5s (after the capture's start), a time of day, or an ISO 8601 time. */
function parseTimeRange(value: string, position: number): Term {
  const dots = value.indexOf('..');
  if (dots < 0) throw new CaptureFilterError('time: takes START..END, for example time:+10s..+20s, time:12:00:01.250.. or time:2026-12-02T06:00:00Z..', position);
  const from = parseTime(value.slice(0, dots), position);
  const to = parseTime(value.slice(dots + 2), position + dots + 2);
  if (from === null && to === null) throw new CaptureFilterError('time: needs a start or an end', position);
  return { field: 'time', from, to };
}

/** Up to six digits after a second's point, as µs: "25" is 250,000 µs. */
function fractionMicros(digits: string | undefined): number {
  return digits === undefined ? 0 : Number(digits.padEnd(6, '0'));
}

const TIME_OF_DAY = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;
/** ISO 8601 to the second, with up to six fraction digits (Date.parse keeps three) and an optional zone. */
const ISO_MICROS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})?$/;

function parseTime(text: string, position: number): TimeBound {
  if (text === '') return null;
  const relative = /^\+(\d+(?:\.\d+)?)(us|ms|s|m|h)$/.exec(text);
  if (relative !== null) return { offset: Math.round(Number(relative[1]) * UNIT_MICROS[relative[2]]) };
  const clock = TIME_OF_DAY.exec(text);
  if (clock !== null) {
    const [hours, minutes, seconds] = [Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0)];
    if (hours > 23 || minutes > 59 || seconds > 59) throw new CaptureFilterError(`"${text}" is not a time of day: HH:MM, HH:MM:SS or HH:MM:SS.ffffff, from 00:00 to 23:59:59.999999`, position);
    return { timeOfDay: ((hours * 60 + minutes) * 60 + seconds) * 1_000_000 + fractionMicros(clock[4]) };
  }
  const iso = ISO_MICROS.exec(text);
  if (iso !== null) {
    const ms = Date.parse(iso[1] + (iso[3] ?? ''));
    if (!Number.isNaN(ms)) return { absolute: ms * 1000 + fractionMicros(iso[2]) };
  } else if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return { absolute: ms * 1000 };
  }
  throw new CaptureFilterError(
    `"${text}" is not a time: use +N with us, ms, s, m or h (after the capture's start), a time of day such as 12:00:01.250 (local time, on the day the capture started), or an ISO 8601 time such as 2026-12-02T06:00:00.000250Z`,
    position,
  );
}

function resolve(bound: TimeBound, startTime: number): number | null {
  if (bound === null) return null;
  if ('absolute' in bound) return bound.absolute;
  if ('offset' in bound) return startTime + bound.offset;
  const midnight = new Date(Math.floor(startTime / 1000));
  midnight.setHours(0, 0, 0, 0);
  return midnight.getTime() * 1000 + bound.timeOfDay;
}

function isPayloadTerm(term: Term): boolean {
  return term.field === 'text' || term.field === 'regex' || term.field === 'json';
}

const NOT_JSON = Symbol('not JSON');

/**
 * What text, regex and field terms look at, each worked out once per record and only when a term
 * asks: the text (a message's payload as UTF-8; an event's id and detail), its folded case, and the
 * payload parsed as JSON.
 */
class RecordContent {
  private decoded: string | undefined;
  private folded: string | undefined;
  private parsed: unknown = undefined;
  private parsedYet = false;

  constructor(
    private readonly from: CaptureRecord | Uint8Array,
    private readonly caseSensitive: boolean,
  ) {}

  get text(): string {
    if (this.decoded === undefined) {
      const from = this.from;
      this.decoded = from instanceof Uint8Array ? utf8.decode(from) : from.type === 'message' ? utf8.decode(from.payload) : `${from.id} ${from.detail}`;
    }
    return this.decoded;
  }

  get foldedText(): string {
    if (this.folded === undefined) this.folded = this.caseSensitive ? this.text : this.text.toLowerCase();
    return this.folded;
  }

  /** The payload as JSON, or NOT_JSON (not valid JSON, or an event). */
  get json(): unknown {
    if (!this.parsedYet) {
      this.parsedYet = true;
      const from = this.from;
      const isPayload = from instanceof Uint8Array || from.type === 'message';
      try {
        this.parsed = isPayload ? JSON.parse(this.text) : NOT_JSON;
      } catch {
        this.parsed = NOT_JSON;
      }
    }
    return this.parsed;
  }
}

/** The value at a path of keys (a number index for an array), or undefined when it is not there. */
function valueAt(json: unknown, path: readonly string[]): unknown {
  let node = json;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** A number with a number, text with text (by UTF-16 code units); anything else, or a missing field, does not match. */
function compares(actual: unknown, operator: CompareOperator, expected: JsonValue): boolean {
  if (actual === undefined || typeof actual !== typeof expected || (actual === null) !== (expected === null)) return false;
  if (operator === '==') return actual === expected;
  if (operator === '!=') return actual !== expected;
  const a = actual as number | string;
  const b = expected as number | string;
  return operator === '<' ? a < b : operator === '<=' ? a <= b : operator === '>' ? a > b : a >= b;
}

function payloadTermMatches(term: Term, content: RecordContent): boolean {
  switch (term.field) {
    case 'text':
      return content.foldedText.includes(term.needle);
    case 'regex':
      // A pattern with the g or y flag would keep lastIndex between records; the flags allowed exclude them.
      return term.pattern.test(content.text);
    case 'json': {
      const json = content.json;
      return json !== NOT_JSON && compares(valueAt(json, term.path), term.operator, term.value);
    }
    default:
      return false;
  }
}

function recordKind(record: CaptureRecord): FilterKind {
  if (record.type === 'message') return record.kind;
  return record.event === 'error' ? 'error' : 'system';
}

function termMatches(term: Term, record: CaptureRecord, content: RecordContent, startTime: number): boolean {
  switch (term.field) {
    case 'src':
      return record.type === 'message' ? term.ids.includes(record.source) : term.ids.includes(record.id);
    case 'dst':
      return record.type === 'message' && record.destination !== null && term.ids.includes(record.destination);
    case 'mod':
      return record.type === 'message' ? term.ids.includes(record.source) || (record.destination !== null && term.ids.includes(record.destination)) : term.ids.includes(record.id);
    case 'kind':
      return term.kinds.includes(recordKind(record)) || (record.type === 'message' && record.injected && term.kinds.includes('injected'));
    case 'corr':
      return record.type === 'message' && term.values.includes(record.correlationId);
    case 'text':
    case 'regex':
    case 'json':
      return payloadTermMatches(term, content);
    case 'time': {
      const from = resolve(term.from, startTime);
      const to = resolve(term.to, startTime);
      return (from === null || record.time >= from) && (to === null || record.time <= to);
    }
  }
}
