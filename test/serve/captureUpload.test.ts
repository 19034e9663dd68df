import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BridgeService } from '../../electron/bridge/BridgeService';
import { OfflineBackend } from '../../electron/bridge/OfflineBackend';
import { createCaptureWriter } from '../../electron/capture/captureFiles';
import { BrowserModeServer, MAX_UPLOAD_BYTES } from '../../electron/serve/BrowserModeServer';
import { Cleanup } from '../support/cleanup';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { startServer } from './servedHub';

/** A raw POST: the headers as given, then `body` (or nothing, for answers that come before a body). */
function post(port: number, headers: Record<string, string>, body: Buffer | null): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/captures/upload', headers: { Host: `127.0.0.1:${port}`, ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    if (body !== null) request.end(body);
    else request.flushHeaders();
  });
}

async function capture(file: string, source: string): Promise<void> {
  const writer = await createCaptureWriter(file, { hub: source, sockets: [], host: 'x', startTime: 1000, relayscopeVersion: 't', missed: 0, countersAtStart: null, countersAtEnd: null });
  writer.write({ type: 'message', time: 1001, kind: 'unicast', source, destination: 'B', correlationId: 0, injected: false, payload: Buffer.from('hi') });
  await writer.close();
}

describe('uploading a recording to an offline serve', () => {
  let cleanup: Cleanup;
  let dir: string;
  let server: BrowserModeServer;
  let backend: OfflineBackend;

  beforeEach(async () => {
    cleanup = new Cleanup();
    dir = makeTempDir();
    cleanup.add(() => removeTempDir(dir));
    fs.mkdirSync(path.join(dir, 'captures'), { mode: 0o700 });
    fs.mkdirSync(path.join(dir, 'renderer'));
    await capture(path.join(dir, 'first.mcap'), 'A');
    backend = await OfflineBackend.open(path.join(dir, 'first.mcap'));
    cleanup.add(() => backend.close());
    server = new BrowserModeServer({ bridge: new BridgeService(backend, () => path.join(dir, 'captures')), rootDir: path.join(dir, 'renderer') });
    await server.start();
    cleanup.add(() => server.close());
  });

  afterEach(() => cleanup.run());

  it('shows an uploaded file instead, written into the capture folder', async () => {
    await capture(path.join(dir, 'second.jsonl'), 'Z');
    const body = fs.readFileSync(path.join(dir, 'second.jsonl'));
    const answer = await post(server.port, { 'X-Relayscope-Token': server.token, 'X-Relayscope-Filename': 'second.jsonl', 'Content-Length': String(body.length) }, body);
    expect(answer).toMatchObject({ status: 200 });
    expect(backend.file).toMatch(new RegExp(`^${path.join(dir, 'captures')}/uploaded-.*\\.jsonl$`));
    await backend.scanned();
    expect(backend.describe().offline).toMatchObject({ hub: 'Z', messages: 1, modules: [{ id: 'Z' }, { id: 'B' }] });
  });

  it('refuses without the token, past the size bound before reading the body, and a foreign file with the reader error', async () => {
    expect((await post(server.port, { 'X-Relayscope-Filename': 'x.mcap', 'Content-Length': '2' }, Buffer.from('hi'))).status).toBe(403);
    const big = await post(server.port, { 'X-Relayscope-Token': server.token, 'X-Relayscope-Filename': 'x.mcap', 'Content-Length': String(MAX_UPLOAD_BYTES + 1) }, null);
    expect(big.status).toBe(413);
    expect(big.text).toContain('up to 536870912 bytes (512 MiB)');
    const unknown = await post(server.port, { 'X-Relayscope-Token': server.token, 'X-Relayscope-Filename': 'x.txt', 'Content-Length': '2' }, Buffer.from('hi'));
    expect(unknown).toMatchObject({ status: 400 });
    expect(unknown.text).toContain('unknown extension ".txt"');
    const broken = await post(server.port, { 'X-Relayscope-Token': server.token, 'X-Relayscope-Filename': 'x.mcap', 'Content-Length': '5' }, Buffer.from('hello'));
    expect(broken.status).toBe(400);
    expect(broken.text).toContain('cannot open the upload');
    expect(backend.file).toBe(path.join(dir, 'first.mcap'));
    // Nothing of the refused uploads is left behind.
    expect(fs.readdirSync(path.join(dir, 'captures'))).toEqual([]);
  });
});

describe('uploading to a serve that shows a live hub', () => {
  it('is refused with what to run instead', async () => {
    const cleanup = new Cleanup();
    try {
      const { server } = await startServer(cleanup);
      const answer = await post(server.port, { 'X-Relayscope-Token': server.token, 'X-Relayscope-Filename': 'x.mcap', 'Content-Length': '2' }, Buffer.from('hi'));
      expect(answer.status).toBe(409);
      expect(answer.text).toContain('relayscope serve --open FILE');
    } finally {
      await cleanup.run();
    }
  });
});
