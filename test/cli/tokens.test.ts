import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CliProcesses, ensureFreshBuild } from '../support/cliProcess';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const TOKEN = 's3cret-token';
const PS_WARNING = 'relayscope: warning: --token shows the token to every user on this machine (ps lists command lines); use --token-file FILE or $RELAYSCOPE_TOKEN instead';

describe('tokens on the command line', () => {
  let dir: string;
  let socket: string;
  let tokenFile: string;
  let cli: CliProcesses;

  beforeAll(() => ensureFreshBuild(), 180_000);

  beforeEach(() => {
    dir = makeTempDir();
    socket = path.join(dir, 'hub.sock');
    tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    cli = new CliProcesses();
  });

  afterEach(async () => {
    await cli.stopAll();
    removeTempDir(dir);
  });

  it('--token-file gives the hub and its clients the token without putting it on any command line', async () => {
    const hub = cli.start(['hub', '--socket', socket, '--token-file', tokenFile]);
    await hub.waitForStdout(`relayscope hub listening on ${socket}`);
    // What every local user can read of the hub process.
    expect(fs.readFileSync(`/proc/${hub.pid}/cmdline`, 'utf8')).not.toContain(TOKEN);
    expect(hub.stderr).toBe('');

    const without = await cli.run(['list', '--socket', socket]);
    expect(without.exit.code).toBe(1);
    expect(without.stderr).toContain('this hub requires a token in HELLO');
    const withFile = await cli.run(['list', '--socket', socket, '--token-file', tokenFile]);
    expect(withFile.stderr).toBe('');
    expect(withFile.exit.code).toBe(0);
    const withEnv = await cli.run(['list', '--socket', socket], { env: { RELAYSCOPE_TOKEN: TOKEN } });
    expect(withEnv.exit.code).toBe(0);
  });

  it('--token still works, with a warning that ps shows it, for the hub and for clients', async () => {
    const hub = cli.start(['hub', '--socket', socket, '--token', TOKEN]);
    await hub.waitForStdout(`relayscope hub listening on ${socket}`);
    expect(hub.stderr.split('\n')).toContain(PS_WARNING);
    const list = await cli.run(['list', '--socket', socket, '--token', TOKEN]);
    expect(list.exit.code).toBe(0);
    expect(list.stderr.split('\n')).toContain(PS_WARNING);
  });

  it('refuses a token file other users can read, saying how to fix it', async () => {
    fs.chmodSync(tokenFile, 0o644);
    const expected = `relayscope: the token file ${tokenFile} has mode 0644: other users can read or change it, so its token is no secret. Run: chmod 600 ${tokenFile}\n`;
    const hub = await cli.run(['hub', '--socket', socket, '--token-file', tokenFile]);
    expect(hub).toMatchObject({ exit: { code: 1 }, stderr: expected });
    expect(fs.existsSync(socket)).toBe(false);
    const send = await cli.run(['send', '--socket', socket, '--token-file', tokenFile, '--as', 'A', '--to', 'B', 'x']);
    expect(send).toMatchObject({ exit: { code: 1 }, stderr: expected });
  });

  it('refuses --token together with --token-file, and an empty token file', async () => {
    const both = await cli.run(['list', '--socket', socket, '--token', TOKEN, '--token-file', tokenFile]);
    expect(both.exit.code).toBe(2);
    expect(both.stderr).toContain('give either --token or --token-file, not both');
    fs.writeFileSync(tokenFile, '\n');
    const empty = await cli.run(['hub', '--socket', socket, '--token-file', tokenFile]);
    expect(empty).toMatchObject({ exit: { code: 1 }, stderr: `relayscope: the token file ${tokenFile} is empty\n` });
  });

  it('serve takes --token-file for the hub it runs', async () => {
    const serve = cli.start(['serve', '--socket', socket, '--token-file', tokenFile]);
    await serve.waitForStdout(`relayscope hub listening on ${socket}`, 15_000);
    expect(fs.readFileSync(`/proc/${serve.pid}/cmdline`, 'utf8')).not.toContain(TOKEN);
    expect((await cli.run(['list', '--socket', socket])).exit.code).toBe(1);
    expect((await cli.run(['list', '--socket', socket, '--token-file', tokenFile])).exit.code).toBe(0);
  });
});
