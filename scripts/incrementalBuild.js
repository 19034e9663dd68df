// The build npm start runs: each step of `npm run build` (native helper, tsc for the main process and
// the CLI, the renderer's type check, vite build) runs only when one of its inputs is newer than what
// it last produced, so a start with nothing changed costs a walk over the sources' mtimes. tsc runs
// incrementally (its .tsbuildinfo in dist/, so deleting dist/ starts afresh) and re-emits only what
// changed; `npm run build` stays a full build, the one CI and the tests' freshBuild rely on.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const projectDir = path.join(__dirname, '..');
const at = (...parts) => path.join(projectDir, ...parts);
const BUILD_INFO_DIR = at('dist', '.tsbuildinfo');

/** The newest mtime under `paths` (files, or directories walked recursively); Infinity for a missing path. */
function newestMtime(paths) {
  let newest = 0;
  const visit = (file) => {
    let stat;
    try {
      stat = fs.statSync(file);
    } catch {
      newest = Infinity;
      return;
    }
    if (stat.isDirectory()) for (const entry of fs.readdirSync(file)) visit(path.join(file, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const file of paths) visit(file);
  return newest;
}

function mtimeMs(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/** Runs one step; throws with the command and why it failed (its own output has reached the terminal). */
function run(command, args) {
  const result = spawnSync(command, args, { cwd: projectDir, stdio: 'inherit' });
  if (result.status !== 0) {
    const why = result.error ? result.error.message : result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`;
    throw new Error(`"${[path.basename(command), ...args].join(' ')}" failed (${why})`);
  }
}

/**
 * A tsc project, incremental. `inputs`: what it reads; `outputs`: files it must have produced (when
 * one is missing, its .tsbuildinfo is thrown away, since tsc trusts it over what is on disk). The
 * .tsbuildinfo is touched after each success: tsc does not rewrite it when no file's content changed.
 */
function tscStep(name, config, inputs, outputs) {
  const buildInfo = path.join(BUILD_INFO_DIR, `${name}.tsbuildinfo`);
  if (outputs.some((file) => mtimeMs(file) === null)) fs.rmSync(buildInfo, { force: true });
  const builtAt = mtimeMs(buildInfo);
  if (builtAt !== null && newestMtime([...inputs, config, at('package.json')]) < builtAt) return;
  run(process.execPath, [at('node_modules', 'typescript', 'bin', 'tsc'), '-p', config, '--incremental', '--tsBuildInfoFile', buildInfo]);
  const now = new Date();
  fs.utimesSync(buildInfo, now, now);
}

function build() {
  run(process.execPath, [at('scripts', 'buildNative.js')]);
  tscStep('main', at('tsconfig.json'), [at('electron'), at('bench')], [at('dist', 'electron', 'shell', 'main.js'), at('dist', 'electron', 'cli', 'main.js')]);
  const rendererInputs = [at('renderer'), at('electron', 'bridge', 'contract.ts')];
  tscStep('renderer', at('tsconfig.renderer.json'), rendererInputs, []);
  const bundle = at('dist', 'renderer', 'index.html');
  const bundledAt = mtimeMs(bundle);
  if (bundledAt === null || newestMtime([...rendererInputs, at('vite.config.mts'), at('package.json')]) >= bundledAt) {
    run(process.execPath, [at('node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn']);
  }
}

module.exports = { build };
