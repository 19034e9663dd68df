import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCaptureWriter } from '../../electron/capture/captureFiles';
import { readMcapCapture } from '../../electron/capture/readMcapCapture';
import { describeContract } from '../bridge/contractBehaviour';
import { Cleanup } from '../support/cleanup';
import { CliProcesses, ensureFreshBuild, type CliProcess } from '../support/cliProcess';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { socketDriver } from './socketDriver';

const URL_LINE = /^relayscope serve: open http:\/\/127\.0\.0\.1:(\d+)\/#token=([0-9a-f]{64})$/;

async function servedUrl(serve: CliProcess): Promise<{ port: number; token: string }> {
  const match = URL_LINE.exec(await serve.waitForStdout(URL_LINE, 10_000)) as RegExpExecArray;
  return { port: Number(match[1]), token: match[2] };
}

beforeAll(() => ensureFreshBuild(), 180_000);

describeContract('the contract over `relayscope serve --attach` to a CLI hub', async (cleanup) => {
  const dir = makeTempDir();
  cleanup.add(() => removeTempDir(dir));
  const socket = path.join(dir, 'hub.sock');
  const cli = new CliProcesses();
  cleanup.add(() => cli.stopAll());
  const hub = cli.start(['hub', '--socket', socket]);
  await hub.waitForStdout(`relayscope hub listening on ${socket}`);
  const serve = cli.start(['serve', '--attach', socket, '--port', '0']);
  const { port, token } = await servedUrl(serve);
  await serve.waitForStdout(`relayscope serve: attached to the hub on ${socket} as relayscope-ui`);
  return { driver: await socketDriver(cleanup, port, token), socket };
});

describe('relayscope serve', () => {
  let cleanup: Cleanup;
  let cli: CliProcesses;
  let dir: string;
  let socket: string;

  beforeEach(() => {
    cleanup = new Cleanup();
    cli = new CliProcesses();
    dir = makeTempDir();
    socket = path.join(dir, 'hub.sock');
  });

  afterEach(async () => {
    await cleanup.run();
    await cli.stopAll();
    removeTempDir(dir);
  });

  it('runs a hub, serves the contract, and on SIGTERM says goodbye, removes the socket and exits 0', async () => {
    const serve = cli.start(['serve', '--socket', socket, '--port', '0']);
    const { port, token } = await servedUrl(serve);
    await serve.waitForStdout(`relayscope hub listening on ${socket}`);
    const driver = await socketDriver(cleanup, port, token);
    const snapshot = await driver.call('hub:snapshot', null);
    expect(snapshot).toMatchObject({ ok: true, value: { listeners: [socket], attachedTo: null, modules: [] } });
    serve.signal('SIGTERM');
    expect(await serve.waitForExit()).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(socket)).toBe(false);
  });

  it('suggests --attach and exits 1 when a live hub already serves the socket', async () => {
    const hub = cli.start(['hub', '--socket', socket]);
    await hub.waitForStdout(`relayscope hub listening on ${socket}`);
    const { exit, stderr, stdout } = await cli.run(['serve', '--socket', socket, '--port', '0']);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(stderr).toBe(`relayscope: a hub is already running on ${socket}; to watch it, run: relayscope serve --attach ${socket}\n`);
    expect(stdout).toBe('');
  });

  it('--open shows a recording: the snapshot names it and runs no hub; a Record there is refused', async () => {
    const file = path.join(dir, 'rec.jsonl');
    await (await createCaptureWriter(file, { hub: 'h', sockets: [], host: 'x', startTime: 1000, relayscopeVersion: 't', missed: 0, countersAtStart: null, countersAtEnd: null })).close();
    const serve = cli.start(['serve', '--open', file, '--port', '0'], { env: { XDG_RUNTIME_DIR: dir } });
    const { port, token } = await servedUrl(serve);
    await serve.waitForStdout(`relayscope serve: showing the recording ${file}`);
    const driver = await socketDriver(cleanup, port, token);
    expect(await driver.call('hub:snapshot', null)).toMatchObject({ ok: true, value: { listeners: [], attachedTo: null, offline: { file, hub: 'h' } } });
    expect(await driver.call('hub:recordStart', null)).toMatchObject({ ok: false, error: { code: 'NOT_SUPPORTED' } });
    serve.signal('SIGTERM');
    expect(await serve.waitForExit()).toEqual({ code: 0, signal: null });
  });

  it('--open: a missing file fails naming it, and --open with --attach or hub flags is a usage error', async () => {
    const missing = await cli.run(['serve', '--open', path.join(dir, 'gone.mcap'), '--port', '0']);
    expect(missing.exit.code).toBe(1);
    expect(missing.stderr).toContain(`${path.join(dir, 'gone.mcap')}: no such file`);
    const both = await cli.run(['serve', '--open', 'x.mcap', '--attach', socket]);
    expect(both.exit.code).toBe(2);
    expect(both.stderr).toMatch(/--open shows a recording and --attach a live hub/);
    const hubFlag = await cli.run(['serve', '--open', 'x.mcap', '--socket', socket]);
    expect(hubFlag.exit.code).toBe(2);
    expect(hubFlag.stderr).toMatch(/--socket configures a hub, and --open runs none/);
  });

  it('--record FILE records from the start, the UI sees it running, and SIGTERM completes the file', async () => {
    const file = path.join(dir, 'served.mcap');
    const serve = cli.start(['serve', '--socket', socket, '--port', '0', '--record', file], { env: { XDG_RUNTIME_DIR: dir } });
    const { port, token } = await servedUrl(serve);
    await serve.waitForStdout(`relayscope serve: recording to ${file}`);
    const listener = cli.start(['listen', '--socket', socket, '--as', 'B']);
    await listener.waitForStderr(`relayscope: listening as B on ${socket}`, 10_000);
    expect((await cli.run(['send', '--socket', socket, '--as', 'A', '--to', 'B', 'kept'])).exit.code).toBe(0);
    await listener.waitForStdout(/kept/, 10_000);
    const driver = await socketDriver(cleanup, port, token);
    expect(await driver.call('hub:recordStatus', null)).toMatchObject({ ok: true, value: { running: true, path: file } });
    serve.signal('SIGTERM');
    expect(await serve.waitForExit()).toEqual({ code: 0, signal: null });
    const messages = [];
    for await (const record of (await readMcapCapture(file)).records) if (record.type === 'message') messages.push(Buffer.from(record.payload).toString());
    expect(messages).toEqual(['kept']);
    const wrong = await cli.run(['serve', '--socket', path.join(dir, 'other.sock'), '--record', path.join(dir, 'x.pcapng')]);
    expect(wrong.exit.code).toBe(2);
    expect(wrong.stderr).toMatch(/FILE ends in \.mcap/);
  });

  it('refuses hub flags together with --attach as a usage error', async () => {
    const { exit, stderr } = await cli.run(['serve', '--attach', socket, '--max-connections', '5']);
    expect(exit.code).toBe(2);
    expect(stderr).toMatch(/--max-connections configures a hub this process runs/);
  });
});
