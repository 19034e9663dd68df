/**
 * The per-file set-up of tests that run the built CLI: one fresh build before the file's tests, and
 * after each test every process it started stopped and every temporary thing it made removed.
 */
import { afterEach, beforeAll } from 'vitest';
import { Cleanup } from './cleanup';
import { CliProcesses, ensureFreshBuild } from './cliProcess';

export interface CliHarness {
  cli: CliProcesses;
  cleanup: Cleanup;
}

/** Call once at the top level of a test file. */
export function cliHarness(): CliHarness {
  const cleanup = new Cleanup();
  const cli = new CliProcesses();
  beforeAll(async () => {
    await ensureFreshBuild();
  }, 180_000);
  afterEach(async () => {
    await cli.stopAll();
    await cleanup.run();
  });
  return { cli, cleanup };
}
