import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { listen, ListenError, RelayHub } from '../../electron/hub';
import { Cleanup } from '../support/cleanup';
import { spawnTracked } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';

/**
 * The attacker of issue 8, break 5, in a directory it may write: it renames a symlink to a file of
 * its choosing over the private name the hub binds before linking it into place. A hub that sets the
 * mode with chmod() by name after bind() follows that symlink. The name is ".<basename>.<pid>.<ms in
 * base 36>", so the attacker spins on lstat() of this and the previous millisecond's name, which is
 * fast enough to land in the window on many attempts (reading the directory or inotify rarely is).
 */
const ATTACKER = String.raw`
const fs = require('fs'), path = require('path');
const [dir, prefix, target] = process.argv.slice(1);
let n = 0;
const link = () => { const name = path.join(dir, 'attack-' + n++); fs.symlinkSync(target, name); return name; };
let next = link();
const isSocket = (file) => { try { return fs.lstatSync(file).isSocket(); } catch { return false; } };
setImmediate(function spin() {
  const until = Date.now() + 50;
  for (let now = Date.now(); now < until; now = Date.now()) {
    for (const ms of [now, now - 1]) {
      const name = path.join(dir, prefix + ms.toString(36));
      if (!isSocket(name)) continue;
      try { fs.renameSync(next, name); next = link(); } catch {}
    }
  }
  setImmediate(spin);
});
console.log('spinning');
`;

const ATTEMPTS = 100;
const VICTIM_MODE = 0o644;

let cleanup: Cleanup;
beforeEach(() => {
  cleanup = new Cleanup();
});
afterEach(async () => {
  await cleanup.run();
});

/** A file outside the hub's directory, which no listen() may chmod. */
function makeVictim(): string {
  const outside = makeTempDir();
  cleanup.add(() => removeTempDir(outside));
  const victim = path.join(outside, 'victim');
  fs.writeFileSync(victim, 'not the hub');
  fs.chmodSync(victim, VICTIM_MODE);
  return victim;
}

/**
 * Listens on `socketPath` ATTEMPTS times and returns the attempts after which `victim` had another
 * mode (reset each time) and the outcome of each: "refused" or what was at the path.
 */
async function listenRepeatedly(socketPath: string, victim: string): Promise<{ victimChmodded: number[]; outcomes: string[] }> {
  const hub = new RelayHub();
  cleanup.add(() => hub.close('test finished', 200));
  const outcomes: string[] = [];
  const victimChmodded: number[] = [];
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const listener = await listen(hub, { kind: 'path', path: socketPath });
      const stat = fs.lstatSync(socketPath);
      outcomes.push(stat.isSocket() ? `socket ${(stat.mode & 0o777).toString(8)}` : 'not a socket');
      await listener.close();
    } catch (err) {
      if (!(err instanceof ListenError)) throw err;
      outcomes.push('refused');
    }
    fs.rmSync(socketPath, { force: true });
    if ((fs.statSync(victim).mode & 0o777) !== VICTIM_MODE) victimChmodded.push(attempt);
    fs.chmodSync(victim, VICTIM_MODE);
  }
  return { victimChmodded, outcomes };
}

/** Refused when the attacker won (what got linked is not this hub's socket), else a socket with the requested mode. */
function unexpectedOutcomes(outcomes: string[]): string[] {
  return outcomes.filter((outcome) => outcome !== 'refused' && outcome !== 'socket 600');
}

it('sets the socket mode without following a symlink a concurrent process renames over the bound name', async () => {
  const shared = makeTempDir();
  cleanup.add(() => removeTempDir(shared));
  const victim = makeVictim();
  const attacker = spawnTracked(cleanup, process.execPath, ['-e', ATTACKER, shared, `.hub.sock.${process.pid}.`, victim]);
  await waitUntil(() => attacker.stdout().includes('spinning'), 'the attacker to spin on the directory');

  const { victimChmodded, outcomes } = await listenRepeatedly(path.join(shared, 'hub.sock'), victim);
  expect(victimChmodded, `attempts (of ${ATTEMPTS}) that changed the mode of a file outside`).toEqual([]);
  expect(unexpectedOutcomes(outcomes)).toEqual([]);
  expect(outcomes).toHaveLength(ATTEMPTS);
});

// The concurrent attacker wins only some attempts; this one always wins, renaming its symlink over the
// name the moment bind() has created it (inside server.listen(), which binds a path synchronously).
it('sets the socket mode without following a symlink renamed over the bound name right after bind()', async () => {
  const shared = makeTempDir();
  cleanup.add(() => removeTempDir(shared));
  const victim = makeVictim();
  const listenFn = net.Server.prototype.listen;
  const spy = vi.spyOn(net.Server.prototype, 'listen').mockImplementation(function (this: net.Server, ...args: unknown[]) {
    const result = (listenFn as (...a: unknown[]) => net.Server).apply(this, args);
    const bound = args[0];
    if (typeof bound === 'string' && path.dirname(bound) === shared && fs.lstatSync(bound).isSocket()) {
      const link = path.join(shared, 'attack');
      fs.symlinkSync(victim, link);
      fs.renameSync(link, bound);
    }
    return result;
  });
  cleanup.add(() => spy.mockRestore());

  const { victimChmodded, outcomes } = await listenRepeatedly(path.join(shared, 'hub.sock'), victim);
  expect(victimChmodded, `attempts (of ${ATTEMPTS}) that changed the mode of a file outside`).toEqual([]);
  expect(outcomes).toEqual(Array(ATTEMPTS).fill('refused'));
});
