import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_CORRELATION_ID } from '../../electron/protocol/PendingOperations';
import { messageHeaderLength } from '../../electron/protocol/frameWriters';
import {
  DEFAULT_MAX_PAYLOAD,
  ERROR_NAMES,
  ErrorCode,
  FATAL_ERRORS,
  FrameType,
  HelloFlag,
  HubEventCode,
  LENGTH_PREFIX_BYTES,
  MAX_FRAME_OVERHEAD,
  MESSAGE_KIND_NAMES,
  MessageKind,
  maxFrameLength,
  PresenceEvent,
  PROTOCOL_VERSION,
} from '../../electron/protocol/protocol';

// The C client, the C load generator and the Python client repeat the wire constants of
// electron/protocol/protocol.ts. This reads them out of those sources (no compiler, no interpreter)
// and compares them with protocol.ts. Every constant looked for must be found: an extraction that
// comes back empty fails, so a renamed file or a changed spelling cannot turn the test into a no-op.

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const C_HEADER = 'clients/c/relayscope.h';
const C_SOURCE = 'clients/c/relayscope.c';
const LOADGEN = 'bench/c/loadgen.c';
const PYTHON = 'clients/python/relayscope.py';

function read(file: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
}

// ------------------------------------------------------------------ integer expressions

/**
 * Evaluates the integer constant expressions these sources use (`0x01`, `(-1)`, `(1u << 20)`,
 * `16 * 1024 * 1024 + 527 + 4`, `256 * 1024`): literals with C suffixes, + - * << >> | and
 * parentheses. Anything else throws, so an unreadable value fails the test instead of being skipped.
 */
function evaluateInteger(expression: string, where: string): number {
  const tokens = expression.match(/0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|<<|>>|[-+*|()]|\S/g) ?? [];
  let index = 0;
  const fail = (why: string): never => {
    throw new Error(`${where}: cannot evaluate ${JSON.stringify(expression)} (${why})`);
  };
  const peek = (): string | undefined => tokens[index];
  const primary = (): number => {
    const token = tokens[index++];
    if (token === undefined) return fail('unexpected end');
    if (token === '(') {
      const value = bitOr();
      if (tokens[index++] !== ')') fail('missing )');
      return value;
    }
    if (token === '-') return -primary();
    if (token === '+') return primary();
    const literal = /^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$/.exec(token);
    if (literal === null) return fail(`unexpected ${JSON.stringify(token)}`);
    return Number(literal[1]);
  };
  const product = (): number => {
    let value = primary();
    while (peek() === '*') {
      index++;
      value *= primary();
    }
    return value;
  };
  const sum = (): number => {
    let value = product();
    while (peek() === '+' || peek() === '-') value = tokens[index++] === '+' ? value + product() : value - product();
    return value;
  };
  const shift = (): number => {
    let value = sum();
    while (peek() === '<<' || peek() === '>>') value = tokens[index++] === '<<' ? value * 2 ** sum() : Math.floor(value / 2 ** sum());
    return value;
  };
  const bitOr = (): number => {
    let value = shift();
    while (peek() === '|') {
      index++;
      value = (value | shift()) >>> 0;
    }
    return value;
  };
  if (tokens.length === 0) fail('empty');
  const value = bitOr();
  if (index !== tokens.length) fail(`trailing ${JSON.stringify(tokens.slice(index).join(' '))}`);
  return value;
}

// ------------------------------------------------------------------ C

interface CConstants {
  file: string;
  /** Object-like #defines and enum members, by name, with their integer values. */
  values: Map<string, number>;
  /** The source without comments. */
  code: string;
}

function withoutCComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');
}

function readC(file: string): CConstants {
  return parseC(file, read(file));
}

function parseC(file: string, text: string): CConstants {
  const code = withoutCComments(text);
  const values = new Map<string, number>();
  for (const [, name, value] of code.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(?!\()[ \t]+(\S[^\n]*?)[ \t]*$/gm)) {
    // Only integer constants: feature macros like _POSIX_C_SOURCE 200809L qualify too and are harmless.
    if (/^[\s\dxXa-fA-FuUlL()+\-*<>|]+$/.test(value)) values.set(name, evaluateInteger(value, `${file} #define ${name}`));
  }
  for (const [, body] of code.matchAll(/\benum\b\s*\w*\s*\{([^}]*)\}/g)) {
    let next = 0;
    for (const member of body
      .split(',')
      .map((m) => m.trim())
      .filter((m) => m !== '')) {
      const match = /^([A-Za-z_]\w*)\s*(?:=\s*([\s\S]+))?$/.exec(member);
      if (match === null) throw new Error(`${file}: cannot read the enum member ${JSON.stringify(member)}`);
      const value = match[2] === undefined ? next : evaluateInteger(match[2], `${file} enum member ${match[1]}`);
      values.set(match[1], value);
      next = value + 1;
    }
  }
  return { file, values, code };
}

