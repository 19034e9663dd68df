import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliHarness } from '../support/cliHarness';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { freedPort, NATS_SERVER, startNatsServer } from './natsServer';

const describeWithNats = NATS_SERVER === null ? describe.skip : describe;

const NOT_FEDERATED = /not federated: [^\n]*; local modules are served, retrying/g;

/** A line containing `text` (the hub's log lines start with the time). */
function containing(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

function notFederatedLines(text: string): string[] {
  return text.match(NOT_FEDERATED) ?? [];
}

describeWithNats(NATS_SERVER === null ? 'the not-federated line — skipped: needs nats-server' : 'relayscope hub says when it is not federated, once per change, and list shows it', () => {
  const { cli, cleanup } = cliHarness();

  it('NATS down at start, then up, then stopped: one line for each change, whatever the retries, and relayscope list tells the state', async () => {
    const dir = makeTempDir('rs-natsn-');
    cleanup.add(() => removeTempDir(dir));
    const port = await freedPort(dir);
    const url = `nats://127.0.0.1:${port}`;
    const socket = path.join(dir, 'a.sock');
    const hub = cli.start(['hub', '--socket', socket, '--nats', url, '--hub-name', 'a']);
    await hub.waitForStdout(containing(`not federated: cannot connect to NATS at ${url}`), 10_000);
    const alone = await cli.run(['list', '--socket', socket]);
    expect(alone.exit.code, alone.stderr).toBe(0);
    expect(alone.stdout).toContain(`bus default: hub a is NOT federated: cannot connect to NATS at ${url}`);
    // Retries go on at 0.5 s, 1 s, 2 s: three of them fail before NATS is started, and none says so again.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(notFederatedLines(hub.stdout)).toHaveLength(1);

    const nats = await startNatsServer({ dir, port });
    cleanup.add(() => nats.stop());
    await hub.waitForStdout(containing(`federated: hub a on bus default via NATS at ${url}`), 20_000);
    const other = cli.start(['hub', '--socket', path.join(dir, 'b.sock'), '--nats', url, '--hub-name', 'b']);
    await other.waitForStdout(containing('federated: hub b'), 20_000);
    const listener = cli.start(['listen', '--socket', path.join(dir, 'b.sock'), '--as', 'far']);
    await listener.waitForStderr(containing('listening as far'));
    await hub.waitForStdout(containing('far joined on hub b'), 10_000);
    const together = await cli.run(['list', '--socket', socket]);
    expect(together.stdout).toMatch(/^far +b +/m);
    expect(together.stdout).toContain(`bus default: hub a, federated via NATS at ${url}; other hubs: b (1 module)`);

    await nats.stop();
    await hub.waitForStdout(/not federated: lost the NATS connection[^\n]*; local modules are served, retrying/, 15_000);
    const lost = await cli.run(['list', '--socket', socket]);
    expect(lost.stdout).toContain('bus default: hub a is NOT federated: lost the NATS connection');
    expect(lost.stdout).not.toMatch(/^far /m);
    // The client's reconnection attempts go on; the line is not repeated for them.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(notFederatedLines(hub.stdout)).toHaveLength(2);

    // Ctrl-C while NATS is away: the hub's goodbye has no server to be flushed to, and the hub must
    // not wait for one (it took 11 s, the client's reconnection, before close stopped waiting).
    hub.signal('SIGINT');
    const exit = await hub.waitForExit(5000);
    expect(exit.code).toBe(0);
    expect(hub.stdout).toContain('relayscope hub stopped');
  }, 90_000);
});
