/**
 * The access policy (--allow-uid, --allow-gid, --owner) with real peers of other users: the hub runs
 * as this test's user (root here), python3 clients and socat run as nobody and daemon through
 * setpriv. Refusals are NOT_PERMITTED naming the peer, counted in STATS and seen by a monitor.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RelayClient } from '../../electron/client';
import { ErrorCode, HubEventCode, type HubSnapshot } from '../../electron/hub';
import type { EventFrame } from '../../electron/protocol/frameCodec';
import { cliHarness } from '../support/cliHarness';
import { runToCompletion, spawnTracked } from '../support/processes';
import { uniqueSuffix } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';

const PYTHON_LIB = path.resolve(__dirname, '..', '..', 'clients', 'python');
const NOBODY = 65534;
const DAEMON = 1;
/** Dropping to another uid needs root; the users are the ones every Debian image has. */
const canSwitchUsers = process.getuid?.() === 0;

/**
 * Registers as argv[2] at argv[1] and prints "welcome ID PID", or "refused CODE_NAME|REF|MESSAGE";
 * a welcomed one then waits for its standard input to end.
 */
const PYTHON_CLIENT = `
import os, sys
sys.path.insert(0, ${JSON.stringify(PYTHON_LIB)})
import relayscope
try:
    client = relayscope.Client.connect(sys.argv[2], sys.argv[1], timeout=5)
except relayscope.RelayError as err:
    print("refused %s|%s|%s" % (err.code_name, err.ref, err.message), flush=True)
    sys.exit(3)
print("welcome %s %d" % (client.id, os.getpid()), flush=True)
sys.stdin.read()
`;

const { cli, cleanup } = cliHarness();

function asUser(uid: number, command: string, args: string[]): [string, string[]] {
  return ['setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', command, ...args]];
}

/** A python3 client as `uid` that stays connected when welcomed; resolves with its first line. */
async function pythonClient(uid: number, address: string, id: string): Promise<string> {
  const [command, args] = asUser(uid, '/usr/bin/python3', ['-c', PYTHON_CLIENT, address, id]);
  const child = spawnTracked(cleanup, command, args);
  await waitUntil(() => child.stdout().includes('\n') || child.child.exitCode !== null, `a line from the python client ${id} (stderr: ${child.stderr()})`, 10_000);
  return child.stdout().split('\n')[0];
}

