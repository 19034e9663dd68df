/**
 * The classic select() relay's clients (examples/classic/, as the article has them) against
 * `relayscope hub --plain id-byte=…`: compiled with gcc, run unmodified, and talking to each other
 * and to a Relayscope module.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RelayClient } from '../../electron/client';
import { ErrorCode, HubEventCode, type HubSnapshot } from '../../electron/hub';
import type { EventFrame } from '../../electron/protocol/frameCodec';
import { cliHarness } from '../support/cliHarness';
import { spawnTracked, type TrackedChild } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';

const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples', 'classic');
/** The clients sleep 10 s between connecting and writing. */
const CLIENT_RUN_MS = 20_000;

const { cli, cleanup } = cliHarness();

/** A directory with clientA and clientB compiled in it, where they bind A and B and find server_socket. */
function classicDir(): string {
  const dir = makeTempDir('rs-classic-');
  cleanup.add(() => removeTempDir(dir));
  for (const name of ['clientA', 'clientB']) execFileSync('gcc', ['-o', path.join(dir, name), path.join(EXAMPLES, `${name}.c`)], { stdio: 'pipe' });
  return dir;
}

async function startHub(dir: string): Promise<string> {
  const socket = path.join(dir, 'hub.sock');
  const hub = cli.start(['hub', '--socket', socket, '--plain', `id-byte=${path.join(dir, 'server_socket')}`]);
  await hub.waitForStdout(`relayscope hub listening on ${path.join(dir, 'server_socket')} for id-byte programs`);
  return socket;
}

function runClient(dir: string, name: string): TrackedChild {
  return spawnTracked(cleanup, path.join(dir, name), [], { cwd: dir });
}

async function monitor(socket: string): Promise<{ client: RelayClient; events: EventFrame[] }> {
  const client = await RelayClient.connect({ socket, id: 'watch', monitor: true, reconnect: false });
  cleanup.add(() => client.close());
  const events: EventFrame[] = [];
  client.on('hubEvent', (event: EventFrame) => events.push(event));
  return { client, events };
}

/** STATS, asked again until `ready` holds. */
async function statsWhen(watcher: RelayClient, ready: (stats: HubSnapshot) => boolean, what: string): Promise<HubSnapshot> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const stats = await watcher.stats();
    if (ready(stats)) return stats;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(stats.modules)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the classic A/B clients through --plain id-byte', () => {
  it('exchange 1 and 2 as in the article, and show in STATS with their pids and framing', async () => {
    const dir = classicDir();
    const socket = await startHub(dir);
    const { client: watcher } = await monitor(socket);
    const a = runClient(dir, 'clientA');
    const b = runClient(dir, 'clientB');
    const snapshot = await statsWhen(watcher, (stats) => stats.modules.length === 2, 'A and B registered');
    const byId = Object.fromEntries(snapshot.modules.map((module) => [module.id, module]));
    expect(byId.A).toMatchObject({ framing: 'id-byte', transport: 'unix', pid: a.child.pid, exe: path.join(dir, 'clientA'), uid: process.getuid?.() });
    expect(byId.B).toMatchObject({ framing: 'id-byte', pid: b.child.pid, exe: path.join(dir, 'clientB') });
    expect(byId.A.cmdline?.[0]).toBe(path.join(dir, 'clientA'));

    const [resultA, resultB] = await Promise.all([a.exited, b.exited]);
    expect(resultA.stdout).toBe('ClientA::succeed in connecting with server\nClientA::char from Client B =2\n');
    expect(resultB.stdout).toBe('ClientB::succeed in connecting with server\nClientB::char from Client A =1\n');
  }, 30_000);

  it(
    "lets a Relayscope module send to A, refuses what A cannot read, and makes A's message to nobody an ERROR event and a drop",
    async () => {
      const dir = classicDir();
      const socket = await startHub(dir);
      const { client: watcher, events } = await monitor(socket);
      const a = runClient(dir, 'clientA');
      await statsWhen(watcher, (stats) => stats.modules.some((module) => module.id === 'A'), 'A registered');

      const module = await RelayClient.connect({ socket, id: 'Z', reconnect: false });
      cleanup.add(() => module.close());
      const errors: { code: number; message: string }[] = [];
      module.on('remoteError', (error: { code: number; message: string }) => errors.push(error));
      module.send('A', 'too long');
      await waitUntil(() => errors.length === 1, 'the refusal of a 8-byte payload');
      expect(errors[0]).toMatchObject({ code: ErrorCode.NOT_PERMITTED });
      expect(errors[0].message).toContain('exactly one data byte');

      const long = await RelayClient.connect({ socket, id: 'long-name', reconnect: false });
      cleanup.add(() => long.close());
      const longErrors: { message: string }[] = [];
      long.on('remoteError', (error: { message: string }) => longErrors.push(error));
      long.send('A', 'x');
      await waitUntil(() => longErrors.length === 1, 'the refusal of a source ID of 9 bytes');
      expect(longErrors[0].message).toContain('"long-name" is 9 bytes long');

      module.send('A', 'q');
      // A writes "B1" after its sleep; no B is connected.
      const result = await a.exited;
      expect(result.stdout).toBe('ClientA::succeed in connecting with server\nClientA::char from Client Z =q\n');

      const unknown = await waitUntil(() => events.find((event) => event.event === HubEventCode.ERROR && event.id === 'A'), 'the ERROR event of A’s message to B');
      expect(unknown.code).toBe(ErrorCode.NO_SUCH_MODULE);
      expect(unknown.detail).toBe('no module "B" is connected');
      const totals = (await watcher.stats()).totals;
      expect(totals.drops).toBe(1);
    },
    CLIENT_RUN_MS + 10_000,
  );
});
