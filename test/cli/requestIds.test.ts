import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CliProcesses, ensureFreshBuild, type CliProcess } from '../support/cliProcess';

/** Correlation IDs of CLI requests, and payloads given as hex (what "copy as CLI command" writes). */
describe('CLI requests and --hex payloads', () => {
  let dir: string;
  let socket: string;
  let cli: CliProcesses;

  beforeAll(() => ensureFreshBuild(), 180_000);

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relayscope-ids-'));
    socket = path.join(dir, 'hub.sock');
    cli = new CliProcesses();
    const hub = cli.start(['hub', '--socket', socket]);
    await hub.waitForStdout(`relayscope hub listening on ${socket}`);
  });

  afterEach(async () => {
    await cli.stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function listener(args: string[]): Promise<CliProcess> {
    const process = cli.start(['listen', '--socket', socket, '--format', 'json', ...args]);
    await process.waitForStderr(/^relayscope: listening as /);
    return process;
  }

  function received(process: CliProcess): { correlationId: number; base64: string; kind: string; source: string }[] {
    return process.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
  }

  it('gives each request command its own non-zero correlation ID, though every process registers as the same module', async () => {
    const echo = await listener(['--as', 'echo', '--echo', '--count', '3']);
    for (let i = 0; i < 3; i++) {
      const request = await cli.run(['request', '--socket', socket, '--as', 'asker', '--to', 'echo', `ping ${i}`]);
      expect(request.exit.code).toBe(0);
      expect(request.stdout).toBe(`ping ${i}\n`);
    }
    expect((await echo.waitForExit()).code).toBe(0);
    const ids = received(echo).map((message) => message.correlationId);
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(id).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(3);
  });

  it('sends the bytes --hex names, byte for byte, with spaces and line breaks between the digits', async () => {
    const b = await listener(['--as', 'B', '--count', '2']);
    const bytes = Buffer.from([0x00, 0xff, 0x0a, 0x27, 0x22, 0x41]);
    expect((await cli.run(['send', '--socket', socket, '--as', 'A', '--to', 'B', '--hex', '00ff 0a27\n2241'])).exit.code).toBe(0);
    expect((await cli.run(['send', '--socket', socket, '--as', 'A', '--to', 'B', '--hex'], { stdin: '00 ff 0a 27\n22 41\n' })).exit.code).toBe(0);
    expect((await b.waitForExit()).code).toBe(0);
    expect(received(b).map((message) => message.base64)).toEqual([bytes.toString('base64'), bytes.toString('base64')]);
  });

  it('refuses --hex digits that are not hex, or an odd number of them, with exit 2 and the reason', async () => {
    const notHex = await cli.run(['send', '--socket', socket, '--as', 'A', '--to', 'B', '--hex', '0g']);
    expect(notHex.exit.code).toBe(2);
    expect(notHex.stderr).toContain('--hex: "g" is not a hex digit');
    const odd = await cli.run(['broadcast', '--socket', socket, '--as', 'A', '--hex', 'abc']);
    expect(odd.exit.code).toBe(2);
    expect(odd.stderr).toContain('--hex: 3 hex digits is an odd number');
  });
});
