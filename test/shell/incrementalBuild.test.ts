import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * The committed sources in a directory of their own (so the builds here neither race the other tests'
 * dist/ nor build anyone's half-made edits), with this checkout's build scripts, vite.config.mts and node_modules.
 */
function makeProject(dir: string): string {
  const project = path.join(dir, 'project');
  fs.mkdirSync(project);
  const archive = execFileSync('git', ['archive', 'HEAD'], { cwd: REPO_ROOT, maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', project], { input: archive });
  for (const file of ['scripts/incrementalBuild.js', 'scripts/buildNative.js', 'vite.config.mts']) fs.copyFileSync(path.join(REPO_ROOT, file), path.join(project, file));
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(project, 'node_modules'));
  return project;
}

/** Runs npm start's build in `project`; resolves with its output and how long it took. */
function build(project: string): { stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const result = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(project, 'scripts', 'incrementalBuild.js'))}).build()`], { cwd: project, encoding: 'utf8' });
  const ms = Date.now() - started;
  if (result.status !== 0) throw new Error(`the build failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr, ms };
}

/** Sets a file's mtime a second ahead, as an editor's save would, without changing it. */
function touch(file: string): void {
  const later = new Date(Date.now() + 1000);
  fs.utimesSync(file, later, later);
}

describe("npm start's build (scripts/incrementalBuild.js)", () => {
  let dir: string;
  let project: string;
  const mtime = (file: string): number => fs.statSync(path.join(project, file)).mtimeMs;
  const CLI = 'dist/electron/cli/main.js';
  const BUNDLE = 'dist/renderer/index.html';

  beforeAll(() => {
    dir = makeTempDir();
    project = makeProject(dir);
    // The first build has nothing to reuse: every step runs.
    const first = build(project);
    expect(first.stdout).toBe('');
    expect(first.stderr).toBe('');
  }, 180_000);
  afterAll(() => removeTempDir(dir));

  it('with nothing changed, runs no step, rewrites nothing and takes well under 3 s', () => {
    const before = [mtime(CLI), mtime(BUNDLE), mtime('build/Release/abstract_socket.node')];
    const again = build(project);
    expect(again).toMatchObject({ stdout: '', stderr: '' });
    expect(again.ms).toBeLessThan(3000);
    expect([mtime(CLI), mtime(BUNDLE), mtime('build/Release/abstract_socket.node')]).toEqual(before);
  }, 60_000);

  it('after a renderer source changes, bundles the renderer again and leaves the main process output alone', () => {
    const cliBefore = mtime(CLI);
    const bundleBefore = mtime(BUNDLE);
    touch(path.join(project, 'renderer', 'src', 'main.tsx'));
    expect(build(project)).toMatchObject({ stdout: '', stderr: '' });
    expect(mtime(BUNDLE)).toBeGreaterThan(bundleBefore);
    expect(mtime(CLI)).toBe(cliBefore);
  }, 120_000);

  it('after a main-process source changes, emits that file again and does not bundle the renderer', () => {
    const bundleBefore = mtime(BUNDLE);
    const source = path.join(project, 'electron', 'cli', 'main.ts');
    fs.appendFileSync(source, '\n// changed by the incremental build test\n');
    expect(build(project)).toMatchObject({ stdout: '', stderr: '' });
    expect(fs.readFileSync(path.join(project, CLI), 'utf8')).toContain('// changed by the incremental build test');
    expect(mtime(BUNDLE)).toBe(bundleBefore);
  }, 120_000);

  it('builds afresh when dist/ was deleted, though its .tsbuildinfo would say nothing changed', () => {
    fs.rmSync(path.join(project, 'dist', 'electron'), { recursive: true });
    expect(build(project)).toMatchObject({ stdout: '', stderr: '' });
    expect(fs.existsSync(path.join(project, CLI))).toBe(true);
  }, 120_000);
});
