/** `relayscope list` counts from each module's side: what a module sent is SENT, what it was delivered RECEIVED. */
import * as path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CliProcesses, ensureFreshBuild } from '../support/cliProcess';
import { makeTempDir, removeTempDir } from '../support/tempDir';

describe('relayscope list columns', () => {
  let dir: string;
  let socket: string;
  let cli: CliProcesses;

  beforeAll(() => ensureFreshBuild(), 180_000);

  beforeEach(() => {
    dir = makeTempDir();
    socket = path.join(dir, 'hub.sock');
    cli = new CliProcesses();
  });

  afterEach(async () => {
    await cli.stopAll();
    removeTempDir(dir);
  });

  it('shows a module that received one 5-byte message as RECEIVED 1 and SENT 0, and --help says so', async () => {
    const hub = cli.start(['hub', '--socket', socket]);
    await hub.waitForStdout(`relayscope hub listening on ${socket}`);
    const b = cli.start(['listen', '--socket', socket, '--as', 'B']);
    await b.waitForStderr(/^relayscope: listening as B/);
    expect((await cli.run(['send', '--socket', socket, '--as', 'C', '--to', 'B', 'hello'])).exit.code).toBe(0);
    await b.waitForStdout('C: hello');

    const list = await cli.run(['list', '--socket', socket]);
    expect(list.exit.code).toBe(0);
    const [header, ...rows] = list.stdout.trimEnd().split('\n');
    const columns = header.split(/\s{2,}/);
    expect(columns).toEqual(['ID', 'TRANSPORT', 'CONNECTED', 'SENT', 'RECEIVED', 'BYTES SENT', 'BYTES RECEIVED', 'ERRORS', 'DROPS', 'QUEUED', 'MSG/S SENT/RECEIVED', 'PID', 'UID', 'COMMAND']);
    const cells = (id: string): Record<string, string> => {
      const row = rows.find((line) => line.startsWith(`${id} `));
      if (row === undefined) throw new Error(`no row for ${id} in\n${list.stdout}`);
      const values = row.split(/\s{2,}/);
      return Object.fromEntries(columns.map((column, i) => [column, values[i]]));
    };
    expect(cells('B')).toMatchObject({ SENT: '0', RECEIVED: '1', 'BYTES SENT': '0 B', 'BYTES RECEIVED': '5 B' });

    const help = await cli.run(['list', '--help']);
    expect(help.stdout).toContain("Counts are from each module's side");
    expect(help.stdout).toContain('a module that received one message shows RECEIVED 1');
  });
});
