/**
 * The server end of the tap bench (bench/tapBench.ts), in its own process as the tapped server would
 * be. argv: SINK ECHO. On SINK every byte read is counted and discarded (throughput); on ECHO every
 * chunk read is written back (round trips). Answers 'count' with the bytes the sink has read; exits on 'stop'.
 */
import * as net from 'node:net';

const [sinkPath, echoPath] = process.argv.slice(2);
let sunk = 0;

const sink = net.createServer((socket) => {
  socket.on('data', (chunk: Buffer) => {
    sunk += chunk.length;
  });
  socket.on('error', () => {});
});
const echo = net.createServer((socket) => {
  socket.on('data', (chunk: Buffer) => socket.write(chunk));
  socket.on('error', () => {});
});

process.on('message', (message: string) => {
  if (message === 'count') process.send?.({ bytes: sunk });
  else if (message === 'stop') process.exit(0);
});

sink.listen(sinkPath, () => echo.listen(echoPath, () => process.send?.('ready')));
