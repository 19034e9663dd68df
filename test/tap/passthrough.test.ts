/**
 * `relayscope hub --tap LISTEN=UPSTREAM` between real programs (issue 13, item 6): a python3 echo
 * server behind the tap, socat and python3 clients in front. The bytes arrive unchanged both ways (64
 * MiB of random data, sha256 at both ends), concurrent connections stay apart, a half-close reaches the
 * server while the rest of the echo still reaches the client, and either side dying mid-stream closes
 * the other while the tap carries on.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliProcess } from '../support/cliProcess';
import { cliHarness } from '../support/cliHarness';
import { spawnTracked } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';
import { concurrentClients, type EchoServer, startEchoServer, streamingClient } from './tapPeers';

const { cli, cleanup } = cliHarness();

interface Tapped {
  dir: string;
  server: EchoServer;
  listen: string;
  upstream: string;
  hub: CliProcess;
}

/** An echo server on DIR/server.sock and a hub tapping it at DIR/tap.sock. */
async function tappedEchoServer(): Promise<Tapped> {
  const dir = makeTempDir('rs-tap-');
  cleanup.add(() => removeTempDir(dir));
  const upstream = path.join(dir, 'server.sock');
  const listen = path.join(dir, 'tap.sock');
  const server = await startEchoServer(cleanup, upstream);
  const hub = cli.start(['hub', '--socket', path.join(dir, 'hub.sock'), '--tap', `${listen}=${upstream}`]);
  await hub.waitForStdout(new RegExp(listen.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return { dir, server, listen, upstream, hub };
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('hub --tap between real programs', () => {
  it('passes 64 MiB of random data both ways byte for byte (socat client, python3 server; sha256 at both ends)', async () => {
    const { dir, server, listen } = await tappedEchoServer();
    const data = randomBytes(64 * 1024 * 1024);
    const input = path.join(dir, 'in.bin');
    const output = path.join(dir, 'out.bin');
    fs.writeFileSync(input, data);
    const inFd = fs.openSync(input, 'r');
    const outFd = fs.openSync(output, 'w');
    cleanup.add(() => {
      for (const fd of [inFd, outFd]) fs.closeSync(fd);
    });
    // -t 60: after its stdin ends socat half-closes and keeps reading the echo (up to 60 s) until the server closes.
    const socat = spawnTracked(cleanup, 'socat', ['-t', '60', `UNIX-CONNECT:${listen}`, 'STDIO'], { stdio: [inFd, outFd, 'pipe'] });
    const result = await socat.exited;
    expect(result.code, result.stderr).toBe(0);
    const [closed] = await waitUntil(() => server.closed().length === 1 && server.closed(), 'the server to see the end of the stream');
    expect(closed).toEqual({ n: 1, how: 'eof', bytes: data.length, sha256: sha256(data) });
    const echoed = fs.readFileSync(output);
    expect(echoed.length).toBe(data.length);
    expect(sha256(echoed)).toBe(sha256(data));
  }, 120_000);

  it('keeps 50 concurrent connections apart, each echoed exactly and closed by its own half-close', async () => {
    const { server, listen } = await tappedEchoServer();
    const clients = concurrentClients(cleanup, listen, 50, 256 * 1024);
    const result = await clients.exited;
    const lines = result.stdout.trim().split('\n').sort();
    expect(
      lines.filter((line) => !line.startsWith('ok ')),
      result.stderr,
    ).toEqual([]);
    expect(lines).toHaveLength(50);
    await waitUntil(() => server.closed().length === 50, 'the server to see 50 connections end');
    expect(server.closed().every((closed) => closed.how === 'eof' && closed.bytes === 256 * 1024)).toBe(true);
  }, 60_000);

  it('passes a half-close on: the server reads to its end, the client still reads the rest of the echo', async () => {
    const { server, listen } = await tappedEchoServer();
    // 4 MiB is far more than the socket buffers on the way hold, so most of the echo comes after the client's shutdown.
    const client = concurrentClients(cleanup, listen, 1, 4 * 1024 * 1024);
    expect((await client.exited).stdout).toBe('ok 0\n');
    const [closed] = await waitUntil(() => server.closed().length === 1 && server.closed(), 'the server to see the half-close');
    expect(closed.how).toBe('eof');
    expect(closed.bytes).toBe(4 * 1024 * 1024);
  }, 60_000);

  it('closes the client when the upstream dies mid-stream, and carries on for the next server', async () => {
    const { server, listen, upstream } = await tappedEchoServer();
    const client = streamingClient(cleanup, listen);
    await waitUntil(() => client.stdout().includes('echoed '), 'echo through the tap');
    server.process.child.kill('SIGKILL');
    const ended = await client.exited;
    expect(ended.stdout).toMatch(/\nended (eof|ConnectionResetError)\n$/);

    fs.rmSync(upstream, { force: true });
    const next = await startEchoServer(cleanup, upstream);
    const again = concurrentClients(cleanup, listen, 1, 64 * 1024);
    expect((await again.exited).stdout).toBe('ok 0\n');
    await waitUntil(() => next.closed().length === 1, 'the new server to see the connection end');
  }, 60_000);

  it('closes the upstream connection when the client dies mid-stream', async () => {
    const { server, listen } = await tappedEchoServer();
    const client = streamingClient(cleanup, listen);
    await waitUntil(() => client.stdout().includes('echoed '), 'echo through the tap');
    client.child.kill('SIGKILL');
    await client.exited;
    const [closed] = await waitUntil(() => server.closed().length === 1 && server.closed(), 'the server to see its connection end');
    expect(['eof', 'ConnectionResetError', 'BrokenPipeError']).toContain(closed.how);
    expect(closed.bytes).toBeGreaterThan(1024 * 1024);
  }, 60_000);
});
