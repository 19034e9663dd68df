/**
 * The desktop app's backend from its argv to its quit, as main.ts runs it but without Electron:
 * parseAppOptions, chooseBackend kept by an AppBackend, its bridge, recordFromStart, and
 * AppBackend.stop() (what every way out of the app ends in). Real peers: a python3 echo server behind --tap and --tap-in-place, socat
 * as the tap's client and as a --plain line client, a Relayscope module receiving the line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeService } from '../../electron/bridge/BridgeService';
import type { LocalHubBackend } from '../../electron/bridge/LocalHubBackend';
import { openCaptureReader } from '../../electron/capture/captureFiles';
import { RelayClient, type ReceivedMessage } from '../../electron/client';
import { AppBackend, recordFromStart } from '../../electron/shell/backendLifecycle';
import { parseAppOptions } from '../../electron/shell/appOptions';
import { chooseBackend } from '../../electron/shell/chooseBackend';
import { Cleanup } from '../support/cleanup';
import { spawnTracked } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';
import { escapeRegExp, exchange, expectOnly, liveServer, socketIdentity } from '../tap/liveSocket';
import { lineClient, startEchoServer } from '../tap/tapPeers';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function tempDir(): string {
  const dir = makeTempDir('rs-appbackend-');
  cleanup.add(() => removeTempDir(dir));
  return dir;
}

/** The app's backends, stopped after the test if the test did not stop them; `reports` gets what main.ts would print. */
function appBackends(reports: string[] = []): AppBackend {
  const backends = new AppBackend((line) => reports.push(line));
  cleanup.add(() => backends.stop());
  return backends;
}

/** What main.ts does with app argv up to the window: the options, the backend they choose (tracked while it starts), its bridge, --record; fails unless it is a hub of the app's own. */
async function startFromArgv(backends: AppBackend, argv: string[]): Promise<{ backend: LocalHubBackend; bridge: BridgeService; announcements: string[]; record: string | null }> {
  const options = parseAppOptions(argv, {});
  const choosing = chooseBackend(options.target);
  backends.track(choosing.then((choice) => (choice.outcome === 'live hub found' ? null : choice.backend)));
  const choice = await choosing;
  if (choice.outcome !== 'started local hub') throw new Error(`the app did not start its hub: ${choice.outcome}`);
  const bridge = backends.use(choice.backend);
  return { backend: choice.backend, bridge, announcements: choice.announcements, record: await recordFromStart(bridge, options.target) };
}

