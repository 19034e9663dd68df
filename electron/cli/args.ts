/** Command-line parsing: flag specs, the parser, and validators that turn flag text into typed values. */

/** An error the user can fix by changing the command line: exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help explains the fix; null for the top level. */
    readonly command: string | null,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure while running a valid command (no hub, unknown destination, timeout…): exit code 1. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

export interface FlagSpec {
  /** A boolean flag takes no value; a string flag takes the next argument or "=value". */
  type: 'string' | 'boolean';
  /** May be given more than once; the values are kept in order. */
  multiple?: boolean;
  /** Name of the value in help, e.g. "ID". */
  valueName?: string;
  description: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Arguments after the command name, as shown in help. */
  synopsis: string;
  /** The positional argument's name and help text; commands without one reject positionals. */
  positional?: { name: string; description: string /** how many it takes at most (default 1) */; count?: number /** the only values it takes, for shell completion */; choices?: string[] };
  flags: Record<string, FlagSpec>;
  /** Extra help paragraphs after the flag list. */
  notes?: string[];
}

export interface ParsedArgs {
  strings: Map<string, string[]>;
  booleans: Set<string>;
  positionals: string[];
}

/** True when the arguments ask for help (before any "--", which ends flag parsing). */
export function wantsHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/**
 * Parses a command's arguments against its spec; throws UsageError naming the offending flag. With
 * `ignored`, words the spec does not know (flags and positionals) are pushed there instead: the
 * desktop app's argv also carries Chromium's switches, which are not its to refuse.
 */
export function parseCommandArgs(spec: CommandSpec, args: readonly string[], ignored?: string[]): ParsedArgs {
  const parsed: ParsedArgs = { strings: new Map(), booleans: new Set(), positionals: [] };
  let flagsEnded = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (flagsEnded || arg === '-' || !arg.startsWith('-')) {
      if (ignored === undefined) parsed.positionals.push(arg);
      else ignored.push(arg);
      continue;
    }
    if (arg === '--') {
      flagsEnded = true;
      continue;
    }
    const equals = arg.indexOf('=');
    const name = equals < 0 ? arg : arg.slice(0, equals);
    const flag = name.startsWith('--') ? spec.flags[name.slice(2)] : undefined;
    if (flag === undefined && ignored !== undefined) {
      ignored.push(arg);
      continue;
    }
    if (flag === undefined) {
      const hint = spec.positional !== undefined && !name.startsWith('--') ? ` (put "--" before a ${spec.positional.name} that starts with "-")` : '';
      throw new UsageError(`unknown flag ${name} for ${spec.name}${hint}`, spec.name);
    }
    const key = name.slice(2);
    if (flag.type === 'boolean') {
      if (equals >= 0) throw new UsageError(`${name} takes no value`, spec.name);
      parsed.booleans.add(key);
      continue;
    }
    let value: string;
    if (equals >= 0) {
      value = arg.slice(equals + 1);
    } else {
      const next = args[i + 1];
      // A following flag means the value was forgotten; "--as=--odd" still passes a value that starts with "--".
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${name} needs a value`, spec.name);
      value = next;
      i++;
    }
    const previous = parsed.strings.get(key);
    if (previous !== undefined && !flag.multiple) throw new UsageError(`${name} was given more than once`, spec.name);
    parsed.strings.set(key, [...(previous ?? []), value]);
  }
  const allowed = spec.positional === undefined ? 0 : (spec.positional.count ?? 1);
  if (parsed.positionals.length > allowed) {
    const extra = parsed.positionals[allowed];
    throw new UsageError(allowed === 0 ? `${spec.name} takes no arguments, but got "${extra}"` : `unexpected argument "${extra}" after ${spec.positional?.name}`, spec.name);
  }
  return parsed;
}

/** Typed access to one command's parsed flags, with the validation messages the CLI shows. */
export class FlagValues {
  constructor(
    private readonly command: string,
    private readonly parsed: ParsedArgs,
  ) {}

  get positional(): string | undefined {
    return this.parsed.positionals[0];
  }

  get positionals(): readonly string[] {
    return this.parsed.positionals;
  }

  has(name: string): boolean {
    return this.parsed.booleans.has(name) || this.parsed.strings.has(name);
  }

  string(name: string): string | undefined {
    return this.parsed.strings.get(name)?.[0];
  }

  strings(name: string): string[] {
    return this.parsed.strings.get(name) ?? [];
  }

  boolean(name: string): boolean {
    return this.parsed.booleans.has(name);
  }

  required(name: string): string {
    const value = this.string(name);
    if (value === undefined) throw this.usage(`${this.command} needs --${name}`);
    return value;
  }

  /** An integer flag at least `min`, or undefined when absent. */
  integer(name: string, min: number): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(value) || value < min) throw this.usage(`--${name} must be a whole number of at least ${min}, not "${text}"`);
    return value;
  }

  /** One of `choices`, or `fallback` when absent. */
  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const text = this.string(name);
    if (text === undefined) return fallback;
    if (!(choices as readonly string[]).includes(text)) throw this.usage(`--${name} must be one of ${choices.join(', ')}, not "${text}"`);
    return text as T;
  }

  /** A file mode such as 600, 0660 or 0o660. */
  octal(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const match = /^(?:0o?)?([0-7]{1,4})$/.exec(text);
    if (match === null) throw this.usage(`--${name} must be an octal file mode such as 600, not "${text}"`);
    return parseInt(match[1], 8);
  }

  usage(message: string): UsageError {
    return new UsageError(message, this.command);
  }
}
