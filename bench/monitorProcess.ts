/**
 * A monitor in its own process, as the desktop app or `relayscope monitor` would be: it reads every
 * relayed message (as TRAFFIC_RUN frames, the cheap form) and counts it. argv: socket path. Answers 'count' with the copies seen.
 */
import { connectSocket, encodeHello, FrameDecoder, FrameType, HelloFlag, maxFrameLength, DEFAULT_MAX_PAYLOAD, parseSocketAddress } from '../electron/hub';

async function main(): Promise<void> {
  const socket = await connectSocket(parseSocketAddress(process.argv[2]));
  const decoder = new FrameDecoder(maxFrameLength(DEFAULT_MAX_PAYLOAD));
  let traffic = 0;
  let welcomed = false;
  socket.on('data', (chunk: Buffer) =>
    decoder.push(chunk, (type, buf, start) => {
      if (type === FrameType.TRAFFIC_RUN) traffic += buf.readUInt32BE(start + 9 + buf[start + 8]);
      else if (type === FrameType.TRAFFIC) traffic++;
      else if (type === FrameType.WELCOME && !welcomed) {
        welcomed = true;
        process.send?.('ready');
      }
    }),
  );
  socket.write(encodeHello({ id: 'bench-monitor', flags: HelloFlag.MONITOR | HelloFlag.TRAFFIC_RUNS }));
  process.on('message', (message: string) => {
    if (message === 'count') process.send?.({ traffic });
    else if (message === 'stop') {
      socket.destroy();
      process.exit(0);
    }
  });
}

void main();
