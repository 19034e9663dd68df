/**
 * Recordings of a real tap (a python3 echo server on a Unix socket, a python3 client through the tap,
 * framing lines so that the last piece each way is partial), written all three ways: the hub's own
 * in-process recorder (RelayHub.startRecording, the UI's Record button), `relayscope record` over a
 * monitor connection, and `relayscope hub --record --tap`. Each file is read back with
 * readMcapCapture: every chunk with its direction, stream offset and partial flag, and the join of
 * the client with its identity; and opened with OfflineBackend, which hands both to the offline view.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OfflineBackend } from '../../electron/bridge/OfflineBackend';
import type { CapturedEvent, CapturedMessage, CaptureRecord } from '../../electron/capture/captureRecord';
import { readMcapCapture } from '../../electron/capture/readMcapCapture';
import type { HubEvent } from '../../electron/hub/hubEvents';
import { parseJoinDetail } from '../../electron/hub/peerIdentity';
import { cliHarness } from '../support/cliHarness';
import { startHub } from '../support/hubFixture';
import { spawnTracked, type TrackedChild } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';

const { cli, cleanup } = cliHarness();

/** Echoes each connection until the client half-closes, then closes; prints "listening". */
const ECHO_SERVER = `
import socket, sys, threading
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1])
srv.listen(16)
print("listening", flush=True)
def serve(conn):
    while True:
        data = conn.recv(65536)
        if not data: break
        conn.sendall(data)
    conn.close()
while True:
    threading.Thread(target=serve, args=(srv.accept()[0],), daemon=True).start()
`;

/** Writes "one\\n" and waits for its echo, then "tw" without a newline and half-closes; prints "done" once the echo ends. */
const CLIENT = `
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"one\\n")
got = b""
while len(got) < 4: got += s.recv(100)
s.sendall(b"tw")
s.shutdown(socket.SHUT_WR)
while s.recv(100): pass
print("done", flush=True)
`;

/** What the tap must have copied, for the client module `client` and the upstream module `server.sock`. */
function expectedChunks(client: string): unknown[] {
  return [
    { source: client, destination: 'server.sock', payload: 'one\n', tap: { direction: 'to-upstream', offset: 0, partial: false } },
    { source: 'server.sock', destination: client, payload: 'one\n', tap: { direction: 'to-client', offset: 0, partial: false } },
    { source: client, destination: 'server.sock', payload: 'tw', tap: { direction: 'to-upstream', offset: 4, partial: true } },
    { source: 'server.sock', destination: client, payload: 'tw', tap: { direction: 'to-client', offset: 4, partial: true } },
  ];
}

function tempDir(): string {
  const dir = makeTempDir();
  cleanup.add(() => removeTempDir(dir));
  return dir;
}

async function echoServer(socket: string): Promise<void> {
  const server = spawnTracked(cleanup, 'python3', ['-c', ECHO_SERVER, socket]);
  await waitUntil(() => server.stdout().includes('listening\n'), 'the echo server to listen');
}

async function runClient(listen: string): Promise<TrackedChild> {
  const client = spawnTracked(cleanup, 'python3', ['-c', CLIENT, listen]);
  const result = await client.exited;
  expect(result.stdout).toBe('done\n');
  return client;
}

async function recordsOf(file: string): Promise<CaptureRecord[]> {
  const out: CaptureRecord[] = [];
  for await (const record of (await readMcapCapture(file)).records) out.push(record);
  return out;
}

/** The tapped chunks in the file, and the client's join, checked against what the client and server did. */
async function expectTapRecorded(file: string, clientPid: number, clientExe: RegExp): Promise<void> {
  const records = await recordsOf(file);
  const chunks = records.filter((r): r is CapturedMessage => r.type === 'message');
  const client = chunks[0]?.source;
  expect(chunks.map((m) => ({ source: m.source, destination: m.destination, payload: Buffer.from(m.payload).toString(), tap: m.tap }))).toEqual(expectedChunks(client));
  const join = records.find((r): r is CapturedEvent => r.type === 'event' && r.event === 'join' && r.id === client);
  expect(join).toBeDefined();
  const identity = parseJoinDetail(join?.detail ?? '');
  expect(identity).toMatchObject({ pid: clientPid, uid: process.getuid?.(), tap: 'client' });
  expect(identity.exe).toMatch(clientExe);
  expect(client).toBe(`${path.basename(identity.exe ?? '')}[${clientPid}]`);
}

