import * as path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CliProcesses, ensureFreshBuild } from '../support/cliProcess';
import { makeTempDir, removeTempDir, uniqueSuffix } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';

const OPEN = /^relayscope: warning: (\S+) is open to other users \(/;

describe('hub and serve at start', () => {
  let dir: string;
  let cli: CliProcesses;

  beforeAll(() => ensureFreshBuild(), 180_000);

  beforeEach(() => {
    dir = makeTempDir();
    cli = new CliProcesses();
  });

  afterEach(async () => {
    await cli.stopAll();
    removeTempDir(dir);
  });

  /**
   * The listeners a started command warned about, once it announced `ready` and `expected` warnings
   * arrived: they are written before the announcement, but stderr is another pipe and may lag.
   */
  async function warnedAbout(args: string[], ready: string, expected: number): Promise<string[]> {
    const started = cli.start(args);
    await started.waitForStdout(ready, 15_000);
    const warned = (): string[] => started.stderr.split('\n').flatMap((line) => OPEN.exec(line)?.[1] ?? []);
    await waitUntil(() => warned().length >= expected, `${expected} warnings`);
    return warned();
  }

  it('warn once for each listener other users can reach, and not for a 0600 path', async () => {
    const name = `@rs-warn-${uniqueSuffix()}`;
    const own = path.join(dir, 'own.sock');
    const warned = await warnedAbout(['hub', '--socket', own, '--socket', name, '--tcp', '127.0.0.1:0'], `relayscope hub listening on ${name}`, 2);
    expect(warned).toHaveLength(2);
    expect(warned[0]).toBe(name);
    expect(warned[1]).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);

    const shared = path.join(dir, 'shared.sock');
    expect(await warnedAbout(['serve', '--socket', shared, '--mode', '660'], `relayscope hub listening on ${shared}`, 1)).toEqual([shared]);
  });
});
