/**
 * The responder of the round-trip bench, in its own process as a real module would be. It answers
 * every frame it receives with one prebuilt REPLY. argv[2]: "socketpair" to use fd 3 (one end of the
 * socketpair() libuv made for this child's extra stdio), or a hub socket path to register as rtt-server.
 */
import * as net from 'node:net';
import { encodeHello, encodeMessage, FrameDecoder, FrameType, maxFrameLength, DEFAULT_MAX_PAYLOAD, MessageKind } from '../electron/hub';

const target = process.argv[2];
const socket = target === 'socketpair' ? new net.Socket({ fd: 3, readable: true, writable: true }) : net.connect(target);
const reply = encodeMessage(MessageKind.REPLY, 'rtt-client', Buffer.alloc(64, 0x72), 1);
const decoder = new FrameDecoder(maxFrameLength(DEFAULT_MAX_PAYLOAD));
let registered = target === 'socketpair';
socket.on('data', (chunk: Buffer) =>
  decoder.push(chunk, (type) => {
    if (!registered) {
      registered = type === FrameType.WELCOME;
      process.send?.(registered ? 'ready' : `refused (frame 0x${type.toString(16)})`);
      return;
    }
    socket.write(reply);
  }),
);
socket.on('error', () => process.exit(0));
socket.on('close', () => process.exit(0));
process.on('message', (message: string) => {
  if (message === 'stop') process.exit(0);
});
if (target === 'socketpair') process.send?.('ready');
else socket.write(encodeHello({ id: 'rtt-server' }));