describe('a tapped connection in a recording', () => {
  it("is recorded by the hub's in-process recorder with direction, offset, partial and the client's identity", async () => {
    const hub = await startHub(cleanup);
    const upstream = path.join(hub.dir, 'server.sock');
    const listen = path.join(hub.dir, 'tap.sock');
    await echoServer(upstream);
    const file = path.join(hub.dir, 'inprocess.mcap');
    const recording = await hub.hub.startRecording(file);
    await hub.hub.addTap({ listen, upstream, framing: 'lines' });
    const client = await runClient(listen);
    await waitUntil(() => recording.status().messages === 4, 'four chunks recorded');
    const status = await recording.stop();
    expect(status).toMatchObject({ written: 4, missed: 0, writtenBytes: 12 });
    await expectTapRecorded(file, client.child.pid as number, /python/);
    // The upstream joined while recording: its join says which side it is.
    const records = await recordsOf(file);
    const upstreamJoin = records.find((r): r is CapturedEvent => r.type === 'event' && r.event === 'join' && r.id === 'server.sock');
    expect(parseJoinDetail(upstreamJoin?.detail ?? '')).toMatchObject({ tap: 'upstream' });
  });

  it('is recorded by relayscope record over a monitor connection with the same fields', async () => {
    const hub = await startHub(cleanup);
    const upstream = path.join(hub.dir, 'server.sock');
    const listen = path.join(hub.dir, 'tap.sock');
    await echoServer(upstream);
    const file = path.join(hub.dir, 'cli.mcap');
    const record = cli.start(['record', '--output', file, '--socket', path.join(hub.dir, 'hub.sock'), '--count', '4']);
    await record.waitForStderr(/^relayscope: recording /);
    await hub.hub.addTap({ listen, upstream, framing: 'lines' });
    const client = await runClient(listen);
    expect((await record.waitForExit()).code).toBe(0);
    expect(record.stdout).toMatch(/^recorded 4 messages \(12 B of payload\)/);
    await expectTapRecorded(file, client.child.pid as number, /python/);
  });

  it('is recorded by relayscope hub --record --tap, and OfflineBackend gives the offline view its tap fields and the identity', async () => {
    const dir = tempDir();
    const upstream = path.join(dir, 'server.sock');
    const listen = path.join(dir, 'tap.sock');
    await echoServer(upstream);
    const file = path.join(dir, 'hub.mcap');
    const hub = cli.start(['hub', '--socket', path.join(dir, 'hub.sock'), '--record', file, '--tap', `${listen}=${upstream}`, '--tap-framing', 'lines']);
    await hub.waitForStdout(`relayscope hub recording to ${file}`);
    const client = await runClient(listen);
    hub.signal('SIGTERM');
    expect((await hub.waitForExit()).code).toBe(0);
    expect(hub.stdout).toMatch(/^recorded 4 messages \(12 B of payload\) to .*hub\.mcap; missed 0$/m);
    const pid = client.child.pid as number;
    await expectTapRecorded(file, pid, /python/);

    const backend = await OfflineBackend.open(file);
    cleanup.add(() => backend.close());
    const events: HubEvent[] = [];
    const stop = backend.onEvents((batch) => events.push(...batch));
    await waitUntil(() => events.filter((e) => e.type === 'message').length === 4, 'the offline window');
    stop();
    const id = events.find((e) => e.type === 'message')?.source ?? '';
    expect(events.filter((e) => e.type === 'message').map((e) => e.type === 'message' && { source: e.source, tap: e.tap })).toEqual(
      expectedChunks(id).map((c) => ({ source: (c as { source: string }).source, tap: (c as { tap: unknown }).tap })),
    );
    expect(events.find((e) => e.type === 'join' && e.id === id)).toMatchObject({ pid, tap: 'client', uid: process.getuid?.() });
  });
});
