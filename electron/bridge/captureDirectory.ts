import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The folder the UI's recordings and exports are written to on the machine that hosts the hub:
 * $XDG_RUNTIME_DIR/relayscope/captures, else <tmp>/relayscope-$UID/captures, made 0700. Traffic is
 * private, so a folder that exists but is another user's, or open to others, is refused.
 */
export function captureDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const uid = process.getuid?.() ?? 0;
  const base = env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'relayscope') : path.join(os.tmpdir(), `relayscope-${uid}`);
  const dir = path.join(base, 'captures');
  for (const folder of [base, dir]) {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    const stat = fs.lstatSync(folder);
    if (!stat.isDirectory()) throw new Error(`${folder} is not a directory`);
    if (stat.uid !== uid) throw new Error(`${folder} belongs to another user (uid ${stat.uid}); refusing to write captures there`);
    if ((stat.mode & 0o077) !== 0) throw new Error(`${folder} is open to other users (mode ${(stat.mode & 0o777).toString(8)}); run chmod 700 ${folder}`);
  }
  return dir;
}

/** relayscope-20261202-071530-123.mcap: sortable, and unique within the folder. */
export function captureFileName(prefix: string, extension: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\..*/, '');
  return `${prefix}-${stamp}-${String(now.getMilliseconds()).padStart(3, '0')}.${extension}`;
}
