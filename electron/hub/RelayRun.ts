import { MessageBody } from '../protocol/frameWriters';
import { LENGTH_PREFIX_BYTES } from '../protocol/protocol';

/** Where a MESSAGE frame's peer ID sits, counted from its length prefix. */
const PEER_AT = LENGTH_PREFIX_BYTES + 1 + MessageBody.PEER;

/**
 * Consecutive MESSAGE frames of one input chunk relayed to one destination, still to be copied into
 * that destination's output slab. A relayed frame differs from the one received only in its peer ID
 * (destination in, source out; the flags are 0 in both, messagePayloadStart checks), so when both IDs have the same length a run of
 * frames is one Buffer.copy and a few byte writes per frame instead of one copy and a header per frame:
 * Buffer.copy costs about the same per call whatever the size, and that call was the largest cost of
 * relaying small messages (docs/PERFORMANCE.md).
 *
 * The slab bytes are reserved when a frame joins the run, so the frames around it keep their order;
 * the copy is made before the slab is handed to the stream (HubConnection.flush). The input chunk
 * outlives the run: the hub flushes every connection it wrote to before it lets go of a chunk.
 */
export class RelayRun {
  private input: Buffer | null = null;
  private inputStart = 0;
  private inputEnd = 0;
  private slab: Buffer | null = null;
  private slabStart = 0;
  private peer: Buffer | null = null;

  /** Adds input[frameStart, frameEnd), reserved at slab[offset], to the run, or starts a new run with it. */
  add(input: Buffer, frameStart: number, frameEnd: number, slab: Buffer, offset: number, peer: Buffer): void {
    if (this.input === input && this.inputEnd === frameStart && this.slab === slab && this.peer === peer && this.slabStart + (frameStart - this.inputStart) === offset) {
      this.inputEnd = frameEnd;
      return;
    }
    this.copyOut();
    this.input = input;
    this.inputStart = frameStart;
    this.inputEnd = frameEnd;
    this.slab = slab;
    this.slabStart = offset;
    this.peer = peer;
  }

  /** Copies the run into its slab with each frame's peer ID replaced; the run is then empty. */
  copyOut(): void {
    const input = this.input;
    const slab = this.slab;
    const peer = this.peer;
    if (input === null || slab === null || peer === null) return;
    input.copy(slab, this.slabStart, this.inputStart, this.inputEnd);
    const end = this.slabStart + (this.inputEnd - this.inputStart);
    const peerLength = peer.length;
    for (let at = this.slabStart; at < end; ) {
      for (let i = 0; i < peerLength; i++) slab[at + PEER_AT + i] = peer[i];
      at += LENGTH_PREFIX_BYTES + ((slab[at] << 24) >>> 0) + (slab[at + 1] << 16) + (slab[at + 2] << 8) + slab[at + 3];
    }
    this.clear();
  }

  /** Forgets the run: its slab is being thrown away. */
  clear(): void {
    this.input = null;
    this.slab = null;
    this.peer = null;
  }
}
