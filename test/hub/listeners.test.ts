import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeHello, encodeMessage, ErrorCode, listen, ListenError, MessageKind, type SocketAddress } from '../../electron/hub';
import { abstractSocketHelper } from '../../electron/sockets/abstractSocket';
import { useListenerFixture } from '../support/listenerFixture';
import { runToCompletion, spawnTracked } from '../support/processes';
import type { RawClient } from '../support/rawClient';
import { uniqueSuffix } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';

const fx = useListenerFixture();

/** Registers `id` at `address`, failing when the hub refuses. */
async function register(address: SocketAddress, id: string, token?: string): Promise<RawClient> {
  const client = await fx.connectTracked(address);
  const result = await client.hello(id, { token });
  if (result.error) throw new Error(`refused: ${result.error.message}`);
  return client;
}

/** Proves a hub at `address` relays: "probe-a" sends to "probe-b". */
async function expectRelays(address: SocketAddress): Promise<void> {
  const a = await register(address, `probe-a-${uniqueSuffix()}`);
  const bId = `probe-b-${uniqueSuffix()}`;
  const b = await register(address, bId);
  a.send(encodeMessage(MessageKind.UNICAST, bId, 'relayed'));
  await b.waitFor(() => b.messages().find((m) => m.payload.toString() === 'relayed'), 'a relayed message');
}

const modeOf = (file: string): number => fs.statSync(file).mode & 0o777;

