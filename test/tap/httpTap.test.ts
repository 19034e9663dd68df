/**
 * HTTP over a Unix socket through `relayscope hub --tap ... --tap-framing http` (issue 13, items 3
 * and 6), with real peers: python3's http.server on a Unix socket and /usr/bin/curl --unix-socket as
 * the client. curl gets the server's body byte for byte; the hub's recording holds exactly one
 * message per request and one per response, each starting with its request line or status line (the
 * summary the UI and the monitor show), with its direction and stream offset. With HTTP/1.1 curl
 * sends two requests over one kept-alive connection and each is cut as its own message.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CapturedMessage } from '../../electron/capture/captureRecord';
import { readMcapCapture } from '../../electron/capture/readMcapCapture';
import { collect } from '../capture/exportFixtures';
import { cliHarness } from '../support/cliHarness';
import { runToCompletion } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';
import { httpBody, startHttpServer } from './tapPeers';

const { cli, cleanup } = cliHarness();
const CURL = '/usr/bin/curl';

/** A hub tapping a python3 HTTP server that answers with `protocol`, recording to a file; stop() ends it and returns the tapped messages. */
async function tappedHttpServer(protocol: 'HTTP/1.0' | 'HTTP/1.1') {
  const dir = makeTempDir('rs-http-');
  cleanup.add(() => removeTempDir(dir));
  const upstream = path.join(dir, 'api.sock');
  const listen = path.join(dir, 'tap.sock');
  const server = await startHttpServer(cleanup, upstream, protocol);
  const file = path.join(dir, 'http.mcap');
  const hub = cli.start(['hub', '--socket', path.join(dir, 'hub.sock'), '--tap', `${listen}=${upstream}`, '--tap-framing', 'http', '--record', file]);
  await hub.waitForStdout(`relayscope hub recording to ${file}`);
  const stop = async (): Promise<CapturedMessage[]> => {
    hub.signal('SIGTERM');
    expect((await hub.waitForExit()).code).toBe(0);
    expect(hub.stdout).toMatch(/missed 0$/m);
    const records = await collect((await readMcapCapture(file)).records);
    return records.filter((record): record is CapturedMessage => record.type === 'message');
  };
  return { dir, listen, server, stop };
}

/** curl's GETs of `paths` over `listen`, each body written to its own file; returns the bodies. */
async function curl(dir: string, listen: string, paths: string[]): Promise<Buffer[]> {
  const outputs = paths.map((_, i) => path.join(dir, `body-${i}`));
  const args = ['--silent', '--show-error', '--fail', '--unix-socket', listen, ...paths.flatMap((p, i) => [`http://x${p}`, '--output', outputs[i]])];
  const result = await runToCompletion(cleanup, CURL, args, null);
  expect(result.code, result.stderr).toBe(0);
  return outputs.map((file) => fs.readFileSync(file));
}

const firstLine = (message: CapturedMessage): string => {
  const payload = Buffer.from(message.payload);
  return payload.toString('latin1', 0, payload.indexOf('\r\n'));
};

/** The message's body: what follows the head's empty line. */
const bodyOf = (message: CapturedMessage): Buffer => {
  const payload = Buffer.from(message.payload);
  return payload.subarray(payload.indexOf('\r\n\r\n') + 4);
};

describe('HTTP over a Unix socket through a tap with --tap-framing http', () => {
  it('curl gets the body byte-exact, and the recording holds one message each way: the request line and the status line', async () => {
    const { dir, listen, server, stop } = await tappedHttpServer('HTTP/1.0');
    const [body] = await curl(dir, listen, ['/v1.43/containers/json']);
    expect(body.equals(httpBody('/v1.43/containers/json'))).toBe(true);
    // The server prints its line after writing the response, so curl may be done before the line arrives.
    await waitUntil(() => server.stdout().includes('served 1 GET /v1.43/containers/json HTTP/1.1\n'), 'the server logs the request');

    const messages = await stop();
    expect(messages.map((m) => ({ summary: firstLine(m), destination: m.destination, tap: m.tap }))).toEqual([
      { summary: 'GET /v1.43/containers/json HTTP/1.1', destination: 'api.sock', tap: { direction: 'to-upstream', offset: 0, partial: false } },
      { summary: 'HTTP/1.0 200 OK', destination: messages[0].source, tap: { direction: 'to-client', offset: 0, partial: false } },
    ]);
    expect(messages[0].source).toMatch(/^curl\[\d+\]$/);
    expect(bodyOf(messages[1]).equals(body)).toBe(true);
  });

  it('keep-alive: two requests on one connection are two messages each way, at their offsets in the stream', async () => {
    const { dir, listen, server, stop } = await tappedHttpServer('HTTP/1.1');
    const bodies = await curl(dir, listen, ['/first', '/second?all=1']);
    expect(bodies[0].equals(httpBody('/first'))).toBe(true);
    expect(bodies[1].equals(httpBody('/second?all=1'))).toBe(true);
    // Both served on the server's first connection: curl reused it.
    await waitUntil(() => server.stdout().includes(' GET /second?all=1 HTTP/1.1\n'), 'the server logs the second request');
    expect(server.stdout()).toContain('served 1 GET /first HTTP/1.1\nserved 1 GET /second?all=1 HTTP/1.1\n');

    const messages = await stop();
    const [request1, response1, request2, response2] = messages;
    expect(messages.map((m) => ({ summary: firstLine(m), source: m.source, tap: m.tap }))).toEqual([
      { summary: 'GET /first HTTP/1.1', source: request1.source, tap: { direction: 'to-upstream', offset: 0, partial: false } },
      { summary: 'HTTP/1.1 200 OK', source: 'api.sock', tap: { direction: 'to-client', offset: 0, partial: false } },
      { summary: 'GET /second?all=1 HTTP/1.1', source: request1.source, tap: { direction: 'to-upstream', offset: request1.payload.length, partial: false } },
      { summary: 'HTTP/1.1 200 OK', source: 'api.sock', tap: { direction: 'to-client', offset: response1.payload.length, partial: false } },
    ]);
    expect([request2.destination, response2.destination]).toEqual(['api.sock', request1.source]);
    expect(bodyOf(response1).equals(bodies[0])).toBe(true);
    expect(bodyOf(response2).equals(bodies[1])).toBe(true);
  });
});
