/**
 * The desktop app's hub on a NATS bus from its argv (issue 15): --nats, --bus and --hub-name read as
 * relayscope hub reads them, a real nats-server, and a real `relayscope hub` process as the other hub
 * on the bus. A module on the app's hub and one on the other reach each other by ID; the app's quit
 * path (AppBackend.stop) leaves the bus.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RelayClient, type ReceivedMessage } from '../../electron/client';
import { AppBackend } from '../../electron/shell/backendLifecycle';
import { parseAppOptions } from '../../electron/shell/appOptions';
import { chooseBackend } from '../../electron/shell/chooseBackend';
import { cliHarness } from '../support/cliHarness';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';
import { NATS_SERVER, startNatsServer } from '../federation/natsServer';

const { cli, cleanup } = cliHarness();
const describeWithNats = NATS_SERVER === null ? describe.skip : describe;

describeWithNats(NATS_SERVER === null ? "the app's hub on a bus — skipped: needs nats-server" : "the app's hub on a NATS bus", () => {
  it('--nats --bus --hub-name from app argv: modules of the app and of a relayscope hub process reach each other; the quit path leaves the bus', async () => {
    const dir = makeTempDir('rs-appfed-');
    cleanup.add(() => removeTempDir(dir));
    const nats = await startNatsServer({ dir });
    cleanup.add(() => nats.stop());
    const labSocket = path.join(dir, 'lab.sock');
    const lab = cli.start(['hub', '--socket', labSocket, '--nats', nats.url, '--bus', 'desks', '--hub-name', 'lab']);
    await lab.waitForStdout(/federated: hub lab on bus desks/, 15_000);

    const appSocket = path.join(dir, 'app.sock');
    const logged: string[] = [];
    const backends = new AppBackend(() => {});
    cleanup.add(() => backends.stop());
    const options = parseAppOptions(['--no-sandbox', '--socket', appSocket, '--nats', nats.url, '--bus', 'desks', '--hub-name', 'desk'], {});
    const choosing = chooseBackend(options.target, { log: (line) => logged.push(line) });
    backends.track(choosing.then((choice) => (choice.outcome === 'live hub found' ? null : choice.backend)));
    const choice = await choosing;
    if (choice.outcome !== 'started local hub') throw new Error(`the app did not start its hub: ${choice.outcome}`);
    backends.use(choice.backend);
    const { hub } = choice.backend;
    await waitUntil(() => logged.some((line) => line === `federated: hub desk on bus desks via NATS at ${nats.url}`), "the app's hub to join the bus", 10_000);

    const far = await RelayClient.connect({ socket: labSocket, id: 'far', reconnect: false });
    cleanup.add(() => far.close());
    const near = await RelayClient.connect({ socket: appSocket, id: 'near', reconnect: false });
    cleanup.add(() => near.close());
    await waitUntil(() => hub.modules.has('far'), "the app's hub to list far, of hub lab", 10_000);
    const atFar: ReceivedMessage[] = [];
    far.on('message', (message: ReceivedMessage) => atFar.push(message));
    const atNear: ReceivedMessage[] = [];
    near.on('message', (message: ReceivedMessage) => atNear.push(message));
    near.send('far', Buffer.from('from the desktop app'));
    await waitUntil(() => atFar.length === 1, 'far to receive near’s message', 10_000);
    expect(atFar[0]).toMatchObject({ source: 'near', kind: 'unicast' });
    expect(atFar[0].payload.toString()).toBe('from the desktop app');
    far.send('near', Buffer.from('from hub lab'));
    await waitUntil(() => atNear.length === 1, 'near to receive far’s message', 10_000);
    expect(atNear[0].payload.toString()).toBe('from hub lab');

    const started = Date.now();
    await backends.stop();
    // The goodbye is flushed while connected and bounded (issue 15 item 3): quitting is not held up.
    expect(Date.now() - started).toBeLessThan(3000);
    // Hub lab hears the goodbye at once, not after the 5 s silence that marks a hub gone.
    await lab.waitForStdout(/ - near left: hub desk closed/, 2000);
  }, 60_000);
});