/** The constants named `prefix` + NAME, as { NAME: value }. */
function withPrefix(constants: CConstants, prefix: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const [name, value] of constants.values) if (name.startsWith(prefix)) found.set(name.slice(prefix.length), value);
  return found;
}

function cValue(constants: CConstants, name: string): number {
  const value = constants.values.get(name);
  if (value === undefined) throw new Error(`${constants.file}: no constant ${name}`);
  return value;
}

/** The RS_HUB_* names of the `case` labels of relayscope.c's is_fatal_hub_error(). */
function cFatalErrorNames(source: CConstants): string[] {
  const body = /\bis_fatal_hub_error\s*\(\s*int\s+\w+\s*\)\s*\{([\s\S]*?)\breturn\s+1\s*;/.exec(source.code)?.[1];
  if (body === undefined) throw new Error(`${source.file}: no is_fatal_hub_error() returning 1 for its cases`);
  return [...body.matchAll(/\bcase\s+RS_HUB_(\w+)\s*:/g)].map((match) => match[1]);
}

// ------------------------------------------------------------------ Python

/** The module's top-level assignments `NAME = value` (values may span lines inside brackets), by name. */
function readPythonAssignments(file: string): Map<string, string> {
  const lines = read(file).split('\n');
  const assignments = new Map<string, string>();
  for (let i = 0; i < lines.length; i++) {
    const match = /^([A-Za-z_][\w, ]*?)\s*=\s*(.*)$/.exec(lines[i]);
    if (match === null || /^\s/.test(lines[i])) continue;
    let value = match[2].replace(/\s+#.*$/, '');
    const depth = (text: string): number => (text.match(/[([{]/g) ?? []).length - (text.match(/[)\]}]/g) ?? []).length;
    while (depth(value) > 0 && i + 1 < lines.length) value += `\n${lines[++i].replace(/\s+#.*$/, '')}`;
    assignments.set(match[1].replace(/\s+/g, ''), value.trim());
  }
  return assignments;
}

function pythonValue(assignments: Map<string, string>, name: string): string {
  const value = assignments.get(name);
  if (value === undefined) throw new Error(`${PYTHON}: no top-level assignment to ${name}`);
  return value;
}

function pythonInteger(assignments: Map<string, string>, name: string): number {
  return evaluateInteger(pythonValue(assignments, name), `${PYTHON} ${name}`);
}

/** `{1: "join", 2: "leave"}` → [[1, 'join'], [2, 'leave']]; throws unless the whole literal is such entries. */
function pythonIntToStringDict(assignments: Map<string, string>, name: string): [number, string][] {
  const literal = pythonValue(assignments, name);
  const inner = /^\{([\s\S]*)\}$/.exec(literal)?.[1];
  if (inner === undefined) throw new Error(`${PYTHON}: ${name} is not a dict literal: ${literal}`);
  const entries = inner
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return entries.map((entry) => {
    const match = /^(0[xX][0-9a-fA-F]+|\d+)\s*:\s*"([^"]*)"$/.exec(entry);
    if (match === null) throw new Error(`${PYTHON}: cannot read the entry ${JSON.stringify(entry)} of ${name}`);
    return [Number(match[1]), match[2]];
  });
}

/** `("a", "b")` → ['a', 'b']. */
function pythonStringTuple(assignments: Map<string, string>, name: string): string[] {
  const literal = pythonValue(assignments, name);
  const inner = /^\(([\s\S]*)\)$/.exec(literal)?.[1];
  if (inner === undefined) throw new Error(`${PYTHON}: ${name} is not a tuple literal: ${literal}`);
  return inner
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      const match = /^"([^"]*)"$/.exec(item);
      if (match === null) throw new Error(`${PYTHON}: cannot read the item ${JSON.stringify(item)} of ${name}`);
      return match[1];
    });
}

