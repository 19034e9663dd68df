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
}

export const EMPTY_FILTER: FilterSpec = { module: '', moduleSide: 'either', peer: '', kinds: ROW_KINDS, text: '', regex: false };

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
  readonly matchesText: ((text: string) => boolean) | null;
}

export type CompileFilterResult = { ok: true; filter: CompiledFilter } | { ok: false; error: string };

/** Checks the spec (a regex must compile) and prepares it. Text and regex matching ignore case. */
export function compileFilter(spec: FilterSpec): CompileFilterResult {
  let matchesText: ((text: string) => boolean) | null = null;
  if (spec.text !== '') {
    if (spec.regex) {
      let pattern: RegExp;
      try {
        pattern = new RegExp(spec.text, 'iu');
      } catch (error) {
        return { ok: false, error: `invalid regular expression: ${error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : String(error)}` };
      }
      matchesText = (text) => pattern.test(text);
    } else {
      const needle = spec.text.toLowerCase();
      matchesText = (text) => text.toLowerCase().includes(needle);
    }
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
    },
  };
}

export const MATCH_EVERYTHING: CompiledFilter = (compileFilter(EMPTY_FILTER) as { ok: true; filter: CompiledFilter }).filter;