describe('Unix socket paths', () => {
  it('creates the socket file with mode 0600 by default', async () => {
    const address: SocketAddress = { kind: 'path', path: path.join(fx.dir, 'hub.sock') };
    await fx.listenTracked(fx.newHub(), address);
    expect(fs.lstatSync(address.path).isSocket()).toBe(true);
    expect(modeOf(address.path)).toBe(0o600);
    await expectRelays(address);
  });

  it('creates the socket file with the configured mode', async () => {
    const address: SocketAddress = { kind: 'path', path: path.join(fx.dir, 'group.sock') };
    await fx.listenTracked(fx.newHub(), address, { mode: 0o660 });
    expect(modeOf(address.path)).toBe(0o660);
  });

  it('removes a stale socket file left by a killed server and binds in its place', async () => {
    const socketPath = path.join(fx.dir, 'stale.sock');
    const server = spawnTracked(fx.cleanup, process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('listening'))`]);
    await waitUntil(() => server.stdout().includes('listening'), 'the child server to listen');
    server.child.kill('SIGKILL');
    expect((await server.exited).signal).toBe('SIGKILL');
    expect(fs.lstatSync(socketPath).isSocket()).toBe(true);

    const warnings: string[] = [];
    const address: SocketAddress = { kind: 'path', path: socketPath };
    await fx.listenTracked(fx.newHub(), address, { warn: (line) => warnings.push(line) });
    expect(warnings.join('\n')).toMatch(/stale/);
    await expectRelays(address);
  });

  it('does not steal a socket another hub is listening on', async () => {
    const address: SocketAddress = { kind: 'path', path: path.join(fx.dir, 'live.sock') };
    await fx.listenTracked(fx.newHub(), address);
    const inodeBefore = fs.lstatSync(address.path).ino;
    await expect(listen(fx.newHub(), address)).rejects.toBeInstanceOf(ListenError);
    expect(fs.lstatSync(address.path).ino).toBe(inodeBefore);
    await expectRelays(address);
  });

  it('refuses a path that is a regular file and leaves the file intact', async () => {
    const file = path.join(fx.dir, 'notes.txt');
    fs.writeFileSync(file, 'precious');
    await expect(listen(fx.newHub(), { kind: 'path', path: file })).rejects.toBeInstanceOf(ListenError);
    expect(fs.readFileSync(file, 'utf8')).toBe('precious');
  });

  it('removes its socket file on close', async () => {
    const address: SocketAddress = { kind: 'path', path: path.join(fx.dir, 'closing.sock') };
    const listener = await listen(fx.newHub(), address);
    expect(fs.existsSync(address.path)).toBe(true);
    await listener.close();
    expect(fs.existsSync(address.path)).toBe(false);
  });

  // libuv unlinks the path it bound when the server closes; the listener binds a private name and
  // links it into place so that a file put at the public path later is never removed.
  it('leaves alone a file that replaced its socket file before close', async () => {
    const address: SocketAddress = { kind: 'path', path: path.join(fx.dir, 'replaced.sock') };
    const listener = await listen(fx.newHub(), address);
    fs.unlinkSync(address.path);
    fs.writeFileSync(address.path, 'someone else');
    await listener.close();
    expect(fs.readFileSync(address.path, 'utf8')).toBe('someone else');
  });
});

describe('TCP', () => {
  it('listens on 127.0.0.1 port 0 and relays without a token', async () => {
    const listener = await fx.listenTracked(fx.newHub(), { kind: 'tcp', host: '127.0.0.1', port: 0 });
    expect(listener.port).toBeGreaterThan(0);
    await expectRelays({ kind: 'tcp', host: '127.0.0.1', port: listener.port as number });
  });

  it('refuses a non-loopback address when the hub has no token', async () => {
    await expect(listen(fx.newHub(), { kind: 'tcp', host: '0.0.0.0', port: 0 })).rejects.toBeInstanceOf(ListenError);
  });

  it('on a non-loopback address requires the token in HELLO', async () => {
    const listener = await fx.listenTracked(fx.newHub({ token: 'tcp-secret' }), { kind: 'tcp', host: '0.0.0.0', port: 0 });
    const address: SocketAddress = { kind: 'tcp', host: '127.0.0.1', port: listener.port as number };
    const anonymous = await fx.connectTracked(address);
    anonymous.send(encodeHello({ id: 'anon' }));
    await anonymous.waitForError(ErrorCode.BAD_TOKEN);
    await anonymous.waitForClose();
    const trusted = await register(address, 'trusted', 'tcp-secret');
    expect(trusted.closed).toBe(false);
  });
});

describe('abstract socket names', () => {
  const helperBuilt = abstractSocketHelper() !== null;

  // Without the native helper Node binds a zero-padded name no C, Python or socat client can reach.
  it.runIf(helperBuilt)('is reachable from a Python stdlib client that says HELLO and sends a MESSAGE', async () => {
    const name = `rs-test-${uniqueSuffix()}`;
    const address: SocketAddress = { kind: 'abstract', name };
    const hub = fx.newHub();
    await fx.listenTracked(hub, address);
    const node = await register(address, 'node');
    const script = String.raw`
import socket, struct, sys
def frame(kind, body):
    return struct.pack('>IB', len(body) + 1, kind) + body
def read_frame(s):
    def exactly(n):
        data = b''
        while len(data) < n:
            chunk = s.recv(n - len(data))
            if not chunk:
                raise SystemExit('the hub closed the connection')
            data += chunk
        return data
    length, = struct.unpack('>I', exactly(4))
    body = exactly(length)
    return body[0], body[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect('\0' + sys.argv[1])
s.sendall(frame(0x01, bytes([1, 0, 2]) + b'py' + struct.pack('>H', 0)))
kind, body = read_frame(s)
if kind != 0x02:
    raise SystemExit('expected WELCOME, got frame type %d' % kind)
print('welcome', body[14:14 + body[13]].decode())
s.sendall(frame(0x10, bytes([0, 0]) + struct.pack('>I', 1) + bytes([4]) + b'node' + b'from python'))
s.sendall(frame(0x11, struct.pack('>I', 2)))
while read_frame(s)[0] != 0x12:
    pass
s.close()
`;
    const result = await runToCompletion(fx.cleanup, 'python3', ['-c', script, name], null);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('welcome py');
    const message = await node.waitFor(() => node.messages()[0], 'the message from Python');
    expect(message).toMatchObject({ peer: 'py', payload: Buffer.from('from python'), correlationId: 1 });
  });

  it.runIf(helperBuilt)('is reachable from socat piping a HELLO and a MESSAGE', async () => {
    const name = `rs-test-${uniqueSuffix()}`;
    const address: SocketAddress = { kind: 'abstract', name };
    await fx.listenTracked(fx.newHub(), address);
    const node = await register(address, 'node');
    const input = Buffer.concat([encodeHello({ id: 'socat' }), encodeMessage(MessageKind.UNICAST, 'node', 'from socat')]);
    const result = await runToCompletion(fx.cleanup, 'socat', ['-', `ABSTRACT-CONNECT:${name}`], input);
    expect(result.code).toBe(0);
    const message = await node.waitFor(() => node.messages()[0], 'the message from socat');
    expect(message).toMatchObject({ peer: 'socat', payload: Buffer.from('from socat') });
  });

  it.runIf(helperBuilt)('shows in ss -xl under its exact name, without NUL padding', async () => {
    const name = `rs-test-${uniqueSuffix()}`;
    await fx.listenTracked(fx.newHub(), { kind: 'abstract', name });
    const result = await runToCompletion(fx.cleanup, 'ss', ['-xlH'], null);
    const line = result.stdout.split('\n').find((l) => l.includes(`@${name}`));
    expect(line).toBeDefined();
    // ss prints each NUL of a padded name as '@', so the exact name must end at whitespace.
    expect(line).toMatch(new RegExp(`@${name}\\s`));
  });

  it.runIf(helperBuilt)('refuses a second listener on a name already in use', async () => {
    const address: SocketAddress = { kind: 'abstract', name: `rs-test-${uniqueSuffix()}` };
    await fx.listenTracked(fx.newHub(), address);
    await expect(listen(fx.newHub(), address)).rejects.toBeInstanceOf(ListenError);
    await expectRelays(address);
  });

  it('has the native helper built, as "npm run build" does on Linux', () => {
    expect(helperBuilt).toBe(process.platform === 'linux');
  });
});
