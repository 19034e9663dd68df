/**
 * A module end in the bench process: the frame-counting connection of bench.ts's Node generator,
 * shared with the federation section (bench/federationBench.ts).
 */
import * as net from 'node:net';
import { DEFAULT_MAX_PAYLOAD, encodeHello, FrameDecoder, FrameType, maxFrameLength } from '../electron/hub';

/** One end of a connection in this process, counting the frames it receives. */
export class Peer {
  frames = 0;
  onFrame: ((type: number, buf: Buffer, start: number, end: number) => void) | null = null;
  onChunk: (() => void) | null = null;
  private readonly decoder = new FrameDecoder(maxFrameLength(DEFAULT_MAX_PAYLOAD));

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.decoder.push(chunk, (type, buf, start, end) => {
        this.frames++;
        this.onFrame?.(type, buf, start, end);
      });
      this.onChunk?.();
    });
    socket.on('error', () => {});
  }
}

/** A module registered on the hub at `socketPath` as `id`, its WELCOME not counted. */
export async function hubPeer(socketPath: string, id: string): Promise<Peer> {
  const socket = net.connect(socketPath);
  const peer = new Peer(socket);
  const welcomed = new Promise<void>((resolve, reject) => {
    peer.onFrame = (type) => {
      if (type === FrameType.WELCOME) resolve();
      else reject(new Error(`hub refused ${id} (frame 0x${type.toString(16)})`));
    };
  });
  socket.write(encodeHello({ id }));
  await welcomed;
  peer.onFrame = null;
  peer.frames = 0;
  return peer;
}
