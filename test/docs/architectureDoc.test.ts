import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const doc = fs.readFileSync(path.join(REPO_ROOT, 'ARCHITECTURE.md'), 'utf8');
const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n');

/** Every file or folder the document names in backticks: `electron/hub/Router.ts`, `RowRing.ts`, `renderer/src/`. */
const named = [...doc.matchAll(/`([\w./-]+(?:\.tsx?|\.md|\/))`/g)].map((match) => match[1]);

describe('ARCHITECTURE.md', () => {
  it('names files', () => {
    expect(named.length).toBeGreaterThan(40);
  });

  it.each(named)('names %s, which exists', (name) => {
    if (name.includes('/')) {
      expect(fs.existsSync(path.join(REPO_ROOT, name))).toBe(true);
    } else {
      // A bare file name stands beside the path named before it in the same row: it must exist somewhere in the source.
      expect(tracked.some((file) => path.basename(file) === name)).toBe(true);
    }
  });
});
