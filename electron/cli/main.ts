import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlagValues, parseCommandArgs, UsageError, wantsHelp } from './args';
import { errorMessage, runBroadcast, runList, runListen, runMonitor, runRequest, runSend } from './clientCommands';
import { findCommandSpec } from './commandSpecs';
import { commandHelp, overviewHelp } from './help';
import { runHub } from './hubCommand';
import { runRecord } from './recordCommand';
import { runReplay } from './replayCommand';
import { runConvert } from './convertCommand';
import { runServe } from '../serve/serveCommand';
import { exitQuietlyOnBrokenPipe, flushOutput, note, writeOut } from './io';

const RUNNERS: Record<string, (flags: FlagValues) => Promise<number>> = {
  hub: runHub,
  send: runSend,
  broadcast: runBroadcast,
  request: runRequest,
  listen: runListen,
  monitor: runMonitor,
  list: runList,
  serve: runServe,
  record: runRecord,
  replay: runReplay,
  convert: runConvert,
};

/** Entry point of bin/relayscope.js: runs one command and exits with 0 (ok), 1 (runtime error) or 2 (usage error). */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  exitQuietlyOnBrokenPipe();
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

/** Prints the one-line error and returns the exit code for it. */
function report(err: unknown): number {
  if (err instanceof UsageError) {
    note(`${err.message}; see relayscope ${err.command === null ? '' : `${err.command} `}--help`);
    return 2;
  }
  note(errorMessage(err));
  return 1;
}

/** The version in package.json, found by walking up from this file (it runs from dist/electron/cli). */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) return (JSON.parse(fs.readFileSync(candidate, 'utf8')) as { version: string }).version;
    if (path.dirname(dir) === dir) return 'unknown';
  }
}
