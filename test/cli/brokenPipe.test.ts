/**
 * Ctrl-C on `relayscope hub 2>&1 | tee log` (or `npm start 2>&1 | tee log`) sends SIGINT to the whole
 * pipeline: tee dies at once, and the hub's shutdown lines then meet a broken pipe. That must not
 * cut the shutdown short: the socket file is removed. Also a reader that goes away by itself
 * (`| head -1`) stops the hub cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CliProcesses, ensureFreshBuild } from '../support/cliProcess';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO_ROOT, 'bin', 'relayscope.js');

/** Runs `pipeline` in bash as the leader of a new process group, the way a terminal runs a job. */
function startJob(pipeline: string): { job: ChildProcess; exited: Promise<void> } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RELAYSCOPE_')));
  const job = spawn('bash', ['-c', pipeline], { cwd: REPO_ROOT, detached: true, stdio: 'ignore', env: { ...env, RELAYSCOPE_SKIP_BUILD: '1' } });
  return { job, exited: new Promise((resolve) => job.once('close', () => resolve())) };
}

describe('signals and broken pipes', () => {
  let dir: string;
  let socket: string;
  let cli: CliProcesses;
  const jobs: ChildProcess[] = [];

  beforeAll(() => ensureFreshBuild(), 180_000);

  beforeEach(() => {
    dir = makeTempDir();
    socket = path.join(dir, 'hub.sock');
    cli = new CliProcesses();
  });

  afterEach(async () => {
    await cli.stopAll();
    for (const job of jobs.splice(0)) {
      try {
        process.kill(-(job.pid as number), 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    }
    removeTempDir(dir);
  });

  /** Waits for the hub's socket, connects a listener (so the shutdown has lines to log), returns it. */
  async function hubWithListener(): Promise<void> {
    await waitUntil(() => fs.existsSync(socket), `the socket ${socket}`, 15_000);
    const listener = cli.start(['listen', '--socket', socket, '--as', 'B']);
    await listener.waitForStderr(/^relayscope: listening as B/);
  }

  for (const [name, command] of [
    ['relayscope hub', `node ${CLI} hub --socket SOCKET`],
    ['npm start (browser mode)', 'npm start -- --socket SOCKET'],
  ]) {
    it(`Ctrl-C on "${name} 2>&1 | tee log" removes the socket file`, async () => {
      const log = path.join(dir, 'log');
      const { job, exited } = startJob(`${command.replace('SOCKET', socket)} 2>&1 | tee ${log}`);
      jobs.push(job);
      await hubWithListener();
      process.kill(-(job.pid as number), 'SIGINT');
      await exited;
      // tee is gone with the job; the hub process may still be finishing its shutdown.
      await waitUntil(() => !fs.existsSync(socket), `${socket} to be removed`);
      expect(fs.readFileSync(log, 'utf8')).toContain(`listening on ${socket}`);
    }, 60_000);
  }

  it('a reader that goes away ("| head -1") stops the hub, which removes its socket file', async () => {
    const { job, exited } = startJob(`node ${CLI} hub --socket ${socket} | head -1 > /dev/null`);
    jobs.push(job);
    await waitUntil(() => fs.existsSync(socket), `the socket ${socket}`, 15_000);
    // head has taken the "listening" line and gone; the connect this makes is logged into the closed pipe.
    await cli.run(['list', '--socket', socket]);
    await exited;
    await waitUntil(() => !fs.existsSync(socket), `${socket} to be removed`);
  }, 30_000);
});