describe("the desktop app's hub, from argv to quit", () => {
  it('--plain and --tap from app argv (Chromium switches among them): bytes pass, the modules show, --record holds them, and the quit path closes it all', async () => {
    const dir = tempDir();
    const server = path.join(dir, 'server.sock');
    const echo = await startEchoServer(cleanup, server);
    const hubSocket = path.join(dir, 'hub.sock');
    const tap = path.join(dir, 'tap.sock');
    const line = path.join(dir, 'line.sock');
    const recording = path.join(dir, 'run.mcap');
    const reports: string[] = [];
    const backends = appBackends(reports);
    const { backend, announcements, record } = await startFromArgv(backends, [
      '--no-sandbox',
      '--socket',
      hubSocket,
      '--plain',
      `line=${line}`,
      '--tap',
      `${tap}=${server}`,
      '--tap-framing',
      'lines',
      '--enable-logging=stderr',
      '--record',
      recording,
    ]);
    expect(record).toBe(recording);
    const upstreamId = backend.taps[0]?.upstreamId;
    expect(announcements).toEqual([
      `relayscope hub listening on ${hubSocket}`,
      `relayscope hub listening on ${line} for line programs`,
      `relayscope hub tapping ${server} (module ${upstreamId}) for clients on ${tap}, framing lines`,
    ]);

    // -t 5: after its stdin ends socat half-closes and reads the echo until the server closes.
    const through = spawnTracked(cleanup, 'socat', ['-t', '5', `UNIX-CONNECT:${tap}`, 'STDIO']);
    through.child.stdin?.end('through the app tap\n');
    const echoed = await through.exited;
    expect(echoed).toMatchObject({ code: 0, stdout: 'through the app tap\n' });
    await waitUntil(() => echo.closed().length === 1, 'the echo server to see the connection end');
    expect(echo.closed()[0]).toMatchObject({ how: 'eof', bytes: 20 });

    const sink = await RelayClient.connect({ socket: hubSocket, id: 'sink', reconnect: false });
    cleanup.add(() => sink.close());
    const received: ReceivedMessage[] = [];
    sink.on('message', (message: ReceivedMessage) => received.push(message));
    const plain = spawnTracked(cleanup, 'socat', [`UNIX-CONNECT:${line}`, 'STDIO']);
    plain.child.stdin?.write('/nick socat-user\n@sink over the plain listener\n');
    await waitUntil(() => received.length === 1, 'the line, relayed to sink');
    expect(received[0]).toMatchObject({ source: 'socat-user' });
    expect(received[0].payload.toString()).toBe('over the plain listener');
    const modules = (await backend.snapshot()).modules;
    expect(modules.find((m) => m.id === 'socat-user')).toMatchObject({ framing: 'line', pid: plain.child.pid, exe: expect.stringMatching(/socat$/) });
    expect(modules.map((m) => m.id)).toContain(upstreamId);

    await backends.stop();
    expect(reports).toEqual([]);
    // The hub said goodbye: the plain client's connection ends, and every listening socket file is gone.
    expect((await plain.exited).code).toBe(0);
    expectOnly(dir, ['server.sock', 'run.mcap']);
    const reader = await openCaptureReader(recording);
    const payloads: string[] = [];
    for await (const entry of reader.records) if (entry.type === 'message') payloads.push(Buffer.from(entry.payload).toString());
    // The tapped line once each way (to the server, its echo to the client), then the plain client's line.
    expect(payloads).toEqual(['through the app tap\n', 'through the app tap\n', 'over the plain listener']);
  }, 30_000);

  it('--tap-in-place from app argv: clients are tapped while it runs, and the quit path puts the socket file back exactly', async () => {
    const { dir, socket, server, original } = await liveServer(cleanup);
    const earlier = lineClient(cleanup, socket);
    await exchange(earlier, 'before');
    const hubSocket = path.join(tempDir(), 'hub.sock');
    const backends = appBackends();
    const { backend, announcements } = await startFromArgv(backends, ['--socket', hubSocket, '--tap-in-place', socket, '--tap-framing', 'lines']);
    expect(announcements[1]).toMatch(new RegExp(`^relayscope hub tapping ${escapeRegExp(socket)} in place .*framing lines: its server's socket is at `));
    expect(socketIdentity(socket).ino).not.toBe(original.ino);

    const tapped = lineClient(cleanup, socket);
    await exchange(tapped, 'through-the-app');
    const upstreamId = backend.inPlaceTaps[0]?.tap.upstreamId;
    expect((await backend.snapshot()).modules.map((m) => m.id)).toContain(upstreamId);
    tapped.child.stdin?.end();
    await tapped.exited;

    await backends.stop();
    expect(socketIdentity(socket)).toEqual(original);
    expectOnly(dir, ['server.sock']);
    expect(fs.existsSync(hubSocket)).toBe(false);
    await exchange(earlier, 'after');
    expect(server.accepted()).toBe(2);
  }, 30_000);

  it('a stop asked for while the hub is still starting (a signal at startup) waits for it and puts the in-place socket back', async () => {
    const { dir, socket, original } = await liveServer(cleanup);
    const hubSocket = path.join(tempDir(), 'hub.sock');
    const reports: string[] = [];
    const backends = appBackends(reports);
    const options = parseAppOptions(['--socket', hubSocket, '--tap-in-place', socket], {});
    const choosing = chooseBackend(options.target);
    backends.track(choosing.then((choice) => (choice.outcome === 'live hub found' ? null : choice.backend)));
    // Stopped before the start is awaited, as SIGINT right after launch does; the window never showed it.
    await backends.stop();
    expect((await choosing).outcome).toBe('started local hub');
    expect(reports).toEqual([]);
    expect(socketIdentity(socket)).toEqual(original);
    expectOnly(dir, ['server.sock']);
    expect(fs.existsSync(hubSocket)).toBe(false);
  }, 30_000);
});
