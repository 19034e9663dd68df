import { execFileSync, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { Cleanup } from './cleanup';
import { spawnTracked, type TrackedChild } from './processes';

/** Why cross-user tests cannot run here, or null when they can: they create users, which needs root. */
export function crossUserUnavailable(): string | null {
  if (process.platform !== 'linux') return `cross-user tests need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return `cross-user tests create throwaway users and need root; running as uid ${process.getuid?.()}`;
  try {
    execFileSync('sh', ['-c', 'command -v useradd && command -v userdel'], { stdio: 'ignore' });
  } catch {
    return 'cross-user tests need useradd and userdel';
  }
  return null;
}

export interface ThrowawayUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * A system user with its own group and no home, removed (with its group) at cleanup. Registered
 * before the processes it runs, so cleanup stops those first and userdel finds none.
 */
export function createThrowawayUser(cleanup: Cleanup): ThrowawayUser {
  const name = `rs-test-${randomBytes(4).toString('hex')}`;
  execFileSync('useradd', ['--system', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', name], { stdio: 'pipe' });
  cleanup.add(() => execFileSync('userdel', [name], { stdio: 'pipe' }));
  const id = (flag: string): number => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  return { name, uid: id('-u'), gid: id('-g') };
}

/**
 * Runs `node -e script ...args` as `user`, with no supplementary groups (libuv drops them when it
 * sets the uid) and an environment holding only PATH and `env`.
 */
export function runAs(cleanup: Cleanup, user: ThrowawayUser, args: string[], env: Record<string, string> = {}, options: SpawnOptions = {}): TrackedChild {
  return spawnTracked(cleanup, process.execPath, args, { uid: user.uid, gid: user.gid, cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, ...options });
}

/** The native helper, by absolute path, for scripts run as another user (who can read the work tree). */
export const HELPER_PATH = path.join(__dirname, '..', '..', 'build', 'Release', 'abstract_socket.node');
