/**
 * The responder of the Node NATS round trips (bench/nats.ts), in its own process as echoProcess.ts is
 * for the hub: it answers every request on the subject with one prebuilt 64 B reply. argv[2]: the
 * server URL. Says 'ready' once its subscription is registered at the server; exits on 'stop'.
 */
import { connect } from '@nats-io/transport-node';

async function main(): Promise<void> {
  const nc = await connect({ servers: process.argv[2], reconnect: false });
  const reply = new Uint8Array(64).fill(0x72);
  // Typed here: @nats-io/nats-core's package.json names its types file wrongly for this build's module resolution.
  nc.subscribe(process.argv[3], { callback: (_err: unknown, msg: { respond(data: Uint8Array): boolean }) => msg.respond(reply) });
  await nc.flush();
  process.on('message', (message: string) => {
    if (message === 'stop') void nc.close().then(() => process.exit(0));
  });
  process.send?.('ready');
}

main().catch((err) => {
  process.send?.(`failed: ${(err as Error).message}`);
  process.exit(1);
});