/** `frozenset((1, 2, 3))` → [1, 2, 3]. */
function pythonIntFrozenset(assignments: Map<string, string>, name: string): number[] {
  const literal = pythonValue(assignments, name);
  const inner = /^frozenset\(\s*[([{]([\s\S]*)[)\]}]\s*\)$/.exec(literal)?.[1];
  if (inner === undefined) throw new Error(`${PYTHON}: ${name} is not frozenset((...)): ${literal}`);
  return inner
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => evaluateInteger(item, `${PYTHON} ${name}`));
}

/** `A, B, C = range(3)` → { A: 0, B: 1, C: 2 }, for the assignment whose targets start with `prefix`. */
function pythonRangeUnpacking(assignments: Map<string, string>, prefix: string): Map<string, number> {
  for (const [targets, value] of assignments) {
    const names = targets.split(',');
    if (names.length < 2 || !names.every((name) => name.startsWith(prefix))) continue;
    const count = /^range\((\d+)\)$/.exec(value)?.[1];
    if (count === undefined || Number(count) !== names.length) throw new Error(`${PYTHON}: ${targets} = ${value} is not range(${names.length})`);
    return new Map(names.map((name, i) => [name.slice(prefix.length), i]));
  }
  throw new Error(`${PYTHON}: no "${prefix}..., ${prefix}... = range(n)" assignment`);
}

// ------------------------------------------------------------------ comparing

type Table = Readonly<Record<string, number>>;

/**
 * The differences between `found` (NAME → value, as a source spells it) and protocol.ts's `table`:
 * a found name protocol.ts does not have, a different value, or (with `complete`) a name of
 * `table` the source lacks. `required` names must be found whatever `complete` says.
 */
function differences(where: string, found: Map<string, number>, table: Table, options: { complete?: boolean; required?: readonly string[]; ignore?: readonly string[] } = {}): string[] {
  const problems: string[] = [];
  if (found.size === 0) problems.push(`${where}: found no constants at all`);
  for (const [name, value] of found) {
    if (options.ignore?.includes(name)) continue;
    if (!Object.hasOwn(table, name)) problems.push(`${where}: ${name} = ${value} is not in protocol.ts`);
    else if (table[name] !== value) problems.push(`${where}: ${name} = ${value}, protocol.ts says ${table[name]}`);
  }
  const mustHave = options.complete ? Object.keys(table) : (options.required ?? []);
  for (const name of mustHave) if (!found.has(name)) problems.push(`${where}: ${name} (${table[name]} in protocol.ts) not found`);
  return problems;
}

function scalarDifference(where: string, found: number, expected: number): string[] {
  return found === expected ? [] : [`${where} = ${found}, protocol.ts gives ${expected}`];
}

function sortedNumbers(values: Iterable<number>): number[] {
  return [...values].sort((a, b) => a - b);
}

// ------------------------------------------------------------------ the tests

describe('the constants the C client repeats (clients/c)', () => {
  const header = readC(C_HEADER);
  const source = readC(C_SOURCE);

  it('has every error code (RS_HUB_*) with the value of ErrorCode', () => {
    expect(differences(`${C_HEADER} RS_HUB_*`, withPrefix(header, 'RS_HUB_'), ErrorCode, { complete: true })).toEqual([]);
  });

  it('has the message kinds (RS_KIND_*) of MessageKind; JOIN and LEAVE are the client’s own presence kinds', () => {
    // rs_message.kind also reports presence notices, which the wire carries in PRESENCE frames, not as kinds.
    expect(differences(`${C_HEADER} RS_KIND_*`, withPrefix(header, 'RS_KIND_'), MessageKind, { complete: true, ignore: ['JOIN', 'LEAVE'] })).toEqual([]);
  });

  it('has HELLO flags (RS_FLAG_*) with the values of HelloFlag', () => {
    expect(differences(`${C_HEADER} RS_FLAG_*`, withPrefix(header, 'RS_FLAG_'), HelloFlag, { required: ['MONITOR', 'TAKEOVER'] })).toEqual([]);
  });

  it('has the frame types (FRAME_*) of FrameType, the protocol version and the frame overhead', () => {
    expect([
      ...differences(`${C_SOURCE} FRAME_*`, withPrefix(source, 'FRAME_'), FrameType, {
        required: ['HELLO', 'WELCOME', 'ERROR', 'PING', 'PONG', 'BYE', 'OK', 'MESSAGE', 'LIST', 'LIST_REPLY', 'SUBSCRIBE_PRESENCE', 'PRESENCE'],
      }),
      ...scalarDifference(`${C_SOURCE} PROTOCOL_VERSION`, cValue(source, 'PROTOCOL_VERSION'), PROTOCOL_VERSION),
      ...scalarDifference(`${C_SOURCE} MAX_FRAME_OVERHEAD`, cValue(source, 'MAX_FRAME_OVERHEAD'), MAX_FRAME_OVERHEAD),
    ]).toEqual([]);
  });

  it('treats exactly the errors of FATAL_ERRORS as fatal (is_fatal_hub_error)', () => {
    const names = cFatalErrorNames(source);
    expect(names.length).toBeGreaterThan(0);
    const codes = names.map((name) => cValue(header, `RS_HUB_${name}`));
    expect(sortedNumbers(codes)).toEqual(sortedNumbers(FATAL_ERRORS));
  });
});

