/**
 * Who is behind each Unix-socket connection: pid, uid, gid by SO_PEERCRED and the executable and
 * command line from /proc, in STATS (relayscope list, text and JSON) and in the monitor's join events.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ModuleInfo } from '../../electron/hub';
import { CliProcesses, ensureFreshBuild } from '../support/cliProcess';
import { makeTempDir, removeTempDir, uniqueSuffix } from '../support/tempDir';

const cli = new CliProcesses();
let dir = '';

beforeAll(async () => {
  await ensureFreshBuild();
}, 180_000);

afterEach(async () => {
  await cli.stopAll();
  if (dir !== '') removeTempDir(dir);
});

describe('peer identity', () => {
  it('gives the pid, uid, gid, exe and cmdline of the connecting process on a path and on an @name, in list and in join events', async () => {
    dir = makeTempDir('rs-peer-');
    const socket = path.join(dir, 'hub.sock');
    const abstract = `@rs-peer-${uniqueSuffix()}`;
    const hub = cli.start(['hub', '--socket', socket, '--socket', abstract]);
    await hub.waitForStdout(`relayscope hub listening on ${abstract}`);
    const monitor = cli.start(['monitor', '--socket', socket, '--format', 'json']);
    await monitor.waitForStderr(/^relayscope: monitoring /);

    const onPath = cli.start(['listen', '--socket', socket, '--as', 'on-path']);
    const onName = cli.start(['listen', '--socket', abstract, '--as', 'on-name']);
    await onPath.waitForStderr(/^relayscope: listening as on-path/);
    await onName.waitForStderr(/^relayscope: listening as on-name/);

    const json = await cli.run(['list', '--socket', socket, '--format', 'json']);
    expect(json.exit.code).toBe(0);
    const modules = (JSON.parse(json.stdout) as { modules: ModuleInfo[] }).modules;
    const node = fs.realpathSync(process.execPath);
    for (const [id, child, transport, address] of [
      ['on-path', onPath, 'unix', socket],
      ['on-name', onName, 'abstract', abstract],
    ] as const) {
      const info = modules.find((module) => module.id === id);
      expect(info).toMatchObject({ transport, pid: child.pid, uid: process.getuid?.(), gid: process.getgid?.(), exe: node });
      expect(info?.cmdline?.slice(-5)).toEqual(['listen', '--socket', address, '--as', id]);
      expect(info?.framing).toBeUndefined();
    }

    const text = await cli.run(['list', '--socket', socket]);
    const [header, ...rows] = text.stdout.trimEnd().split('\n');
    const columns = header.split(/\s{2,}/);
    const row = rows.find((line) => line.startsWith('on-name '));
    const cells = Object.fromEntries(columns.map((column, i) => [column, row?.split(/\s{2,}/)[i]]));
    expect(cells).toMatchObject({ TRANSPORT: 'abstract', PID: String(onName.pid), UID: String(process.getuid?.()) });
    // The column is cut to its width, so only its start is certain: the command line from its first word.
    expect(cells.COMMAND?.startsWith(`${process.execPath} `)).toBe(true);

    const join = await monitor.waitForStdout(/"event":"join","id":"on-name"/);
    const detail = JSON.parse((JSON.parse(join) as { detail: string }).detail) as Record<string, unknown>;
    expect(detail).toMatchObject({ pid: onName.pid, uid: process.getuid?.(), exe: node });
  }, 30_000);
});
