import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadPageTokenFile } from '../../electron/serve/pageTokenFile';
import { CliProcesses, ensureFreshBuild } from '../support/cliProcess';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const URL_LINE = /^relayscope serve: open http:\/\/127\.0\.0\.1:(\d+)\/#token=([0-9a-f]+)$/m;

let dir: string;
beforeEach(() => {
  dir = makeTempDir('rs-pagetoken-');
});
afterEach(() => removeTempDir(dir));

describe('the page token file', () => {
  it('is created with mode 0600 and a random token when missing, then read back unchanged', () => {
    const file = path.join(dir, 'page-token');
    const first = loadPageTokenFile(file);
    expect(first.created).toBe(true);
    expect(first.token).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${first.token}\n`);
    expect(loadPageTokenFile(file)).toEqual({ token: first.token, created: false });
    expect(loadPageTokenFile(path.join(dir, 'another')).token).not.toBe(first.token);
  });

  it('takes a token the user wrote, without its line break', () => {
    const file = path.join(dir, 'page-token');
    fs.writeFileSync(file, `${'c0ffee'.repeat(8)}\r\n`, { mode: 0o600 });
    expect(loadPageTokenFile(file)).toEqual({ token: 'c0ffee'.repeat(8), created: false });
  });

  it('refuses a file other users can read, naming the chmod that fixes it', () => {
    const file = path.join(dir, 'page-token');
    fs.writeFileSync(file, 'ab'.repeat(32), { mode: 0o600 });
    fs.chmodSync(file, 0o644);
    expect(() => loadPageTokenFile(file)).toThrow(`the page token file ${file} has mode 0644: other users can read or change it, so its token is no secret. Run: chmod 600 ${file}`);
  });

  it('refuses a file that holds no page token, and a directory', () => {
    const file = path.join(dir, 'page-token');
    for (const content of ['', 'not hex at all, but long enough to be a token', 'abcd']) {
      fs.writeFileSync(file, content, { mode: 0o600 });
      expect(() => loadPageTokenFile(file), content).toThrow(`the page token file ${file} holds no page token: it must hold 32 to 256 hex digits. Delete it and serve writes a new one`);
    }
    expect(() => loadPageTokenFile(dir)).toThrow(`the page token file ${dir} is not a regular file`);
  });

  it('says why it cannot create the file', () => {
    const file = path.join(dir, 'no-such-dir', 'page-token');
    expect(() => loadPageTokenFile(file)).toThrow(`cannot create the page token file ${file}: ENOENT`);
  });
});

describe('relayscope serve --page-token-file', () => {
  const cli = new CliProcesses();
  beforeAll(() => ensureFreshBuild(), 180_000);
  afterEach(() => cli.stopAll());

  it('prints the same token URL on every start with the same file, and says where the token is kept', async () => {
    const file = path.join(dir, 'page-token');
    const socket = path.join(dir, 'hub.sock');
    const tokens: string[] = [];
    for (const expected of ['is new, written to', 'is the one kept in']) {
      const serve = cli.start(['serve', '--socket', socket, '--port', '0', '--page-token-file', file]);
      const match = URL_LINE.exec(await serve.waitForStdout(URL_LINE, 15_000)) as RegExpExecArray;
      tokens.push(match[2]);
      await serve.waitForStdout(`relayscope serve: the page token ${expected} ${file}; give --port too for a URL that stays the same`, 5_000);
      serve.signal('SIGTERM');
      expect(await serve.waitForExit()).toEqual({ code: 0, signal: null });
    }
    expect(tokens[1]).toBe(tokens[0]);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${tokens[0]}\n`);
  });

  it('exits 1 naming the file when it is not private, before starting a hub', async () => {
    const file = path.join(dir, 'page-token');
    fs.writeFileSync(file, 'ab'.repeat(32), { mode: 0o600 });
    fs.chmodSync(file, 0o640);
    const socket = path.join(dir, 'hub.sock');
    const { exit, stderr } = await cli.run(['serve', '--socket', socket, '--port', '0', '--page-token-file', file]);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(stderr).toContain(`the page token file ${file} has mode 0640`);
    expect(fs.existsSync(socket)).toBe(false);
  });

  it('is explained in serve --help, apart from the hub token of --token-file', async () => {
    const { stdout } = await cli.run(['serve', '--help']);
    expect(stdout).toMatch(/--page-token-file FILE +keep the page's token in FILE/);
    expect(stdout).toContain('--token-file is a hub token');
  });
});
