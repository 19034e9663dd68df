import { afterEach, beforeEach } from 'vitest';
import { Cleanup } from './cleanup';
import { makeTempDir, removeTempDir } from './tempDir';

/** What each test of a suite gets from perTestScratch(): its own teardown list and temp dir. */
export interface Scratch {
  readonly cleanup: Cleanup;
  readonly dir: string;
}

/**
 * Registers, in the calling suite, hooks that give every test a fresh Cleanup and temp dir and run
 * the teardown after it (the dir is removed last, after the hubs and clients the test made in it).
 * Read the fields inside tests: they change from one test to the next.
 */
export function perTestScratch(prefix?: string): Scratch {
  let current: Scratch | null = null;
  beforeEach(() => {
    const cleanup = new Cleanup();
    const dir = makeTempDir(prefix);
    cleanup.add(() => removeTempDir(dir));
    current = { cleanup, dir };
  });
  afterEach(async () => {
    const done = current;
    current = null;
    await done?.cleanup.run();
  });
  const now = (): Scratch => {
    if (current === null) throw new Error('perTestScratch() fields are only set while a test runs');
    return current;
  };
  return {
    get cleanup() {
      return now().cleanup;
    },
    get dir() {
      return now().dir;
    },
  };
}
