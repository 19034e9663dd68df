/** `relayscope socket` prints the address every command uses without --socket. */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliProcesses, ensureFreshBuild } from '../support/cliProcess';
import { makeTempDir, removeTempDir } from '../support/tempDir';

describe('relayscope socket', () => {
  const cli = new CliProcesses();
  let dir: string;

  beforeAll(async () => {
    await ensureFreshBuild();
    dir = makeTempDir();
  }, 180_000);

  afterAll(async () => {
    await cli.stopAll();
    removeTempDir(dir);
  });

  it('prints $RELAYSCOPE_SOCKET, else $XDG_RUNTIME_DIR/relayscope.sock, else relayscope-$UID in the temporary directory', async () => {
    const uid = process.getuid?.() ?? 0;
    const cases: [Record<string, string>, string][] = [
      [{ RELAYSCOPE_SOCKET: path.join(dir, 'a.sock'), XDG_RUNTIME_DIR: dir }, path.join(dir, 'a.sock')],
      [{ RELAYSCOPE_SOCKET: '@bus' }, '@bus'],
      [{ RELAYSCOPE_SOCKET: 'tcp://127.0.0.1:7777' }, 'tcp://127.0.0.1:7777'],
      [{ XDG_RUNTIME_DIR: dir }, path.join(dir, 'relayscope.sock')],
      [{ XDG_RUNTIME_DIR: '', TMPDIR: dir }, path.join(dir, `relayscope-${uid}`, 'relayscope.sock')],
    ];
    for (const [env, expected] of cases) {
      const result = await cli.run(['socket'], { env });
      expect({ env, code: result.exit.code, stdout: result.stdout }).toEqual({ env, code: 0, stdout: `${expected}\n` });
    }
  });

  it('is the address the hub listens on by default', async () => {
    const env = { XDG_RUNTIME_DIR: dir };
    const printed = (await cli.run(['socket'], { env })).stdout.trim();
    const hub = cli.start(['hub'], { env });
    await hub.waitForStdout(`relayscope hub listening on ${printed}`);
    const list = await cli.run(['list', '--socket', printed]);
    expect(list.exit.code).toBe(0);
  });

  it('refuses a $RELAYSCOPE_SOCKET that is no address, naming it', async () => {
    const result = await cli.run(['socket'], { env: { RELAYSCOPE_SOCKET: 'tcp://nowhere' } });
    expect(result.exit.code).toBe(2);
    expect(result.stderr).toContain('$RELAYSCOPE_SOCKET "tcp://nowhere"');
  });
});
