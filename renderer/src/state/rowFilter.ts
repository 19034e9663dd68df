import { parseCaptureFilter } from '@contract';
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
}

export const EMPTY_FILTER: FilterSpec = { module: '', moduleSide: 'either', peer: '', kinds: ROW_KINDS, text: '', regex: false, caseSensitive: false, fields: '' };

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
}

export type CompileFilterResult = { ok: true; filter: CompiledFilter } | { ok: false; error: string };

/** Checks the spec (a regex and the field comparisons must parse) and prepares it. Text and regex ignore case unless caseSensitive. */
export function compileFilter(spec: FilterSpec): CompileFilterResult {
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
  const mask = kindMask(spec.kinds);
  if ((spec.peer ?? '') !== '' && spec.module === '') return { ok: false, error: 'a conversation is between two modules: the module is missing' };
  const peer = spec.module === '' ? '' : (spec.peer ?? '');
  return {
    ok: true,
    filter: {
      spec,
      active: spec.module !== '' || mask !== ALL_KINDS_MASK || matchesText !== null,
      kindMask: mask,
      module: spec.module,
      moduleSide: spec.moduleSide,
      peer,
      matchesText,
      payloadExpression: payloadExpression(spec),
      caseSensitive,
    },
  };
}

export const MATCH_EVERYTHING: CompiledFilter = (compileFilter(EMPTY_FILTER) as { ok: true; filter: CompiledFilter }).filter;
