import type * as net from 'node:net';
import { TrafficFlag } from '../../protocol/protocol';
import type { RelayHub } from '../RelayHub';
import { MessageBuffer, type TapCutter, tapCutters } from './tapFraming';
import type { TapFramingName } from './tapSpec';

export interface TappedConnectionOptions {
  hub: RelayHub;
  client: net.Socket;
  upstream: net.Socket;
  clientId: string;
  upstreamId: string;
  framing: TapFramingName;
  /** Largest message a cutter shows whole (tapListener.ts: 1 MiB, or the hub's maxPayload if smaller). */
  displayLimit: number;
  /** Says why the upstream failed (RelayHub.tapFailed). */
  upstreamFailed: (message: string) => void;
  onClose: (reason: string) => void;
}

/**
 * One connection through a tap: the client's socket and the one the tap opened to the upstream,
 * joined both ways. Each chunk read is written to the other side first, with the writer's
 * backpressure pausing the reader until 'drain', so a slow side slows its peer and nothing is held
 * here beyond the sockets' own buffers. Only then is it handed to the cutter, whose messages the
 * hub copies (RelayHub.tapped), dropping copies when monitors fall behind: watching never delays
 * the bytes. An end is passed on as an end (half-close); an error on either side destroys both.
 */
export class TappedConnection {
  /** Pieces of messages longer than the display limit, both directions (TapHandle.stats.partialPieces). */
  get partialPieces(): number {
    return this.toUpstream.pieces + this.toClient.pieces;
  }

  private readonly toUpstream: MessageBuffer;
  private readonly toClient: MessageBuffer;
  private readonly cutters: { toUpstream: TapCutter; toClient: TapCutter };
  private reason = '';
  private open = 2;

  constructor(private readonly options: TappedConnectionOptions) {
    const { hub, client, upstream, clientId, upstreamId } = options;
    const copy = (source: string, destination: string, flags: number) => (offset: number, payload: Buffer, partial: boolean) =>
      hub.tapped(source, destination, partial ? flags | TrafficFlag.TAP_PARTIAL : flags, offset, payload);
    this.toUpstream = new MessageBuffer(copy(clientId, upstreamId, TrafficFlag.TAPPED), options.displayLimit);
    this.toClient = new MessageBuffer(copy(upstreamId, clientId, TrafficFlag.TAPPED | TrafficFlag.TAP_FROM_UPSTREAM), options.displayLimit);
    this.cutters = tapCutters(options.framing, this.toUpstream, this.toClient);
    this.join(client, upstream, this.cutters.toUpstream, 'the client');
    this.join(upstream, client, this.cutters.toClient, 'the upstream');
  }

  /** Bytes passed on so far: to the upstream, and to the client. */
  get offsets(): { toUpstream: number; toClient: number } {
    return { toUpstream: this.toUpstream.position, toClient: this.toClient.position };
  }

  private join(from: net.Socket, to: net.Socket, cutter: TapCutter, who: string): void {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) from.pause();
      cutter.push(chunk);
    });
    to.on('drain', () => from.resume());
    from.on('end', () => {
      cutter.end();
      this.reason ||= `${who} closed the connection`;
      to.end();
    });
    from.on('error', (error: NodeJS.ErrnoException) => {
      const message = `${who} failed: ${error.code ?? error.message}`;
      if (this.reason === '' || !this.reason.includes('failed')) this.reason = message;
      if (who === 'the upstream') this.options.upstreamFailed(`${this.options.upstreamId} → ${this.options.clientId}: ${message}; the client's connection was closed`);
      this.destroy(message);
    });
    from.on('close', () => {
      // A side that closed without an end (killed, reset) takes the other one down with it.
      if (!from.readableEnded && !to.destroyed) to.destroy();
      if (--this.open === 0) this.options.onClose(this.reason || 'closed');
    });
  }

  /** Closes both sides at once (a KICK, the tap closing). */
  destroy(reason: string): void {
    this.reason ||= reason;
    this.options.client.destroy();
    this.options.upstream.destroy();
  }
}
