import type { CommandSpec } from './args';
import { COMMAND_SPECS } from './commandSpecs';

export function overviewHelp(): string {
  const width = Math.max(...COMMAND_SPECS.map((spec) => spec.name.length));
  return [
    'relayscope: a relay hub for local IPC, and command-line modules that talk through it',
    '',
    'Usage: relayscope <command> [flags]',
    '',
    'Commands:',
    ...COMMAND_SPECS.map((spec) => `  ${spec.name.padEnd(width)}  ${spec.summary}`),
    `  ${'help'.padEnd(width)}  show help for a command (relayscope help <command>)`,
    '',
    'Run "relayscope <command> --help" for its flags. "relayscope --version" prints the version.',
    'Exit codes: 0 success, 1 runtime error, 2 usage error.',
    '',
  ].join('\n');
}

export function commandHelp(spec: CommandSpec): string {
  const flags = Object.entries(spec.flags).map(([name, flag]) => {
    const value = flag.type === 'string' ? ` ${flag.valueName ?? 'VALUE'}` : '';
    return [`--${name}${value}`, flag.description];
  });
  const rows = spec.positional ? [[spec.positional.name, spec.positional.description], ...flags] : flags;
  const width = Math.max(...rows.map(([left]) => left.length));
  return [
    `Usage: relayscope ${spec.name} ${spec.synopsis}`.trimEnd(),
    '',
    `${spec.summary[0].toUpperCase()}${spec.summary.slice(1)}.`,
    '',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
    ...(spec.notes ?? []).flatMap((note) => ['', note]),
    '',
  ].join('\n');
}
