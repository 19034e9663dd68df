import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const TSCONFIG = path.join(REPO_ROOT, 'tsconfig.json');
const TSC = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
/** What `relayscope serve` and the CLI need that only the full build makes (the renderer bundle). */
const FULL_BUILD_MARKERS = [path.join(REPO_ROOT, 'dist', 'electron', 'cli', 'main.js'), path.join(REPO_ROOT, 'dist', 'renderer', 'index.html')];
/** One build at a time per work tree, across vitest's forks and concurrent runs. */
const LOCK_DIR = path.join(os.tmpdir(), `relayscope-build-${Buffer.from(REPO_ROOT).toString('hex').slice(-48)}.lock`);

function mtimeMs(file: string): number | null {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/**
 * The sources of tsconfig.json (the Node build: electron/, bench/) whose .js in dist/ is missing or
 * older than the source or than tsconfig.json. tsc rewrites every output on each build, so after a
 * build every output is newer than every source that has not been edited since. `editedBefore`:
 * consider only the sources last modified before that time (ms since the epoch).
 */
export function staleOutputs(editedBefore = Infinity): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(TSCONFIG, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (parsed === undefined) throw new Error(`could not read ${TSCONFIG}`);
  const configTime = mtimeMs(TSCONFIG) ?? Infinity;
  const stale: string[] = [];
  for (const source of parsed.fileNames) {
    if (source.endsWith('.d.ts')) continue;
    const output = ts.getOutputFileNames(parsed, source, false).find((file) => file.endsWith('.js'));
    if (output === undefined) throw new Error(`tsc would emit no .js for ${source}`);
    const sourceTime = mtimeMs(source) ?? Infinity;
    const outputTime = mtimeMs(output);
    if (sourceTime >= editedBefore) continue;
    if (outputTime === null || outputTime < Math.max(configTime, sourceTime)) stale.push(path.relative(REPO_ROOT, source));
  }
  if (parsed.fileNames.length === 0) throw new Error(`${TSCONFIG} includes no sources`);
  return stale;
}

function ownerAlive(): boolean {
  try {
    const pid = Number(fs.readFileSync(path.join(LOCK_DIR, 'pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // No pid file yet: the owner is between mkdir and writing it.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function withBuildLock<T>(work: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(LOCK_DIR);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!ownerAlive()) {
        fs.rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for another build (lock ${LOCK_DIR})`);
      // Polling a lock another process holds: there is no event to wait for.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    fs.writeFileSync(path.join(LOCK_DIR, 'pid'), String(process.pid));
    return await work();
  } finally {
    fs.rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

function runTsc(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [TSC, '-p', TSCONFIG], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      // Exit status 2: type errors, outputs written anyway (tsconfig.json has no noEmitOnError), so
      // dist/ is the current source; the errors are the build's and npm test's to fail on.
      if (error === null) resolve();
      else if (error.code === 2) {
        process.stderr.write(`ensureFreshBuild: tsc reported type errors; testing the emitted current sources\n${stdout}`);
        resolve();
      } else reject(new Error(`tsc -p tsconfig.json failed (${String(error.code ?? error.signal)}):\n${stdout}`));
    });
  });
}

/**
 * Makes dist/ match the sources before tests run the built CLI (bin/relayscope.js → dist/): the full
 * `npm run build` when dist/ has not been built, else `tsc -p tsconfig.json` when any Node source is
 * newer than its output. Call it from beforeAll (with a timeout for the build) in every test file that
 * runs the CLI. When nothing changed it costs only the mtime check.
 */
export async function ensureFreshBuild(timeoutMs = 170_000): Promise<void> {
  const needsFullBuild = (): boolean => FULL_BUILD_MARKERS.some((file) => !fs.existsSync(file));
  if (!needsFullBuild() && staleOutputs().length === 0) return;
  await withBuildLock(async () => {
    // Another fork may have built while this one waited for the lock.
    const buildStart = Date.now();
    if (needsFullBuild()) execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
    else if (staleOutputs().length > 0) await runTsc();
    // A source edited while tsc ran is the next run's concern; one edited before must be built now.
    const stale = staleOutputs(buildStart);
    if (stale.length > 0) throw new Error(`dist/ is still older than ${stale.join(', ')} after the build`);
  }, timeoutMs);
}
