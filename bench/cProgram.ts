/**
 * The C programs of the bench (bench/c/*.c): compiled into the bench's temp dir with the flags the
 * bench prints, and run for one JSON line each. A missing compiler or library is a reason to skip
 * that part of the bench, never a failure; any other compiler error is a failure.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CC_FLAGS = ['-O2', '-Wall', '-Wextra', '-Werror'];

/** bench/c/NAME.c, from the source tree (the bench runs from dist/bench, the tests from bench/). */
export function cSource(name: string): string {
  const fromDist = path.join(__dirname, '..', '..', 'bench', 'c', `${name}.c`);
  return fs.existsSync(fromDist) ? fromDist : path.join(__dirname, 'c', `${name}.c`);
}

export type Compiled = { binary: string; command: string } | { skipped: string };

/**
 * Compiles bench/c/NAME.c into dir. `libs` come after the source (-lnats, pkg-config output);
 * `missing` names what to install when the compiler or linker cannot find a header or library.
 */
export function compileC(name: string, dir: string, options: { std: string; libs?: string[]; missing?: string }): Compiled {
  const compiler = process.env.CC || 'cc';
  const binary = path.join(dir, name);
  const flags = [...CC_FLAGS, `-std=${options.std}`];
  const args = [...flags, '-o', binary, cSource(name), ...(options.libs ?? [])];
  const command = `${compiler} ${flags.join(' ')} ${options.libs?.join(' ') ?? ''}`.trim();
  const result = spawnSync(compiler, args, { encoding: 'utf8' });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return { skipped: `no C compiler: "${compiler}" was not found (set CC to use another)` };
  if (result.error) throw result.error;
  if (result.status !== 0) {
    if (options.missing && /No such file or directory|cannot find -l/.test(result.stderr)) return { skipped: `${options.missing} is not installed (${result.stderr.trim().split('\n')[0]})` };
    throw new Error(`${compiler} ${args.join(' ')} failed:\n${result.stderr}`);
  }
  return { binary, command };
}

/** `pkg-config --cflags --libs PACKAGE`, split; null when pkg-config or the package is missing. */
export function pkgConfig(pkg: string): string[] | null {
  const result = spawnSync('pkg-config', ['--cflags', '--libs', pkg], { encoding: 'utf8' });
  if (result.error || result.status !== 0) return null;
  return result.stdout.trim().split(/\s+/).filter(Boolean);
}

/** Runs a bench program that prints one JSON line last; bounded by timeoutMs. */
export function runJsonLine<T>(binary: string, args: string[], timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${path.basename(binary)} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
    });
  });
}

/** Debian installs daemons in /usr/sbin, which is not on an ordinary user's PATH. */
export function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}
