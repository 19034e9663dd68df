import type { CaptureRecord } from './captureRecord';

/**
 * The one filter language of captures (`record --filter`, `replay --filter`, export, and the UI's
 * filter bar later): terms separated by spaces, all of which must match. docs/CAPTURE.md, "Filters",
 * is the reference. Kinds are the UI's row kinds (renderer/src/state/rowKinds.ts), so a filter means
 * the same on a live table and on a file; text and regex ignore case there too.
 *
 *   src:A  dst:B  mod:A (either side)  kind:request  corr:7  "text"  word  /regex/  time:START..END
 *
 * A field takes alternatives separated by commas (`kind:request,reply`), and a leading `-` negates a
 * term (`-mod:logger`).
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

/** A time bound: absolute µs since the epoch, or µs after the capture's start. */
type TimeBound = { absolute: number } | { offset: number } | null;

type Term =
  | { field: 'src' | 'dst' | 'mod'; ids: string[] }
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
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Parses an expression; throws CaptureFilterError naming the column of what is wrong. */
export function parseCaptureFilter(expression: string): CaptureFilter {
  const terms = tokenize(expression).map(({ text, position }) => parseTerm(text, position));
  const needsText = terms.some(({ term }) => term.field === 'text' || term.field === 'regex');
  return {
    source: expression,
    active: terms.length > 0,
    matches(record, startTime) {
      const text = needsText ? recordText(record) : '';
      for (const { term, negated } of terms) {
        if (termMatches(term, record, text, startTime) === negated) return false;
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

function parseTerm(raw: string, position: number): ParsedTerm {
  const negated = raw.startsWith('-') && raw.length > 1;
  const text = negated ? raw.slice(1) : raw;
  const at = negated ? position + 1 : position;
  if (text.startsWith('"')) return { negated, term: { field: 'text', needle: unquote(text, at).toLowerCase() } };
  if (text.startsWith('/')) return { negated, term: { field: 'regex', pattern: parseRegex(text, at) } };
  const colon = text.indexOf(':');
  if (colon < 0) return { negated, term: { field: 'text', needle: text.toLowerCase() } };
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
      throw new CaptureFilterError(`unknown field "${field}:"; the fields are src:, dst:, mod:, kind:, corr:, time: (quote text that contains a colon)`, at);
  }
}

function unquote(text: string, position: number): string {
  if (text.length < 2 || !text.endsWith('"')) throw new CaptureFilterError('text after the closing " must be separated by a space', position);
  return text.slice(1, -1).replace(/\\(.)/g, '$1');
}

function parseRegex(text: string, position: number): RegExp {
  const end = text.lastIndexOf('/');
  const flags = text.slice(end + 1);
  if (end === 0 || !/^[imsu]*$/.test(flags)) throw new CaptureFilterError('a regular expression is /pattern/ with optional flags i, m, s, u', position);
  try {
    // Case is ignored unless the flags are given, as in the UI's filter bar.
    return new RegExp(text.slice(1, end), flags === '' ? 'iu' : flags);
  } catch (error) {
    throw new CaptureFilterError(`invalid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`, position);
  }
}

const UNIT_MICROS: Record<string, number> = { us: 1, ms: 1000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };

/** START..END, either side may be empty: +1.5s (after the capture's start) or an ISO 8601 time. */
function parseTimeRange(value: string, position: number): Term {
  const dots = value.indexOf('..');
  if (dots < 0) throw new CaptureFilterError('time: takes START..END, for example time:+10s..+20s or time:2026-12-02T06:00:00Z..', position);
  const from = parseTime(value.slice(0, dots), position);
  const to = parseTime(value.slice(dots + 2), position + dots + 2);
  if (from === null && to === null) throw new CaptureFilterError('time: needs a start or an end', position);
  return { field: 'time', from, to };
}

function parseTime(text: string, position: number): TimeBound {
  if (text === '') return null;
  const relative = /^\+(\d+(?:\.\d+)?)(us|ms|s|m|h)$/.exec(text);
  if (relative !== null) return { offset: Math.round(Number(relative[1]) * UNIT_MICROS[relative[2]]) };
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return { absolute: ms * 1000 };
  }
  throw new CaptureFilterError(`"${text}" is not a time: use +N with us, ms, s, m or h (after the capture's start), or an ISO 8601 time such as 2026-12-02T06:00:00Z`, position);
}

function resolve(bound: TimeBound, startTime: number): number | null {
  if (bound === null) return null;
  return 'absolute' in bound ? bound.absolute : startTime + bound.offset;
}

/** What text and regex terms search: the payload as UTF-8 for a message, the id and detail of an event. */
function recordText(record: CaptureRecord): string {
  return record.type === 'message' ? utf8.decode(record.payload) : `${record.id} ${record.detail}`;
}

function recordKind(record: CaptureRecord): FilterKind {
  if (record.type === 'message') return record.kind;
  return record.event === 'error' ? 'error' : 'system';
}

function termMatches(term: Term, record: CaptureRecord, text: string, startTime: number): boolean {
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
      return text.toLowerCase().includes(term.needle);
    case 'regex':
      return term.pattern.test(text);
    case 'time': {
      const from = resolve(term.from, startTime);
      const to = resolve(term.to, startTime);
      return (from === null || record.time >= from) && (to === null || record.time <= to);
    }
  }
}
