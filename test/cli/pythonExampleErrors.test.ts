/** The Python A/B demo facing no hub names the address and the reason, and says how to start one. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const DEMO = path.resolve(__dirname, '..', '..', 'examples', 'python', 'ab_demo.py');

describe('Python example errors', () => {
  let dir: string;

  beforeEach(() => {
    dir = makeTempDir();
  });

  afterEach(() => removeTempDir(dir));

  it('ab_demo --role A with no hub prints the address, the reason and what to do', () => {
    const socket = path.join(dir, 'none.sock');
    const result = spawnSync('python3', [DEMO, '--role', 'A'], { env: { PATH: process.env.PATH, RELAYSCOPE_SOCKET: socket }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`A: no hub is listening on ${socket} (ENOENT)\n` + `A: start a hub there (relayscope hub --socket ${socket}), or pass --socket with the running hub's address\n`);
  });
});
