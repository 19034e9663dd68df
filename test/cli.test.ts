import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CliProcesses, ensureFreshBuild, type CliProcess } from './support/cliProcess';

const COMMANDS = ['hub', 'send', 'broadcast', 'request', 'listen', 'monitor', 'list'];

describe('relayscope CLI', () => {
  let dir: string;
  let socket: string;
  let cli: CliProcesses;

  beforeAll(() => ensureFreshBuild(), 180_000);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relayscope-cli-'));
    socket = path.join(dir, 'hub.sock');
    cli = new CliProcesses();
  });

  afterEach(async () => {
    await cli.stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function startHub(hubSocket = socket, options?: { env?: Record<string, string> }): Promise<CliProcess> {
    const hub = cli.start(['hub', '--socket', hubSocket], options);
    await hub.waitForStdout(`relayscope hub listening on ${hubSocket}`);
    return hub;
  }

  /** Starts `listen` and waits until its module is registered, so messages sent next reach it. */
  async function startListener(args: string[], hubSocket = socket): Promise<CliProcess> {
    const listener = cli.start(['listen', '--socket', hubSocket, ...args]);
    await listener.waitForStderr(/^relayscope: listening as /);
    return listener;
  }

  it('lists every command in --help, and shows a command’s flags with help <command> and <command> --help', async () => {
    const overview = await cli.run(['--help']);
    expect(overview.exit.code).toBe(0);
    for (const command of COMMANDS) expect(overview.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));

    const viaHelp = await cli.run(['help', 'send']);
    const viaFlag = await cli.run(['send', '--help']);
    expect(viaHelp.exit.code).toBe(0);
    expect(viaHelp.stdout).toContain('Usage: relayscope send --as ID --to DEST [PAYLOAD]');
    expect(viaFlag.stdout).toBe(viaHelp.stdout);

    const version = await cli.run(['--version']);
    expect(version.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version);
  });

  it('relays a message each way between separate module processes', async () => {
    await startHub();
    const b = await startListener(['--as', 'B', '--count', '1']);
    const toB = await cli.run(['send', '--socket', socket, '--as', 'A', '--to', 'B', '1']);
    expect(toB.exit.code).toBe(0);
    expect(await b.waitForExit()).toEqual({ code: 0, signal: null });
    expect(b.stdout).toBe('A: 1\n');

    const a = await startListener(['--as', 'A', '--count', '1']);
    const toA = await cli.run(['send', '--socket', socket, '--as', 'B', '--to', 'A', '2']);
    expect(toA.exit.code).toBe(0);
    expect(await a.waitForExit()).toEqual({ code: 0, signal: null });
    expect(a.stdout).toBe('B: 2\n');
  });

  it('delivers a broadcast to every listening module', async () => {
    await startHub();
    const listeners = [await startListener(['--as', 'L1', '--count', '1']), await startListener(['--as', 'L2', '--count', '1'])];
    const broadcast = await cli.run(['broadcast', '--socket', socket, '--as', 'caster', 'hello all']);
    expect(broadcast.exit.code).toBe(0);
    for (const listener of listeners) {
      expect((await listener.waitForExit()).code).toBe(0);
      expect(listener.stdout).toBe('caster (broadcast): hello all\n');
    }
  });

  it('exits 1 with one line naming the destination when sending to a module that is not connected', async () => {
    await startHub();
    const send = await cli.run(['send', '--socket', socket, '--as', 'A', '--to', 'nobody', 'hi']);
    expect(send.exit.code).toBe(1);
    expect(send.stderr).toBe('relayscope: no module "nobody" is connected\n');
  });

  it('prints the reply that a module listening with --echo sends to a request', async () => {
    await startHub();
    const echo = await startListener(['--as', 'echo', '--echo']);
    const request = await cli.run(['request', '--socket', socket, '--as', 'asker', '--to', 'echo', 'ping?', '--timeout', '3000']);
    expect(request.exit.code).toBe(0);
    expect(request.stdout).toBe('ping?\n');
    await echo.waitForStdout(/^asker \(request #\d+\): ping\?$/);
  });

  it('exits 1 with one line when a request gets no reply within --timeout', async () => {
    await startHub();
    await startListener(['--as', 'mute']);
    const request = await cli.run(['request', '--socket', socket, '--as', 'asker', '--to', 'mute', 'anyone?', '--timeout', '300']);
    expect(request.exit.code).toBe(1);
    expect(request.stdout).toBe('');
    expect(request.stderr).toBe('relayscope: no reply from "mute" within 300 ms\n');
  });

  it('reads the payload of send from standard input, byte for byte, when no payload argument is given', async () => {
    await startHub();
    const listener = await startListener(['--as', 'B', '--count', '1', '--format', 'json']);
    const bytes = Buffer.from([0x00, 0xff, 0x0a, 0x41]);
    const send = await cli.run(['send', '--socket', socket, '--as', 'A', '--to', 'B'], { stdin: bytes });
    expect(send.exit.code).toBe(0);
    expect((await listener.waitForExit()).code).toBe(0);
    const received = JSON.parse(listener.stdout);
    expect(received).toMatchObject({ source: 'A', kind: 'unicast', size: 4, text: null, base64: bytes.toString('base64') });
  });

  it('shows the traffic of a send in monitor', async () => {
    await startHub();
    await startListener(['--as', 'B']);
    const monitor = cli.start(['monitor', '--socket', socket]);
    await monitor.waitForStderr(/^relayscope: monitoring /);
    expect((await cli.run(['send', '--socket', socket, '--as', 'A', '--to', 'B', 'hello\x01'])).exit.code).toBe(0);
    await monitor.waitForStdout(/^\d\d:\d\d:\d\d\.\d{6} A -> B unicast 6B hello\\x01$/);
    await monitor.waitForStdout(/^\d\d:\d\d:\d\d\.\d{6} join A \(pid \d+, uid \d+, \/\S+\)$/);
  });

  it('lists the ID of a connected listener with its statistics', async () => {
    await startHub();
    await startListener(['--as', 'sensor-7']);
    const list = await cli.run(['list', '--socket', socket]);
    expect(list.exit.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TRANSPORT\s+CONNECTED\s+SENT\s+RECEIVED/);
    expect(lines[1]).toMatch(/^sensor-7\s+unix\s+\d+s\s+0\s+0\s/);
    expect(lines.at(-1)).toMatch(/^total: 1 module, /);
  });

  it('exits 1 naming the socket it tried when no hub is running', async () => {
    const missing = path.join(dir, 'nobody-home.sock');
    const send = await cli.run(['send', '--socket', missing, '--as', 'A', '--to', 'B', 'x']);
    expect(send.exit.code).toBe(1);
    expect(send.stderr.split('\n')).toHaveLength(2);
    expect(send.stderr).toMatch(/^relayscope: .+/);
    expect(send.stderr).toContain(missing);
  });

  it('refuses a second hub on a live socket path with exit 1 while the first keeps serving', async () => {
    await startHub();
    const second = await cli.run(['hub', '--socket', socket]);
    expect(second.exit.code).toBe(1);
    expect(second.stderr).toBe(`relayscope: a hub is already listening on ${socket}; connect to it, or stop it first\n`);
    expect(fs.existsSync(socket)).toBe(true);

    const listener = await startListener(['--as', 'B', '--count', '1']);
    expect((await cli.run(['send', '--socket', socket, '--as', 'A', '--to', 'B', 'still here'])).exit.code).toBe(0);
    await listener.waitForExit();
    expect(listener.stdout).toBe('A: still here\n');
  });

  it('stops on SIGTERM with exit 0, removes its socket file and tells connected listeners', async () => {
    const hub = await startHub();
    const listener = await startListener(['--as', 'B']);
    await hub.waitForStdout(/^\d\d:\d\d:\d\d\.\d{3} \+ B joined via /);
    hub.signal('SIGTERM');
    expect(await hub.waitForExit()).toEqual({ code: 0, signal: null });
    expect(hub.stdout.trimEnd().split('\n').at(-1)).toBe('relayscope hub stopped');
    expect(fs.existsSync(socket)).toBe(false);
    await listener.waitForStderr(/^relayscope: disconnected from .*; reconnecting$/);
  });

  it('removes a stale socket file left by a killed hub and starts serving on it', async () => {
    const killed = await startHub();
    killed.signal('SIGKILL');
    await killed.waitForExit();
    expect(fs.lstatSync(socket).isSocket()).toBe(true);

    const hub = await startHub();
    expect(hub.stderr).toContain(`relayscope: warning: removed stale socket file ${socket}`);
    const list = await cli.run(['list', '--socket', socket]);
    expect(list.exit.code).toBe(0);
  });

  it('keeps listen running across a hub restart and delivers a message sent after it', async () => {
    const firstHub = await startHub();
    const listener = await startListener(['--as', 'B', '--count', '1']);
    firstHub.signal('SIGTERM');
    await firstHub.waitForExit();
    await listener.waitForStderr(/^relayscope: disconnected from /);

    await startHub();
    await listener.waitForStderr(`relayscope: reconnected to ${socket} as B`, 10_000);
    expect((await cli.run(['send', '--socket', socket, '--as', 'A', '--to', 'B', 'after restart'])).exit.code).toBe(0);
    expect((await listener.waitForExit()).code).toBe(0);
    expect(listener.stdout).toBe('A: after restart\n');
  });

  it('uses RELAYSCOPE_SOCKET as the default socket of the hub and of clients', async () => {
    const envSocket = path.join(dir, 'from-env.sock');
    const env = { RELAYSCOPE_SOCKET: envSocket };
    const hub = cli.start(['hub'], { env });
    await hub.waitForStdout(`relayscope hub listening on ${envSocket}`);
    const listener = cli.start(['listen', '--as', 'B', '--count', '1'], { env });
    await listener.waitForStderr(`relayscope: listening as B on ${envSocket}`);
    expect((await cli.run(['send', '--as', 'A', '--to', 'B', 'via env'], { env })).exit.code).toBe(0);
    await listener.waitForExit();
    expect(listener.stdout).toBe('A: via env\n');
  });

  it('exits 2 with one line naming the bad flag and the help to read', async () => {
    const unknownFlag = await cli.run(['send', '--as', 'A', '--too', 'B', 'x']);
    expect(unknownFlag.exit.code).toBe(2);
    expect(unknownFlag.stderr).toBe('relayscope: unknown flag --too for send; see relayscope send --help\n');

    const missingFlag = await cli.run(['send', '--as', 'A', 'x']);
    expect(missingFlag.exit.code).toBe(2);
    expect(missingFlag.stderr).toBe('relayscope: send needs --to; see relayscope send --help\n');

    const badNumber = await cli.run(['listen', '--as', 'A', '--count', 'many']);
    expect(badNumber.exit.code).toBe(2);
    expect(badNumber.stderr).toBe('relayscope: --count must be a whole number of at least 1, not "many"; see relayscope listen --help\n');

    const unknownCommand = await cli.run(['sned']);
    expect(unknownCommand.exit.code).toBe(2);
    expect(unknownCommand.stderr).toBe('relayscope: unknown command "sned"; see relayscope --help\n');
  });
});
