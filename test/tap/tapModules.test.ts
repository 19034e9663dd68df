/**
 * A tap opened in process (RelayHub.addTap) between a python3 echo server and python3 clients:
 * the sides as modules (named after the client's executable and pid), their counters, the TRAFFIC
 * copies a monitor sees (direction flag and stream offset), refusals of messages to tapped modules,
 * KICK, and an upstream that refuses. The heavy real-peer suite is passthrough.test.ts.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayClient } from '../../electron/client';
import { ErrorCode, encodeMessage, HubEventCode, MessageKind, type EventFrame, type TrafficFrame, TrafficFlag } from '../../electron/hub';
import { Cleanup } from '../support/cleanup';
import { startHub } from '../support/hubFixture';
import { spawnTracked } from '../support/processes';
import { waitUntil } from '../support/waitUntil';

/** The executable python3 runs as (/proc/PID/exe: e.g. python3.11 behind a link or a pyenv shim), which names its module. */
const PYTHON_EXE = execFileSync('python3', ['-c', 'import os; print(os.path.basename(os.readlink("/proc/self/exe")))'], { encoding: 'utf8' }).trim();

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Sends each argument as its own write, waiting for its echo before the next; prints "echo N" per write, then waits for stdin to end. */
const CLIENT = `
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
for i, text in enumerate(sys.argv[2:]):
    data = text.encode()
    s.sendall(data)
    got = b""
    while len(got) < len(data):
        got += s.recv(65536)
    sys.stdout.write("echo %d %s\\n" % (i, got.decode())); sys.stdout.flush()
sys.stdin.read()
s.close()
`;

/** Echoes each connection until it ends; prints "listening", then "closed" when a connection ends. */
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
    print("closed", flush=True)
while True:
    threading.Thread(target=serve, args=(srv.accept()[0],), daemon=True).start()
`;

async function tapped() {
  const fixture = await startHub(cleanup);
  const upstream = path.join(fixture.dir, 'server.sock');
  const listen = path.join(fixture.dir, 'tap.sock');
  const server = spawnTracked(cleanup, 'python3', ['-c', ECHO_SERVER, upstream]);
  await waitUntil(() => server.stdout().includes('listening\n'), 'the echo server to listen');
  const tap = await fixture.hub.addTap({ listen, upstream });
  const monitor = await RelayClient.connect({ socket: path.join(fixture.dir, 'hub.sock'), id: 'watch', monitor: true, reconnect: false });
  cleanup.add(() => monitor.close());
  const traffic: TrafficFrame[] = [];
  const events: EventFrame[] = [];
  monitor.on('traffic', (frame: TrafficFrame) => traffic.push(frame));
  monitor.on('hubEvent', (event: EventFrame) => events.push(event));
  return { ...fixture, upstream, listen, server, tap, monitor, traffic, events };
}

describe('a tap opened with RelayHub.addTap', () => {
  it('makes the upstream and each client a module named after the socket and the client process, with counters', async () => {
    const t = await tapped();
    expect(t.tap.upstreamId).toBe('server.sock');
    const client = spawnTracked(cleanup, 'python3', ['-c', CLIENT, t.listen, 'one', 'three']);
    await waitUntil(() => client.stdout().includes('echo 1 three\n'), 'both echoes');
    const id = `${PYTHON_EXE}[${client.child.pid}]`;
    const snapshot = t.hub.snapshot();
    const module = snapshot.modules.find((m) => m.id === id);
    expect(module).toMatchObject({ tap: 'client', pid: client.child.pid, listener: t.listen });
    expect(module?.stats).toMatchObject({ messagesIn: 2, bytesIn: 8, messagesOut: 2, bytesOut: 8 });
    expect(snapshot.modules.find((m) => m.id === 'server.sock')).toMatchObject({ tap: 'upstream', listener: t.upstream });
    client.child.stdin?.end();
    await waitUntil(() => !t.hub.modules.has(id), 'the client module to leave');
    expect(t.events.find((e) => e.event === HubEventCode.LEAVE && e.id === id)?.detail).toBe('the client closed the connection');
  });

  it('copies every chunk to monitors with its direction and its offset in that direction', async () => {
    const t = await tapped();
    const client = spawnTracked(cleanup, 'python3', ['-c', CLIENT, t.listen, 'ab', 'cdef', 'g']);
    await waitUntil(() => client.stdout().includes('echo 2 g\n'), 'three echoes');
    const id = `${PYTHON_EXE}[${client.child.pid}]`;
    await waitUntil(() => t.traffic.length === 6, 'six copies');
    const seen = t.traffic.map((f) => [f.source, f.destination, f.flags, f.offset, f.payload.toString()]);
    const up = TrafficFlag.TAPPED;
    const down = TrafficFlag.TAPPED | TrafficFlag.TAP_FROM_UPSTREAM;
    expect(seen).toEqual([
      [id, 'server.sock', up, 0, 'ab'],
      ['server.sock', id, down, 0, 'ab'],
      [id, 'server.sock', up, 2, 'cdef'],
      ['server.sock', id, down, 2, 'cdef'],
      [id, 'server.sock', up, 6, 'g'],
      ['server.sock', id, down, 6, 'g'],
    ]);
  });

  it('refuses a message to a tapped module with NOT_PERMITTED, and KICK closes the tapped connection both ways', async () => {
    const t = await tapped();
    const client = spawnTracked(cleanup, 'python3', ['-c', CLIENT, t.listen, 'hi']);
    await waitUntil(() => client.stdout().includes('echo 0 hi\n'), 'the echo');
    const id = `${PYTHON_EXE}[${client.child.pid}]`;
    const sender = await t.register('sender');
    sender.send(encodeMessage(MessageKind.UNICAST, id, 'hello', 7));
    const refusal = await sender.waitForError(ErrorCode.NOT_PERMITTED);
    expect(refusal).toMatchObject({ correlationId: 7, ref: id });
    expect(refusal.message).toMatch(/tapped connection carries only what its two programs write/);
    await t.monitor.kick(id, 'enough');
    await waitUntil(() => t.server.stdout().includes('closed\n'), 'the server to see the connection close');
    await waitUntil(() => !t.hub.modules.has(id), 'the client module to leave');
    expect(t.hub.modules.has('server.sock')).toBe(true);
  });

  it('closes the client at once when the upstream refuses, and says why in a PEER_GONE error event', async () => {
    const t = await tapped();
    t.server.child.kill('SIGKILL');
    await t.server.exited;
    const client = spawnTracked(cleanup, 'python3', ['-c', 'import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\nprint(repr(s.recv(10)))', t.listen]);
    const result = await client.exited;
    expect(result.stdout).toBe("b''\n");
    const error = await waitUntil(() => t.events.find((e) => e.event === HubEventCode.ERROR), 'the error event');
    expect(error).toMatchObject({ code: ErrorCode.PEER_GONE, id: `${PYTHON_EXE}[${client.child.pid}]` });
    expect(error.detail).toMatch(/could not be reached: ECONNREFUSED/);
  });
});