describe('the constants the C load generator repeats (bench/c/loadgen.c)', () => {
  const loadgen = readC(LOADGEN);

  it('has the frame types (FRAME_*) and message kinds (KIND_*) of protocol.ts', () => {
    expect([
      ...differences(`${LOADGEN} FRAME_*`, withPrefix(loadgen, 'FRAME_'), FrameType, { required: ['HELLO', 'WELCOME', 'ERROR', 'PING', 'PONG', 'BYE', 'MESSAGE'] }),
      ...differences(`${LOADGEN} KIND_*`, withPrefix(loadgen, 'KIND_'), MessageKind, { complete: true }),
    ]).toEqual([]);
  });

  it('has the protocol version and the lengths derived from the MESSAGE layout and the frame limit', () => {
    expect([
      ...scalarDifference(`${LOADGEN} PROTOCOL_VERSION`, cValue(loadgen, 'PROTOCOL_VERSION'), PROTOCOL_VERSION),
      // length prefix, type, kind, flags, correlation ID, peer length: a MESSAGE's header with an empty peer.
      ...scalarDifference(`${LOADGEN} MESSAGE_HEADER_BYTES`, cValue(loadgen, 'MESSAGE_HEADER_BYTES'), messageHeaderLength(0)),
      // The largest frame from a hub with the default maxPayload, length prefix included.
      ...scalarDifference(`${LOADGEN} MAX_INBOUND_FRAME`, cValue(loadgen, 'MAX_INBOUND_FRAME'), LENGTH_PREFIX_BYTES + maxFrameLength(DEFAULT_MAX_PAYLOAD)),
    ]).toEqual([]);
  });
});

