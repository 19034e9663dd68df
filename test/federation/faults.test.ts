import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReceivedMessage } from '../../electron/client';
import { RelayError } from '../../electron/client/errors';
import { Cleanup } from '../support/cleanup';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';
import { allSee, client, federated, startBusHub } from './busFixture';
import { freedPort, NATS_SERVER, startNatsServer } from './natsServer';

const describeWithNats = NATS_SERVER === null ? describe.skip : describe;

describeWithNats(NATS_SERVER === null ? 'bus faults — skipped: needs nats-server' : 'bus faults with a real nats-server', () => {
  let dir = '';
  let cleanup: Cleanup;

  beforeEach(() => {
    cleanup = new Cleanup();
    dir = makeTempDir('rs-natsf-');
    cleanup.add(() => removeTempDir(dir));
  });
  afterEach(async () => {
    await cleanup.run();
  });

  it('serves its own modules while NATS is unreachable, says it is not federated, and joins the bus once NATS is up', async () => {
    const port = await freedPort(dir);
    const url = `nats://127.0.0.1:${port}`;
    const a = await startBusHub(cleanup, url, 'lonely');
    const one = await client(cleanup, a, 'one');
    const two = await client(cleanup, a, 'two');
    const got: ReceivedMessage[] = [];
    two.on('message', (m) => got.push(m));
    one.send('two', 'local still works');
    await waitUntil(() => got.length === 1, 'the local message');
    const status = await waitUntil(() => {
      const federation = a.hub.snapshot().federation;
      return federation !== undefined && federation.status !== 'connecting' && federation;
    }, 'a status');
    expect(status.connected).toBe(false);
    expect(status.status).toContain(`cannot connect to NATS at ${url}`);
    const error = await one.request('elsewhere', 'x', { timeoutMs: 10_000 }).catch((err: unknown) => err);
    expect((error as RelayError).codeName).toBe('NO_SUCH_MODULE');
    expect((error as RelayError).detail).toContain('not federated');

    const nats = await startNatsServer({ dir, port });
    cleanup.add(() => nats.stop());
    const b = await startBusHub(cleanup, url, 'latecomer');
    await client(cleanup, b, 'far');
    await federated([a, b], 20_000);
    await allSee([a, b], ['one', 'two', 'far'], 20_000);
  });

  it('NATS restarted mid-run: every numbered request is answered, by its reply or an ERROR, and the bus comes back', async () => {
    const first = await startNatsServer({ dir });
    const a = await startBusHub(cleanup, first.url, 'askers');
    const b = await startBusHub(cleanup, first.url, 'answers');
    await federated([a, b]);
    const asker = await client(cleanup, a, 'asker');
    const echo = await client(cleanup, b, 'echo');
    echo.on('request', (m) => echo.reply(m, m.text()));
    await allSee([a, b], ['asker', 'echo']);

    const outcomes = new Map<number, string>();
    let restarted: Promise<void> | null = null;
    let second: Awaited<ReturnType<typeof startNatsServer>> | null = null;
    cleanup.add(() => second?.stop());
    const total = 600;
    const window = 8;
    let next = 0;
    const run = async (): Promise<void> => {
      while (next < total) {
        const n = next++;
        // The client's own timeout is long: a request that hung instead of being answered would show as a timeout.
        const outcome = await asker.request('echo', `${n}`, { timeoutMs: 30_000 }).then(
          (reply) => (reply.text() === `${n}` ? 'reply' : `wrong reply ${reply.text()}`),
          (err: unknown) => (err instanceof RelayError ? err.codeName : `not an ERROR: ${(err as Error).message}`),
        );
        outcomes.set(n, outcome);
        if (n === 150 && restarted === null) {
          restarted = (async () => {
            await first.stop();
            await new Promise((resolve) => setTimeout(resolve, 300));
            second = await startNatsServer({ dir, port: first.port });
          })();
        }
        // While the bus is down the answers are immediate ERRORs: pace them so the run spans the restart.
        if (outcome !== 'reply') await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await Promise.all(Array.from({ length: window }, run));
    await restarted;
    expect(outcomes.size).toBe(total);
    const kinds = new Set(outcomes.values());
    for (const kind of kinds) expect(['reply', 'NO_SUCH_MODULE', 'PEER_GONE']).toContain(kind);
    expect([...outcomes.values()].filter((o) => o !== 'reply').length).toBeGreaterThan(0);
    // After the restart the hubs found each other again.
    await federated([a, b], 20_000);
    await allSee([a, b], ['asker', 'echo'], 20_000);
    const reply = await asker.request('echo', 'after', { timeoutMs: 10_000 });
    expect(reply.text()).toBe('after');
  }, 60_000);

  it('two hubs that took the same ID while apart agree once joined: the earlier claim keeps it, the other gets ID_IN_USE', async () => {
    const port = await freedPort(dir);
    const url = `nats://127.0.0.1:${port}`;
    const a = await startBusHub(cleanup, url, 'splitA');
    const b = await startBusHub(cleanup, url, 'splitB');
    const first = await client(cleanup, a, 'twin');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await client(cleanup, b, 'twin');
    const ended: Array<{ error?: Error }> = [];
    second.on('disconnect', (event) => ended.push(event));
    const nats = await startNatsServer({ dir, port });
    cleanup.add(() => nats.stop());
    await federated([a, b], 20_000);
    await waitUntil(() => !second.connected, 'the later twin to be refused', 20_000);
    expect((ended[0]?.error as RelayError | undefined)?.codeName).toBe('ID_IN_USE');
    expect(first.connected).toBe(true);
    await waitUntil(() => b.hub.modules.get('twin')?.origin.remote?.hub === 'splitA', 'hub splitB to list twin as on splitA', 10_000);
  }, 40_000);
});
