/**
 * A hub whose standard output nobody reads (issue 8, break 12): its log must neither grow its
 * memory without bound nor hold up its exit on SIGTERM.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeHello } from '../../electron/hub';
import { Cleanup } from '../support/cleanup';
import { ensureFreshBuild } from '../support/freshBuild';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const CLI = process.env.HOSTILE_HUB_CLI ?? path.resolve(__dirname, '..', '..', 'bin', 'relayscope.js');

let cleanup: Cleanup;
beforeAll(() => ensureFreshBuild(), 180_000);
beforeEach(() => {
  cleanup = new Cleanup();
});
afterEach(() => cleanup.run());

/** Registers and drops a module: two log lines. */
async function joinAndLeave(socket: string, id: string): Promise<void> {
  const conn = net.connect(socket);
  await new Promise<void>((resolve, reject) => conn.once('connect', resolve).once('error', reject));
  conn.on('error', () => {});
  await new Promise<void>((resolve) => {
    conn.once('data', () => resolve());
    conn.write(encodeHello({ id }));
  });
  conn.destroy();
}

describe('the hub log when standard output is not read', () => {
  it('exits promptly on SIGTERM though its pipe is full', async () => {
    const dir = makeTempDir('rs-hublog-');
    cleanup.add(() => removeTempDir(dir));
    const socket = path.join(dir, 'hub.sock');
    const hub = spawn(process.execPath, [CLI, 'hub', '--socket', socket], { stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise<number | null>((resolve) => hub.once('close', (code) => resolve(code)));
    cleanup.add(async () => {
      if (hub.exitCode === null && hub.signalCode === null) hub.kill('SIGKILL');
      await exited;
    });
    // Never read: the pipe (64 KiB) fills, and what follows waits in the hub.
    hub.stdout?.pause();
    while (!fs.existsSync(socket)) await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 0; i < 1500; i++) await joinAndLeave(socket, `module-with-a-long-name-for-the-log-${i}`);
    const signalledAt = performance.now();
    hub.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 8000))]);
    console.log(`hostile: hub with an unread stdout after 3000 log lines exited ${(performance.now() - signalledAt).toFixed(0)} ms after SIGTERM`);
    expect(code).toBe(0);
  });
});