async function startHub(flags: string[]): Promise<{ socket: string; watcher: RelayClient; events: EventFrame[] }> {
  const socket = `@rs-policy-${uniqueSuffix()}`;
  const hub = cli.start(['hub', '--socket', socket, ...flags]);
  await hub.waitForStdout(`relayscope hub listening on ${socket}`);
  // The monitor runs as the hub's own user, whom the policy always admits.
  const watcher = await RelayClient.connect({ socket, id: 'watch', monitor: true, reconnect: false });
  cleanup.add(() => watcher.close());
  const events: EventFrame[] = [];
  watcher.on('hubEvent', (event: EventFrame) => events.push(event));
  return { socket, watcher, events };
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

const notPermittedEvents = (events: EventFrame[]): EventFrame[] => events.filter((event) => event.event === HubEventCode.ERROR && event.code === ErrorCode.NOT_PERMITTED);

describe.runIf(canSwitchUsers)('access policy by peer identity', () => {
  it('--allow-uid with a user name admits nobody and refuses daemon before HELLO, naming its uid and pid, counted and seen by a monitor', async () => {
    const { socket, watcher, events } = await startHub(['--allow-uid', 'nobody']);
    const allowed = await pythonClient(NOBODY, socket, 'as-nobody');
    expect(allowed).toMatch(/^welcome as-nobody \d+$/);

    const refused = await pythonClient(DAEMON, socket, 'as-daemon');
    expect(refused).toMatch(/^refused NOT_PERMITTED\|\|uid 1 \(daemon\), gid 1, pid \d+, \/usr\/bin\/python3[.\d]* may not connect to @rs-policy-/);
    expect(refused).toContain('the hub admits its own user; uid 65534');

    await waitUntil(() => notPermittedEvents(events).length === 1, 'the refusal as a monitor EVENT');
    expect(notPermittedEvents(events)[0].detail).toMatch(/^uid 1 \(daemon\), gid 1, pid \d+, \/usr\/bin\/python3/);
    const stats: HubSnapshot = await watcher.stats();
    expect(stats.totals.connectionsNotPermitted).toBe(1);
    expect(stats.modules.map((module) => [module.id, module.uid])).toEqual([['as-nobody', NOBODY]]);
  });

  it('--allow-gid admits by the gid the kernel reports for the peer', async () => {
    const { socket, watcher } = await startHub(['--allow-gid', 'daemon']);
    expect(await pythonClient(DAEMON, socket, 'in-group')).toMatch(/^welcome in-group /);
    expect(await pythonClient(NOBODY, socket, 'not-in-group')).toMatch(/^refused NOT_PERMITTED\|\|uid 65534 \(nobody\), gid 65534, .* the hub admits its own user; gid 1$/);
    expect((await watcher.stats()).totals.connectionsNotPermitted).toBe(1);
  });

  it('--owner reserves a module ID for one user: anyone else is refused that ID (ref names it) and may take others', async () => {
    const { socket, watcher, events } = await startHub(['--owner', 'keeper=daemon']);
    expect(await pythonClient(NOBODY, socket, 'keeper')).toMatch(
      /^refused NOT_PERMITTED\|keeper\|module ID "keeper" is reserved for uid 1 \(daemon\) \(--owner\); uid 65534 \(nobody\), gid 65534, pid \d+/,
    );
    expect(await pythonClient(NOBODY, socket, 'free-id')).toMatch(/^welcome free-id /);
    expect(await pythonClient(DAEMON, socket, 'keeper')).toMatch(/^welcome keeper /);
    await waitUntil(() => notPermittedEvents(events).length === 1, 'the refusal as a monitor EVENT');
    expect((await watcher.stats()).totals.connectionsNotPermitted).toBe(1);
  });

  it('refuses a line client of another user with one line it can read, and closes', async () => {
    const chat = `@rs-policy-chat-${uniqueSuffix()}`;
    const { watcher } = await startHub(['--allow-uid', 'nobody', '--plain', `line=${chat}`]);
    const [command, args] = asUser(DAEMON, 'socat', ['-t', '0.2', '-', `ABSTRACT-CONNECT:${chat.slice(1)}`]);
    const refused = await runToCompletion(cleanup, command, args, null, 10_000);
    expect(refused.stdout).toMatch(/^! uid 1 \(daemon\), gid 1, pid \d+, \/usr\/bin\/socat may not connect to @rs-policy-chat-\S+: the hub admits its own user; uid 65534\n$/);

    const [allowedCommand, allowedArgs] = asUser(NOBODY, 'socat', ['-t', '5', '-', `ABSTRACT-CONNECT:${chat.slice(1)}`]);
    const allowed = spawnTracked(cleanup, allowedCommand, allowedArgs);
    allowed.child.stdin?.write('/nick from-nobody\n');
    const stats = await statsWhen(watcher, (snapshot) => snapshot.modules.some((module) => module.id === 'from-nobody'), 'the allowed line client registered');
    expect(stats.modules.map((module) => [module.id, module.uid, module.framing])).toEqual([['from-nobody', NOBODY, 'line']]);
    expect(stats.totals.connectionsNotPermitted).toBe(1);
  });

  it('places a loopback TCP peer by /proc before HELLO: another user is refused, an allowed one admitted with its pid', async () => {
    const socket = `@rs-policy-${uniqueSuffix()}`;
    const hub = cli.start(['hub', '--socket', socket, '--tcp', '127.0.0.1:0', '--allow-uid', `${NOBODY}`]);
    const line = await hub.waitForStdout(/^relayscope hub listening on tcp:\/\/127\.0\.0\.1:\d+$/);
    const address = line.slice('relayscope hub listening on '.length);
    const allowed = await pythonClient(NOBODY, address, 'tcp-nobody');
    expect(allowed).toMatch(/^welcome tcp-nobody \d+$/);
    const refused = await pythonClient(DAEMON, address, 'tcp-daemon');
    expect(refused).toMatch(/^refused NOT_PERMITTED\|\|uid 1 \(daemon\)(, gid 1, pid \d+, \/usr\/bin\/python3[.\d]*)? may not connect to tcp:\/\/127\.0\.0\.1:\d+/);
    // list is a monitor, which a TCP listener admits only with the token: asked on the Unix socket.
    const list = await cli.run(['list', '--socket', socket, '--format', 'json']);
    const modules = (JSON.parse(list.stdout) as HubSnapshot).modules;
    expect(modules.map((module) => [module.id, module.uid, module.pid])).toEqual([['tcp-nobody', NOBODY, Number(allowed.split(' ')[2])]]);
  });
});

describe('access policy flags', () => {
  it('refuses names that are in neither /etc/passwd nor /etc/group, and an --owner that is not ID=USER, with the fix', async () => {
    const unknownUser = await cli.run(['hub', '--socket', `@rs-policy-${uniqueSuffix()}`, '--allow-uid', '0,no-such-user-rs']);
    expect(unknownUser.exit.code).toBe(2);
    expect(unknownUser.stderr).toContain('--allow-uid: no user named "no-such-user-rs" in /etc/passwd; give its number instead');
    const unknownGroup = await cli.run(['hub', '--socket', `@rs-policy-${uniqueSuffix()}`, '--allow-gid', 'no-such-group-rs']);
    expect(unknownGroup.stderr).toContain('--allow-gid: no group named "no-such-group-rs" in /etc/group; give its number instead');
    const badOwner = await cli.run(['hub', '--socket', `@rs-policy-${uniqueSuffix()}`, '--owner', 'keeper']);
    expect(badOwner.exit.code).toBe(2);
    expect(badOwner.stderr).toContain('--owner takes ID=USER (a user name or uid), e.g. --owner sensor=alice, not "keeper"');
    const twoOwners = await cli.run(['hub', '--socket', `@rs-policy-${uniqueSuffix()}`, '--owner', 'keeper=0', '--owner', 'keeper=1']);
    expect(twoOwners.stderr).toContain('--owner gives module ID "keeper" to two users; an ID has one owner');
  });
});
