/**
 * The hub under benchmark, in its own process (as in production), started by bench.ts with fork().
 * argv: socket path. Answers 'rss' with its resident set size; exits on 'stop'. 'record-start:FILE'
 * starts an in-process recording (answered 'recording'), 'record-stop' stops it (answered with its status).
 */
import { listen, parseSocketAddress, RelayHub, type Recording } from '../electron/hub';

async function main(): Promise<void> {
  const socketPath = process.argv[2];
  const hub = new RelayHub({ idleTimeoutMs: 0 });
  const listener = await listen(hub, parseSocketAddress(socketPath));
  let recording: Recording | null = null;
  process.on('message', (message: string) => {
    if (message === 'rss') {
      process.send?.({ rss: process.memoryUsage.rss(), drops: hub.snapshot().totals.drops, slowConsumerDisconnects: hub.snapshot().totals.slowConsumerDisconnects });
    } else if (message.startsWith('record-start:')) {
      void hub.startRecording(message.slice('record-start:'.length), { sockets: [socketPath] }).then((started) => {
        recording = started;
        process.send?.('recording');
      });
    } else if (message === 'record-stop' && recording !== null) {
      void recording.stop().then((status) => process.send?.({ status }));
      recording = null;
    } else if (message === 'stop') {
      void hub
        .close()
        .then(() => listener.close())
        .then(() => process.exit(0));
    }
  });
  process.send?.('ready');
}

void main();
