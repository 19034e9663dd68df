import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlagValues, parseCommandArgs, UsageError, wantsHelp } from './args';
import { findCommandSpec } from './commandSpecs';
import { commandHelp, overviewHelp } from './help';
import { stopOnBrokenPipe, flushOutput, writeOut } from './io';
import { report } from './report';

type Runner = (flags: FlagValues) => Promise<number>;

// Each command's module is required only when that command runs: the hub, the browser mode's server
// (ws, http) and the capture formats cost tens of milliseconds to load, which --help, list or send
// should not pay (README, "The CLI": it answers in well under 300 ms).
const RUNNERS: Record<string, Runner> = {
  hub: async (flags) => (await import('./hubCommand')).runHub(flags),
  send: async (flags) => (await import('./clientCommands')).runSend(flags),
  broadcast: async (flags) => (await import('./clientCommands')).runBroadcast(flags),
  request: async (flags) => (await import('./clientCommands')).runRequest(flags),
  listen: async (flags) => (await import('./clientCommands')).runListen(flags),
  monitor: async (flags) => (await import('./clientCommands')).runMonitor(flags),
  list: async (flags) => (await import('./clientCommands')).runList(flags),
  serve: async (flags) => (await import('../serve/serveCommand')).runServe(flags),
  tap: async (flags) => (await import('./tapCommand')).runTap(flags),
  record: async (flags) => (await import('./recordCommand')).runRecord(flags),
  replay: async (flags) => (await import('./replayCommand')).runReplay(flags),
  convert: async (flags) => (await import('./convertCommand')).runConvert(flags),
  socket: async (flags) => (await import('./socketCommand')).runSocket(flags),
  completion: async (flags) => (await import('./completion')).runCompletion(flags),
};

/** Entry point of bin/relayscope.js: runs one command and exits with 0 (ok), 1 (runtime error) or 2 (usage error). */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  stopOnBrokenPipe();
  let exitCode: number;
  try {
    exitCode = await run(argv);
  } catch (err) {
    exitCode = report(err);
  }
  await flushOutput();
  // Explicit, so a stray handle (a timer, a half-closed socket) never keeps a finished command alive.
  process.exit(exitCode);
}

async function run(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('no command given', null);
  if (first === '--help' || first === '-h') {
    writeOut(overviewHelp());
    return 0;
  }
  if (first === '--version') {
    writeOut(`${packageVersion()}\n`);
    return 0;
  }
  if (first === 'help') return showHelp(rest);
  const spec = findCommandSpec(first);
  if (spec === undefined) throw new UsageError(first.startsWith('-') ? `unknown flag ${first}` : `unknown command "${first}"`, null);
  if (wantsHelp(rest)) {
    writeOut(commandHelp(spec));
    return 0;
  }
  return RUNNERS[spec.name](new FlagValues(spec.name, parseCommandArgs(spec, rest)));
}

function showHelp(args: readonly string[]): number {
  if (args.length === 0) {
    writeOut(overviewHelp());
    return 0;
  }
  if (args.length > 1) throw new UsageError('help takes one command name', null);
  const spec = findCommandSpec(args[0]);
  if (spec === undefined) throw new UsageError(`unknown command "${args[0]}"`, null);
  writeOut(commandHelp(spec));
  return 0;
}

/** The version in package.json, found by walking up from this file (it runs from dist/electron/cli). */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) return (JSON.parse(fs.readFileSync(candidate, 'utf8')) as { version: string }).version;
    if (path.dirname(dir) === dir) return 'unknown';
  }
}
