import { execFileSync, type SpawnOptions } from 'node:child_process';
import * as path from 'node:path';
import type { Cleanup } from '../../support/cleanup';
import { spawnTracked, type ChildResult, type TrackedChild } from '../../support/processes';
import { waitUntil } from '../../support/waitUntil';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

function commandWorks(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The C tests need `cc` and `make`; valgrind is optional. */
export const hasCCompiler = commandWorks('cc', ['--version']) && commandWorks('make', ['--version']);
export const hasValgrind = commandWorks('valgrind', ['--version']);

/**
 * Builds the C client and the programs of `makeDirs` (the C test programs, the examples) into
 * `buildDir` with their Makefiles, which compile with -std=c99 -Wall -Wextra -Werror -pedantic.
 * `cflags` replaces the Makefiles' own CFLAGS (e.g. a sanitizer build). Returns make's output.
 */
export function buildCPrograms(buildDir: string, makeDirs: readonly string[] = ['test/clients/c', 'examples/c'], cflags?: string): string {
  const variables = [`BUILD_DIR=${buildDir}`, ...(cflags === undefined ? [] : [`CFLAGS=${cflags}`])];
  return makeDirs.map((dir) => execFileSync('make', ['-C', path.join(REPO_ROOT, dir), ...variables], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).join('');
}

/** The environment for a C program: no RELAYSCOPE_* from the user's shell, plus `extra`. */
export function cEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RELAYSCOPE_')));
  return { ...inherited, ...extra };
}

/** Programs whose output is complete ('close' comes after stdout and stderr are drained). */
const finishedPrograms = new WeakSet<TrackedChild>();

/** Starts a program, killed at cleanup if it is still running. */
export function startProgram(cleanup: Cleanup, command: string, args: string[], options: SpawnOptions = {}): TrackedChild {
  const program = spawnTracked(cleanup, command, args, { env: cEnvironment(), ...options });
  void program.exited.then(() => finishedPrograms.add(program));
  return program;
}

/** Waits for the process to exit, failing with its output after `timeoutMs`. */
export async function waitForExit(program: TrackedChild, timeoutMs = 15_000): Promise<ChildResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${program.child.spawnargs.join(' ')} still running after ${timeoutMs} ms\nstdout: ${program.stdout()}\nstderr: ${program.stderr()}`)), timeoutMs);
  });
  try {
    return await Promise.race([program.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until a complete stdout line satisfies `match` (a whole line or a pattern); fails with the output. */
export async function waitForLine(program: TrackedChild, match: string | RegExp, timeoutMs = 10_000): Promise<string> {
  const command = program.child.spawnargs.join(' ');
  const matches = (line: string): boolean => (typeof match === 'string' ? line === match : match.test(line));
  try {
    return await waitUntil(
      () => {
        const text = program.stdout();
        const line = lines(text.slice(0, text.lastIndexOf('\n') + 1)).find(matches);
        if (line !== undefined) return line;
        if (finishedPrograms.has(program)) throw new Error(`${command} exited before printing ${String(match)}`);
        return undefined;
      },
      `${String(match)} from ${command}`,
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\nstdout: ${program.stdout()}\nstderr: ${program.stderr()}`);
  }
}

/** Stdout as lines, without the empty string after the last newline. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line, index, all) => index < all.length - 1 || line !== '');
}
