import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A fresh directory under the system temp dir. Kept short because a Unix socket path must fit in
 * 108 bytes including the file name.
 */
export function makeTempDir(prefix = 'rs-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A random suffix for names that live outside the filesystem (abstract sockets, module IDs). */
export function uniqueSuffix(): string {
  return `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}
