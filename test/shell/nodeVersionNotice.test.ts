import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(REPO_ROOT, 'scripts', 'nodeVersionNotice.js');

/** A copy of the script in a project whose node_modules/electron declares `engines`. */
function projectWithElectron(dir: string, engines: Record<string, string> | undefined): string {
  fs.mkdirSync(path.join(dir, 'scripts'));
  fs.copyFileSync(SCRIPT, path.join(dir, 'scripts', 'nodeVersionNotice.js'));
  fs.mkdirSync(path.join(dir, 'node_modules', 'electron'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'node_modules', 'electron', 'package.json'), JSON.stringify({ name: 'electron', version: '99.1.0', engines }));
  return path.join(dir, 'scripts', 'nodeVersionNotice.js');
}

function run(script: string): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

const [major, minor, patch] = process.versions.node.split('.').map(Number);

describe('the Node version notice npm install prints (scripts/nodeVersionNotice.js)', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeTempDir(dir));

  it('names the installed Electron, the Node it declares and what needs it, when this Node is older', () => {
    const script = projectWithElectron(dir, { node: `>= ${major}.${minor}.${patch + 1}` });
    const result = run(script);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `relayscope: Node ${process.versions.node} runs the hub, the CLI, the clients and the tests. Electron 99.1.0 and electron-builder declare Node >=${major}.${minor}.${patch + 1} (the EBADENGINE lines above): for \`npm start\`'s desktop window and \`npm run dist\`, use Node ${major}.${minor}.${patch + 1} or later.\n`,
    );
  });

  it('prints nothing on a Node that satisfies it, or when Electron declares no engines or is not installed', () => {
    expect(run(projectWithElectron(dir, { node: `>= ${major}.${minor}.${patch}` }))).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(run(projectWithElectron(makeTempDirIn(dir, 'b'), undefined))).toEqual({ stdout: '', stderr: '', status: 0 });
    fs.rmSync(path.join(dir, 'node_modules'), { recursive: true });
    expect(run(path.join(dir, 'scripts', 'nodeVersionNotice.js'))).toEqual({ stdout: '', stderr: '', status: 0 });
  });

  it('agrees with the Electron this checkout installed', () => {
    const electron = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string; engines?: { node?: string } };
    const minimum = (electron.engines?.node ?? '')
      .match(/(\d+)\.(\d+)\.(\d+)/)
      ?.slice(1)
      .map(Number) ?? [0, 0, 0];
    const older = major !== minimum[0] ? major < minimum[0] : minor !== minimum[1] ? minor < minimum[1] : patch < minimum[2];
    const { stderr } = run(SCRIPT);
    if (older) expect(stderr).toContain(`Electron ${electron.version} and electron-builder declare Node >=${minimum.join('.')}`);
    else expect(stderr).toBe('');
  });
});

function makeTempDirIn(parent: string, name: string): string {
  const dir = path.join(parent, name);
  fs.mkdirSync(dir);
  return dir;
}