describe('the constants the Python client repeats (clients/python/relayscope.py)', () => {
  const assignments = readPythonAssignments(PYTHON);

  it('has the protocol version, the frame overhead and the largest correlation ID', () => {
    expect([
      ...scalarDifference(`${PYTHON} PROTOCOL_VERSION`, pythonInteger(assignments, 'PROTOCOL_VERSION'), PROTOCOL_VERSION),
      ...scalarDifference(`${PYTHON} MAX_FRAME_OVERHEAD`, pythonInteger(assignments, 'MAX_FRAME_OVERHEAD'), MAX_FRAME_OVERHEAD),
      ...scalarDifference(`${PYTHON} MAX_CORRELATION_ID`, pythonInteger(assignments, 'MAX_CORRELATION_ID'), MAX_CORRELATION_ID),
    ]).toEqual([]);
  });

  it('has the frame types, named as in FrameType, with its values', () => {
    // The frame types are bare module-level names (HELLO = 0x01); look up each name FrameType has.
    const found = new Map<string, number>();
    for (const name of Object.keys(FrameType)) if (assignments.has(name)) found.set(name, pythonInteger(assignments, name));
    expect(
      differences(`${PYTHON} frame types`, found, FrameType, {
        required: [
          'HELLO',
          'WELCOME',
          'ERROR',
          'PING',
          'PONG',
          'BYE',
          'OK',
          'MESSAGE',
          'LIST',
          'LIST_REPLY',
          'STATS',
          'STATS_REPLY',
          'SUBSCRIBE_PRESENCE',
          'PRESENCE',
          'TRAFFIC',
          'EVENT',
          'INJECT',
          'KICK',
        ],
      }),
    ).toEqual([]);
  });

  it('has HELLO flags (HELLO_FLAG_*) with the values of HelloFlag', () => {
    const found = new Map<string, number>();
    for (const name of assignments.keys()) if (name.startsWith('HELLO_FLAG_')) found.set(name.slice('HELLO_FLAG_'.length), pythonInteger(assignments, name));
    expect(differences(`${PYTHON} HELLO_FLAG_*`, found, HelloFlag, { required: ['MONITOR', 'TAKEOVER'] })).toEqual([]);
  });

  it('has the message kinds in the order and with the names of MessageKind', () => {
    expect(differences(`${PYTHON} KIND_*`, pythonRangeUnpacking(assignments, 'KIND_'), MessageKind, { complete: true })).toEqual([]);
    expect(pythonStringTuple(assignments, 'MESSAGE_KINDS')).toEqual([...MESSAGE_KIND_NAMES]);
  });

  it('has the presence events and hub event codes of PresenceEvent and HubEventCode', () => {
    const lowerCased = (table: Table): [number, string][] => Object.entries(table).map(([name, code]) => [code, name.toLowerCase()]);
    const byCode = (entries: [number, string][]): [number, string][] => [...entries].sort((a, b) => a[0] - b[0]);
    expect(byCode(pythonIntToStringDict(assignments, 'PRESENCE_EVENTS'))).toEqual(byCode(lowerCased(PresenceEvent)));
    expect(byCode(pythonIntToStringDict(assignments, 'HUB_EVENTS'))).toEqual(byCode(lowerCased(HubEventCode)));
  });

  it('has every error code under its name (ERROR_NAMES) and the same fatal ones (FATAL_ERRORS)', () => {
    const names = pythonIntToStringDict(assignments, 'ERROR_NAMES');
    expect(Object.fromEntries(names)).toEqual(ERROR_NAMES);
    expect(sortedNumbers(pythonIntFrozenset(assignments, 'FATAL_ERRORS'))).toEqual(sortedNumbers(FATAL_ERRORS));
  });
});

describe('the extraction itself', () => {
  it('evaluates the integer forms the sources use and refuses others', () => {
    expect(evaluateInteger('(-1)', 't')).toBe(-1);
    expect(evaluateInteger('0x31', 't')).toBe(0x31);
    expect(evaluateInteger('527u', 't')).toBe(527);
    expect(evaluateInteger('(1u << 20)', 't')).toBe(1 << 20);
    expect(evaluateInteger('16 * 1024 * 1024 + 527 + 4', 't')).toBe(16 * 1024 * 1024 + 531);
    expect(evaluateInteger('0xFFFFFFFF', 't')).toBe(0xffffffff);
    expect(() => evaluateInteger('SOME_MACRO + 1', 't')).toThrow(/cannot evaluate/);
    expect(() => evaluateInteger('', 't')).toThrow(/cannot evaluate/);
  });

  it('reports a differing value, a missing constant, an unknown one and an empty extraction', () => {
    const table = { A: 1, B: 2 };
    expect(
      differences(
        'x',
        new Map([
          ['A', 1],
          ['B', 2],
        ]),
        table,
        { complete: true },
      ),
    ).toEqual([]);
    expect(
      differences(
        'x',
        new Map([
          ['A', 1],
          ['B', 3],
        ]),
        table,
      ),
    ).toEqual(['x: B = 3, protocol.ts says 2']);
    expect(differences('x', new Map([['A', 1]]), table, { complete: true })).toEqual(['x: B (2 in protocol.ts) not found']);
    expect(differences('x', new Map([['A', 1]]), table, { required: ['B'] })).toEqual(['x: B (2 in protocol.ts) not found']);
    expect(
      differences(
        'x',
        new Map([
          ['A', 1],
          ['C', 3],
        ]),
        table,
      ),
    ).toEqual(['x: C = 3 is not in protocol.ts']);
    expect(differences('x', new Map(), table)).toEqual(['x: found no constants at all']);
  });

  it('reads #defines and enum members of C, with implicit enum values', () => {
    const parsed = parseC('sample.c', '#define RS_A 0x02 /* c */\nenum { RS_B = 5, RS_C, RS_D = (1u << 3) };\n#define RS_F(x) x\n// #define RS_G 9\n');
    expect(Object.fromEntries(withPrefix(parsed, 'RS_'))).toEqual({ A: 2, B: 5, C: 6, D: 8 });
  });
});
