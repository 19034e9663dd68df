import type { PlainFraming, PlainSink } from './PlainConnection';

/**
 * The classic select() relay's framing (docs/PROTOCOL.md 14.1): the program writes pairs of bytes,
 * a destination ID byte and a data byte, and reads pairs of a source ID byte and a data byte. Its
 * module ID is one byte, so only a one-byte source can be written to it, and only one data byte.
 *
 *   program → hub   42 31   "to B: '1'"       → MESSAGE unicast, destination "B", payload "1"
 *   hub → program   41 32   "from A: '2'"     ← MESSAGE from "A", payload "2"
 *
 * A destination byte is a one-byte module ID as it stands: one that names no module (any byte
 * nobody registered, a control byte, a byte over 0x7f) gets the hub's NO_SUCH_MODULE like any
 * unicast; the program hears nothing (its framing has no errors), the monitors see the ERROR and
 * the message counts as the module's drop.
 */
export class IdByteFraming implements PlainFraming {
  readonly name = 'id-byte' as const;
  /** A destination byte whose data byte has not arrived yet, or -1. */
  private held = -1;

  constructor(private readonly id: string) {}

  start(sink: PlainSink): void {
    sink.register(this.id);
  }

  input(chunk: Buffer, sink: PlainSink): void {
    let i = 0;
    if (this.held >= 0 && chunk.length > 0) {
      sink.send(Buffer.from([this.held]), chunk.subarray(0, 1));
      this.held = -1;
      i = 1;
    }
    for (; i + 1 < chunk.length; i += 2) sink.send(chunk.subarray(i, i + 1), chunk.subarray(i + 1, i + 2));
    if (i < chunk.length) this.held = chunk[i];
  }

  deliver(source: Buffer, payload: Buffer): Buffer | null {
    // The hub refused anything else before it got here (idByteRefusal).
    return Buffer.from([source[0], payload[0]]);
  }

  notice(): Buffer | null {
    return null;
  }

  stop(): string | null {
    if (this.held < 0) return null;
    const lost = `${this.id} (id-byte) closed after a destination byte 0x${this.held.toString(16).padStart(2, '0')} without its data byte; that byte was dropped`;
    this.held = -1;
    return lost;
  }
}

/** Why a message from `sourceId` with `payloadLength` bytes cannot be written to an id-byte module, or null (Router.deliver). */
export function idByteRefusal(id: string): (sourceId: Buffer, payloadLength: number) => string | null {
  return (sourceId, payloadLength) => {
    if (sourceId.length !== 1)
      return `"${id}" is a classic id-byte client: it reads the source as one byte, and "${sourceId.toString('utf8')}" is ${sourceId.length} bytes long; send from a one-character ASCII module ID`;
    if (payloadLength !== 1) return `"${id}" is a classic id-byte client: it reads exactly one data byte per message, and this payload has ${payloadLength}; the message was not delivered`;
    return null;
  };
}
