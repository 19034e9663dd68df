import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultSocket, encodeMessage, listen, ListenError, MessageKind, parseSocketAddress, RelayHub } from '../../electron/hub';
import { ensurePrivateDir, PrivateDirError } from '../../electron/sockets/privateDir';
import { Cleanup } from '../support/cleanup';
import { RawClient } from '../support/rawClient';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const uid = process.getuid?.() ?? 0;
const modeOf = (file: string): number => fs.lstatSync(file).mode & 0o7777;

let cleanup: Cleanup;
let dir: string;
beforeEach(() => {
  cleanup = new Cleanup();
  dir = makeTempDir();
  cleanup.add(() => removeTempDir(dir));
});
afterEach(async () => {
  await cleanup.run();
});

describe('the default socket', () => {
  it('is relayscope.sock in a relayscope-$UID directory of the temporary directory, not a file directly in it', () => {
    expect(defaultSocket({ TMPDIR: '/var/tmp/' })).toBe(`/var/tmp/relayscope-${uid}/relayscope.sock`);
    expect(defaultSocket({})).toBe(`/tmp/relayscope-${uid}/relayscope.sock`);
    // $RELAYSCOPE_SOCKET and $XDG_RUNTIME_DIR still come first.
    expect(defaultSocket({ XDG_RUNTIME_DIR: '/run/user/4242', TMPDIR: '/var/tmp' })).toBe('/run/user/4242/relayscope.sock');
    expect(defaultSocket({ RELAYSCOPE_SOCKET: '@team', XDG_RUNTIME_DIR: '/run/user/4242' })).toBe('@team');
  });

  it('is listened on in a directory the hub creates with mode 0700', async () => {
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = dir;
    cleanup.add(() => (previous === undefined ? delete process.env.TMPDIR : (process.env.TMPDIR = previous)));
    const address = parseSocketAddress(defaultSocket({ TMPDIR: dir }));
    const hub = new RelayHub();
    cleanup.add(() => hub.close('test finished', 200));
    const listener = await listen(hub, address);
    cleanup.add(() => listener.close());

    const privateDir = path.join(dir, `relayscope-${uid}`);
    expect(modeOf(privateDir)).toBe(0o700);
    expect(fs.lstatSync(privateDir).uid).toBe(uid);
    expect(fs.lstatSync(path.join(privateDir, 'relayscope.sock')).isSocket()).toBe(true);
    const a = await RawClient.connect(address);
    cleanup.add(() => a.close());
    const b = await RawClient.connect(address);
    cleanup.add(() => b.close());
    expect((await a.hello('a')).error).toBeUndefined();
    expect((await b.hello('b')).error).toBeUndefined();
    a.send(encodeMessage(MessageKind.UNICAST, 'b', 'through the private directory'));
    await b.waitFor(() => b.messages().find((m) => m.payload.toString() === 'through the private directory'), 'the relayed message');
  });

  it('is refused with what to do when its directory is not private, and the hub binds nothing', async () => {
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = dir;
    cleanup.add(() => (previous === undefined ? delete process.env.TMPDIR : (process.env.TMPDIR = previous)));
    const privateDir = path.join(dir, `relayscope-${uid}`);
    fs.mkdirSync(privateDir, { mode: 0o755 });
    fs.chmodSync(privateDir, 0o755);
    const failure = listen(new RelayHub(), parseSocketAddress(defaultSocket({ TMPDIR: dir })));
    await expect(failure).rejects.toBeInstanceOf(ListenError);
    await expect(failure).rejects.toThrow(`it has mode 0755, not 0700, so other users may reach or replace the socket in it. It is yours: run chmod 700 ${privateDir}`);
    expect(fs.readdirSync(privateDir)).toEqual([]);
  });
});

describe('ensurePrivateDir', () => {
  it('creates the directory with mode 0700 even under a umask that removes owner bits', () => {
    const target = path.join(dir, 'made');
    const previous = process.umask(0o377);
    try {
      ensurePrivateDir(target);
    } finally {
      process.umask(previous);
    }
    expect(modeOf(target)).toBe(0o700);
    // A second call accepts what the first made.
    expect(() => ensurePrivateDir(target)).not.toThrow();
  });

  it('refuses a symlink at the name, even to a private directory of this user', () => {
    const real = path.join(dir, 'real');
    fs.mkdirSync(real, { mode: 0o700 });
    const link = path.join(dir, 'link');
    fs.symlinkSync(real, link);
    expect(() => ensurePrivateDir(link)).toThrow(PrivateDirError);
    expect(() => ensurePrivateDir(link)).toThrow('it is not a directory (it is a symbolic link or a file)');
  });

  it('refuses a regular file at the name', () => {
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, '');
    expect(() => ensurePrivateDir(file)).toThrow('it is not a directory');
  });

  it('refuses a directory whose parent any user may write without the sticky bit', () => {
    const parent = path.join(dir, 'open');
    fs.mkdirSync(parent);
    fs.chmodSync(parent, 0o777);
    expect(() => ensurePrivateDir(path.join(parent, 'relayscope-1'))).toThrow(`${parent} is writable by every user and has no sticky bit`);
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  // Root can give a directory to any uid without that user existing; test/crossUser.test.ts does it with a real one.
  it.runIf(uid === 0)('refuses a directory that belongs to another uid, naming it', () => {
    const squatted = path.join(dir, 'squatted');
    fs.mkdirSync(squatted, { mode: 0o700 });
    fs.chownSync(squatted, 54321, 54321);
    expect(() => ensurePrivateDir(squatted)).toThrow(`it belongs to uid 54321, not to you (uid 0). Another user may have created it to intercept your hub's traffic.`);
  });
});
