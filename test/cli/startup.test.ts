/**
 * The CLI answers at once: --version prints package.json's version, and --help and list load only
 * what they need — not the hub, the browser mode's server (ws, http), the bridge or the capture
 * formats, which the commands that use them load on demand (electron/cli/main.ts, RUNNERS).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliProcesses, ensureFreshBuild } from '../support/cliProcess';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO_ROOT, 'bin', 'relayscope.js');
/** Modules a quick command must not load: each costs milliseconds at every start. */
const HEAVY = /dist\/electron\/(hub\/RelayHub|serve\/|bridge\/|capture\/)|node_modules\/(ws|@mcap)\//;

describe('CLI start-up', () => {
  let dir: string;
  let hook: string;
  const cli = new CliProcesses();

  beforeAll(async () => {
    await ensureFreshBuild();
    dir = makeTempDir();
    hook = path.join(dir, 'loaded.js');
    // Preloaded with --require: writes every module the command loaded to $LOADED_OUT when it exits.
    fs.writeFileSync(hook, "process.on('exit', () => require('fs').writeFileSync(process.env.LOADED_OUT, JSON.stringify(Object.keys(require.cache))));\n");
  }, 180_000);

  afterAll(async () => {
    await cli.stopAll();
    removeTempDir(dir);
  });

  /** Runs the CLI in a child with the hook; returns the loaded module paths and the exit status. */
  function loadedBy(args: string[]): { modules: string[]; status: number | null; stdout: string } {
    const out = path.join(dir, `loaded-${args[0].replace(/\W/g, '')}.json`);
    const result = spawnSync(process.execPath, ['--require', hook, CLI, ...args], { env: { ...process.env, LOADED_OUT: out }, encoding: 'utf8' });
    return { modules: JSON.parse(fs.readFileSync(out, 'utf8')) as string[], status: result.status, stdout: result.stdout };
  }

  it('--version prints the version in package.json', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await cli.run(['--version']);
    expect(result.exit.code).toBe(0);
    expect(result.stdout).toBe(`${version}\n`);
  });

  it('--help loads none of the hub, the browser mode, the bridge or the capture modules', () => {
    const { modules, status, stdout } = loadedBy(['--help']);
    expect(status).toBe(0);
    expect(stdout).toContain('Commands:');
    expect(modules.filter((file) => HEAVY.test(file))).toEqual([]);
  });

  it('list against a running hub loads the client, not the hub or the browser mode', async () => {
    const socket = path.join(dir, 'hub.sock');
    const hub = cli.start(['hub', '--socket', socket]);
    await hub.waitForStdout(`relayscope hub listening on ${socket}`);
    const { modules, status, stdout } = loadedBy(['list', '--socket', socket]);
    expect(status).toBe(0);
    expect(stdout).toContain('no modules are connected');
    expect(modules.some((file) => file.endsWith(path.join('dist', 'electron', 'client', 'RelayClient.js')))).toBe(true);
    expect(modules.filter((file) => HEAVY.test(file))).toEqual([]);
  });
});
