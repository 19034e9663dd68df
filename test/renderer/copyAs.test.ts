import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cByteArray, cliCommand, copyAs, jsonText, pythonBytes } from '../../renderer/src/format/copyAs';
import { CliProcesses, ensureFreshBuild } from '../support/cliProcess';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** Every byte value, and the characters a shell or a literal could mangle. */
const AWKWARD = new Uint8Array([...Array.from({ length: 256 }, (_, i) => i), ...Buffer.from(`'"\\$\`!*\n\r\t -- `)]);

describe('copy as: the text of each format', () => {
  const route = { kind: 'unicast', source: 'sensor', destination: 'logger' };

  it('writes send, broadcast and request commands with the payload as --hex', () => {
    const hi = new Uint8Array([0x68, 0x69, 0x00]);
    expect(cliCommand(route, hi)).toEqual({ ok: true, text: 'relayscope send --as sensor --to logger --hex 686900', note: null });
    expect(cliCommand({ kind: 'broadcast', source: 'sensor', destination: null }, hi)).toMatchObject({ text: 'relayscope broadcast --as sensor --hex 686900' });
    expect(cliCommand({ ...route, kind: 'request' }, hi)).toMatchObject({ text: 'relayscope request --as sensor --to logger --hex 686900' });
    expect(cliCommand({ ...route, source: "it's" }, new Uint8Array(0))).toMatchObject({ text: "relayscope send --as 'it'\\''s' --to logger --hex ''" });
  });

  it('sends a reply as a unicast and says so', () => {
    expect(cliCommand({ ...route, kind: 'reply' }, new Uint8Array([1]))).toMatchObject({
      ok: true,
      text: 'relayscope send --as sensor --to logger --hex 01',
      note: expect.stringContaining('no command that sends a reply'),
    });
  });

  it('refuses a source the CLI cannot register as, with the hub’s reason', () => {
    const result = cliCommand({ ...route, source: '$hub' }, new Uint8Array([1]));
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/^the CLI cannot send as "\$hub": module IDs starting with '\$' are reserved/) });
  });

  it('puts a large payload on standard input in a here-document', () => {
    const result = cliCommand(route, new Uint8Array(20_000).fill(0xab));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const lines = result.text.split('\n');
    expect(lines[0]).toBe("relayscope send --as sensor --to logger --hex <<'EOF'");
    expect(lines.at(-1)).toBe('EOF');
    expect(lines.slice(1, -1).join('')).toBe('ab'.repeat(20_000));
  });

  it('writes a C array with its length, and a Python literal that keeps printable text readable', () => {
    expect(cByteArray(new Uint8Array([1, 0xff]))).toBe('const uint8_t message[2] = {\n    0x01, 0xff,\n};\nconst size_t message_len = 2;');
    expect(pythonBytes(Buffer.from("a'b\\\n\x00é"))).toBe("b'a\\'b\\\\\\n\\x00\\xc3\\xa9'");
  });

  it('writes hex pairs, base64, and JSON re-indented, refusing JSON for what is not JSON', () => {
    const json = Buffer.from('{"temp":31,"tags":["a"]}');
    expect(copyAs('hex', route, new Uint8Array([0xde, 0xad]))).toMatchObject({ text: 'de ad' });
    expect(copyAs('base64', route, json)).toMatchObject({ text: json.toString('base64') });
    expect(jsonText(json)).toMatchObject({ ok: true, text: '{\n  "temp": 31,\n  "tags": [\n    "a"\n  ]\n}' });
    expect(jsonText(Buffer.from('temp=31'))).toMatchObject({ ok: false, reason: expect.stringContaining('not JSON') });
    expect(jsonText(new Uint8Array([0xff]))).toMatchObject({ ok: false, reason: 'the payload is not UTF-8 text, so not JSON' });
  });
});

describe('copy as: the copied text gives back the same bytes', () => {
  let dir: string;
  const cli = new CliProcesses();

  beforeAll(async () => {
    await ensureFreshBuild();
    dir = makeTempDir('rs-copy-');
    // The copied command says `relayscope`, as a user who installed it types it.
    fs.writeFileSync(path.join(dir, 'relayscope'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(REPO_ROOT, 'bin', 'relayscope.js')}" "$@"\n`, { mode: 0o755 });
  }, 180_000);

  afterAll(async () => {
    await cli.stopAll();
    removeTempDir(dir);
  });

  it('the CLI command, run by sh against a real hub, delivers the identical bytes (inline and as a here-document)', async () => {
    const socket = path.join(dir, 'hub.sock');
    const hub = cli.start(['hub', '--socket', socket]);
    await hub.waitForStdout(`relayscope hub listening on ${socket}`);
    const listener = cli.start(['listen', '--socket', socket, '--as', 'logger', '--count', '3', '--format', 'json']);
    await listener.waitForStderr(/^relayscope: listening as /);
    const large = new Uint8Array(40_000).map((_, i) => (i * 7) & 0xff);
    const env = { ...process.env, PATH: `${dir}:${process.env.PATH}`, RELAYSCOPE_SOCKET: socket };
    for (const payload of [AWKWARD, new Uint8Array(0), large]) {
      const result = cliCommand({ kind: 'unicast', source: "o'brien", destination: 'logger' }, payload);
      if (!result.ok) throw new Error(result.reason);
      execFileSync('sh', ['-c', result.text], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    }
    expect((await listener.waitForExit()).code).toBe(0);
    const received = listener.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { source: string; base64: string });
    expect(received.map((message) => message.source)).toEqual(["o'brien", "o'brien", "o'brien"]);
    expect(received.map((message) => Buffer.from(message.base64, 'base64'))).toEqual([Buffer.from(AWKWARD), Buffer.alloc(0), Buffer.from(large)]);
  });

  it('the C array, compiled with gcc, holds the identical bytes', () => {
    const source = path.join(dir, 'bytes.c');
    fs.writeFileSync(source, `#include <stdint.h>\n#include <stddef.h>\n#include <stdio.h>\n${cByteArray(AWKWARD)}\nint main(void) { fwrite(message, 1, message_len, stdout); return 0; }\n`);
    execFileSync('gcc', ['-std=c99', '-Wall', '-Werror', '-o', path.join(dir, 'bytes'), source]);
    expect(execFileSync(path.join(dir, 'bytes'))).toEqual(Buffer.from(AWKWARD));
  });

  it('the Python literal, evaluated by python3, holds the identical bytes', () => {
    expect(execFileSync('python3', ['-c', `import sys; sys.stdout.buffer.write(${pythonBytes(AWKWARD)})`])).toEqual(Buffer.from(AWKWARD));
  });
});
