import { CaptureFilterError, parseCaptureFilter } from '@contract';
import { isoMicros } from '../format/timeFormat';
import { encodeUtf8 } from '../format/utf8';
import { payloadExpression } from './filterExpression';
import { ALL_KINDS_MASK, kindMask, type RowKind, ROW_KINDS } from './rowKinds';

export type ModuleSide = 'source' | 'destination' | 'either';

/** What the filter bar holds. Every criterion that is set must match (they combine with AND). */
export interface FilterSpec {
  /** Empty: any module. */
  module: string;
  moduleSide: ModuleSide;
  /**
   * Set when following a conversation: only the rows between `module` and this module, either way
   * (moduleSide is then ignored). Empty or absent: no second module.
   */
  peer?: string;
  kinds: readonly RowKind[];
  /** Searched in the payload preview decoded as UTF-8 (the note, for error and system rows). Empty: any. */
  text: string;
  regex: boolean;
  /** Text and regex compare case too (absent: case is ignored). */
  caseSensitive?: boolean;
  /** Comparisons of JSON payload fields in the capture filter language (`.temp > 30 .cmd == "open"`). Empty or absent: none. */
  fields?: string;
  /**
   * A time range as the capture filter language's `time:` takes it (`12:00:01.250..`, `+5s..+10s`,
   * ISO 8601): both ends included, either may be left out. Empty or absent: any time.
   */
  time?: string;
}

export const EMPTY_FILTER: FilterSpec = { module: '', moduleSide: 'either', peer: '', kinds: ROW_KINDS, text: '', regex: false, caseSensitive: false, fields: '', time: '' };

/**
 * What the filter bar starts with: everything but system rows. Every short-lived sender (a CLI
 * `send`) adds a join and a leave row around each message, which would bury the messages; the
 * modules panel shows arrivals and departures anyway, and the toggle brings them back.
 */
export const INITIAL_FILTER: FilterSpec = { ...EMPTY_FILTER, kinds: ROW_KINDS.filter((kind) => kind !== 'system') };

/** A filter ready to test rows with; build it with compileFilter. */
export interface CompiledFilter {
  readonly spec: FilterSpec;
  readonly active: boolean;
  readonly kindMask: number;
  readonly module: string;
  readonly moduleSide: ModuleSide;
  /** '' unless following a conversation with `module`. */
  readonly peer: string;
  /** Tests a preview (or an error or system row's note); null when no payload term is set. */
  readonly matchesText: ((text: string) => boolean) | null;
  /** The payload terms in the capture filter language, for the backend's whole-payload search; '' for none. */
  readonly payloadExpression: string;
  readonly caseSensitive: boolean;
  /** The time range resolved to µs since the epoch (both ends included); null: no bound on that side. */
  readonly timeStart: number | null;
  readonly timeEnd: number | null;
}

export type CompileFilterResult = { ok: true; filter: CompiledFilter } | { ok: false; error: string };

/**
 * Checks the spec (a regex, the field comparisons and the time range must parse) and prepares it.
 * Text and regex ignore case unless caseSensitive. `anchorMicros` is what `+N` times and times of
 * day count from: the first message the table holds (its "since the first message" origin). The
 * compiled spec holds the range resolved, in ISO 8601 to the µs, so an export means the same rows.
 */
export function compileFilter(spec: FilterSpec, anchorMicros: number = Date.now() * 1000): CompileFilterResult {
  const caseSensitive = spec.caseSensitive === true;
  let matchesText: ((text: string) => boolean) | null = null;
  if (spec.text !== '') {
    if (spec.regex) {
      let pattern: RegExp;
      try {
        pattern = new RegExp(spec.text, caseSensitive ? 'u' : 'iu');
      } catch (error) {
        return { ok: false, error: `invalid regular expression: ${error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : String(error)}` };
      }
      matchesText = (text) => pattern.test(text);
    } else if (caseSensitive) {
      const needle = spec.text;
      matchesText = (text) => text.includes(needle);
    } else {
      const needle = spec.text.toLowerCase();
      matchesText = (text) => text.toLowerCase().includes(needle);
    }
  }
  const fields = (spec.fields ?? '').trim();
  if (fields !== '') {
    // Parsed alone so an error's column is the column in the fields box.
    let fieldFilter: ReturnType<typeof parseCaptureFilter>;
    try {
      fieldFilter = parseCaptureFilter(fields, { caseSensitive });
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message.replace(/^filter:/, 'fields:') : String(error) };
    }
    if (!fieldFilter.payloadOnly) return { ok: false, error: 'fields: only .field comparisons (and text or /regex/) go here; pick modules, kinds and times with the controls beside it' };
    const textMatches = matchesText;
    // A preview is JSON only when the whole payload fits in it; the backend's search decides the others.
    matchesText = (text) => (textMatches === null || textMatches(text)) && fieldFilter.matchesPayload(encodeUtf8(text));
  }
  const range = resolveTimeRange(spec.time ?? '', anchorMicros);
  if (!range.ok) return range;
  const mask = kindMask(spec.kinds);
  if ((spec.peer ?? '') !== '' && spec.module === '') return { ok: false, error: 'a conversation is between two modules: the module is missing' };
  const peer = spec.module === '' ? '' : (spec.peer ?? '');
  return {
    ok: true,
    filter: {
      spec: { ...spec, time: range.text },
      active: spec.module !== '' || mask !== ALL_KINDS_MASK || matchesText !== null || range.start !== null || range.end !== null,
      kindMask: mask,
      module: spec.module,
      moduleSide: spec.moduleSide,
      peer,
      matchesText,
      payloadExpression: payloadExpression(spec),
      caseSensitive,
      timeStart: range.start,
      timeEnd: range.end,
    },
  };
}

type TimeRangeResult = { ok: true; start: number | null; end: number | null; text: string } | { ok: false; error: string };

/** The typed range as µs bounds and as `ISO..ISO` (what an export's `time:` term is given). */
function resolveTimeRange(typed: string, anchorMicros: number): TimeRangeResult {
  const value = typed.trim().replace(/\s*\.\.\s*/, '..');
  if (value === '') return { ok: true, start: null, end: null, text: '' };
  // Anything after a space would otherwise become a term of its own (a text search) without a word.
  if (/\s/.test(value)) return { ok: false, error: 'time: a range is START..END without spaces inside a time, for example 12:00:01.250..12:00:02 or +5s..' };
  let parsed: ReturnType<typeof parseCaptureFilter>;
  try {
    parsed = parseCaptureFilter(`time:${value}`);
  } catch (error) {
    // The column counts in the time box, not in the "time:" put before it.
    return {
      ok: false,
      error: error instanceof CaptureFilterError ? `time: ${error.message.replace(/^filter: (time: )?/, '').replace(/\(at column \d+\)$/, `(at column ${error.position - 4})`)}` : String(error),
    };
  }
  const { start, end } = parsed.timeRange(anchorMicros);
  if (start !== undefined && end !== undefined && start > end) return { ok: false, error: `time: the range ends (${isoMicros(end)}) before it starts (${isoMicros(start)})` };
  return { ok: true, start: start ?? null, end: end ?? null, text: `${start === undefined ? '' : isoMicros(start)}..${end === undefined ? '' : isoMicros(end)}` };
}

export const MATCH_EVERYTHING: CompiledFilter = (compileFilter(EMPTY_FILTER) as { ok: true; filter: CompiledFilter }).filter;
