/**
 * `relayscope hub --plain line=…`: text-line programs (socat, python3) chat through the hub as the
 * chat room's users did, the fourth is told "too many users", and a line the hub's frame limit
 * cannot take is answered and disconnected without touching anyone else.
 */
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RelayClient } from '../../electron/client';
import type { ReceivedMessage } from '../../electron/client/clientTypes';
import type { CliProcess } from '../support/cliProcess';
import { cliHarness } from '../support/cliHarness';
import { spawnTracked, type TrackedChild } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';

const { cli, cleanup } = cliHarness();

async function startHub(extra: string[]): Promise<{ socket: string; chat: string; hub: CliProcess }> {
  const dir = makeTempDir('rs-line-');
  cleanup.add(() => removeTempDir(dir));
  const socket = path.join(dir, 'hub.sock');
  const chat = path.join(dir, 'chat.sock');
  const hub = cli.start(['hub', '--socket', socket, '--plain', `line=${chat}`, ...extra]);
  await hub.waitForStdout(`relayscope hub listening on ${chat} for line programs`);
  return { socket, chat, hub };
}

/** socat between a pipe and the chat socket: what we write to its stdin is the user typing. */
function socatUser(chat: string): TrackedChild {
  return spawnTracked(cleanup, 'socat', ['-', `UNIX-CONNECT:${chat}`]);
}

/** A python3 line client: sends its lines, then prints what it reads until the hub closes. */
function pythonUser(chat: string, lines: string[]): TrackedChild {
  const script = [
    'import socket, sys',
    's = socket.socket(socket.AF_UNIX)',
    's.connect(sys.argv[1])',
    'for line in sys.argv[2:]: s.sendall(line.encode() + b"\\n")',
    'while True:',
    '    data = s.recv(65536)',
    '    if not data: break',
    '    sys.stdout.write(data.decode("utf-8", "replace")); sys.stdout.flush()',
  ].join('\n');
  return spawnTracked(cleanup, 'python3', ['-c', script, chat, ...lines]);
}

describe('line programs through --plain line', () => {
  it('three users chat (broadcast, @ID, /nick), a fourth hears "too many users", and a Relayscope module joins in', async () => {
    const { socket, chat, hub } = await startHub(['--max-connections', '3']);
    const users = Object.fromEntries(['alice', 'bob', 'dave'].map((name) => [name, socatUser(chat)]));
    for (const [name, user] of Object.entries(users)) user.child.stdin?.write(`/nick ${name}\n`);
    for (const name of Object.keys(users)) await hub.waitForStdout(new RegExp(` \\+ ${name} joined via `));
    const { alice, bob, dave } = users;

    const fourth = pythonUser(chat, ['hello?']);
    expect((await fourth.exited).stdout).toBe('! too many users: the hub allows 3 connections\n');

    alice.child.stdin?.write('hello everyone\n');
    await waitUntil(() => bob.stdout().includes('alice: hello everyone\n') && dave.stdout().includes('alice: hello everyone\n'), 'bob and dave read alice');
    bob.child.stdin?.write('@alice just you\n');
    await waitUntil(() => alice.stdout().includes('bob: just you\n'), 'alice reads bob’s @alice line');
    bob.child.stdin?.write('@nobody hi\n');
    await waitUntil(() => bob.stdout().includes('! no module "nobody" is connected\n'), 'bob is told');
    expect(alice.stdout()).not.toContain('hello everyone');
    expect(dave.stdout()).not.toContain('just you');

    dave.child.stdin?.end();
    await hub.waitForStdout(/ - dave left: /);
    const module = await RelayClient.connect({ socket, id: 'carol', reconnect: false });
    cleanup.add(() => module.close());
    const received: ReceivedMessage[] = [];
    module.on('message', (message: ReceivedMessage) => received.push(message));
    alice.child.stdin?.write('welcome carol\n');
    await waitUntil(() => received.find((message) => message.source === 'alice'), 'carol (a Relayscope module) receives the broadcast');
    expect(received[0]).toMatchObject({ kind: 'broadcast', source: 'alice' });
    expect(received[0].payload.toString()).toBe('welcome carol');
    module.send('bob', Buffer.from('tab\there \x01 é'));
    await waitUntil(() => bob.stdout().includes('carol: tab\\there \\x01 é\n'), 'bob reads carol, escaped');
  }, 30_000);

  it('names a user line-<n> when the first line is no /nick, and refuses an invalid /nick with one line', async () => {
    const { socket, chat } = await startHub([]);
    const module = await RelayClient.connect({ socket, id: 'listener', reconnect: false });
    cleanup.add(() => module.close());
    const received: ReceivedMessage[] = [];
    module.on('message', (message: ReceivedMessage) => received.push(message));
    const plain = socatUser(chat);
    plain.child.stdin?.write('first words\n');
    await waitUntil(() => received.length === 1, 'the first line, relayed');
    expect(received[0].source).toBe('line-1');
    const watcher = await RelayClient.connect({ socket, id: 'w', monitor: true, reconnect: false });
    cleanup.add(() => watcher.close());
    const snapshot = await watcher.stats();
    expect(snapshot.modules.find((m) => m.id === 'line-1')).toMatchObject({ framing: 'line', transport: 'unix', pid: plain.child.pid, exe: expect.stringMatching(/socat$/) });
    expect(snapshot.modules.find((m) => m.id === 'listener')?.framing).toBeUndefined();
    const bad = pythonUser(chat, ['/nick two words']);
    const refused = await bad.exited;
    expect(refused.stdout).toMatch(/^! module ID contains whitespace[^\n]*\n$/);
  }, 20_000);

  it('answers a 1 MiB line without a newline with one line and disconnects it; the other users carry on', async () => {
    const { socket, chat } = await startHub(['--max-frame', '65536']);
    const module = await RelayClient.connect({ socket, id: 'steady', reconnect: false });
    cleanup.add(() => module.close());
    const received: ReceivedMessage[] = [];
    module.on('message', (message: ReceivedMessage) => received.push(message));
    const other = socatUser(chat);
    other.child.stdin?.write('/nick other\n');

    const flood = net.createConnection(chat);
    cleanup.add(() => flood.destroy());
    let answer = '';
    flood.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    const closed = new Promise<void>((resolve) => flood.on('close', () => resolve()));
    flood.on('error', () => {});
    flood.write('/nick flood\n');
    flood.write(Buffer.alloc(1024 * 1024, 0x61));
    await closed;
    expect(answer).toMatch(/^! line too long: the hub takes at most 65536 bytes up to a newline \([^\n]*\)\n$/);

    other.child.stdin?.write('still here\n');
    await waitUntil(() => received.find((message) => message.payload.toString() === 'still here'), 'the other user’s line after the flood');
    module.send('other', 'and you?');
    await waitUntil(() => other.stdout().includes('steady: and you?\n'), 'the other user still reads');
    const watcher = await RelayClient.connect({ socket, id: 'w', monitor: true, reconnect: false });
    cleanup.add(() => watcher.close());
    const snapshot = await watcher.stats();
    expect(snapshot.modules.map((m) => m.id).sort()).toEqual(['other', 'steady']);
  }, 20_000);
});
