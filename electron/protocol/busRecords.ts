/**
 * The layout of a federation batch (docs/FEDERATION.md, "Batch encoding"): what one hub publishes on
 * `rs.<bus>.hub.<hub>` for another. A header naming the sending hub, its link and the batch's serial,
 * and the confirmation of what the sender took from the receiver; then records, each
 * `u32 recordLen | u8 type | u8 idLen | id | body`, integers big-endian. No I/O here.
 */

export const BATCH_VERSION = 2;

/** The header's fixed fields after the hub name: u32 link, u32 serial, u32 confirmed link, u32 confirmed serial. */
export const BATCH_SERIALS_BYTES = 16;

/** What a batch header says besides the records. */
export interface BatchHeader {
  /** The sending hub. */
  hub: string;
  /** The sender's link to the receiver: random, new whenever the sender starts over with it (restart, reconnection). */
  link: number;
  /** This batch's number on the link, from 1 (wrapping past 0); 0 for a batch of no records, which needs no confirmation. */
  serial: number;
  /** The receiver's link whose batches the sender confirms (0: none). */
  confirmsLink: number;
  /** The last batch of that link the sender handled: it and every one before it are confirmed. */
  confirmsSerial: number;
  /** Where the records start. */
  recordsAt: number;
}

export const BusRecordType = {
  /** id = the source module, body = a MESSAGE body as the source wrote it. */
  RELAY: 1,
  /** id = a module of the receiving hub, body = whole frames written for it (ERRORs, injected MESSAGEs). */
  DELIVERED: 2,
} as const;

/** recordLen covers type, idLen, id and body. */
export const RECORD_LENGTH_BYTES = 4;

/** Bytes of a record before its body. */
export function recordHeaderLength(idLength: number): number {
  return RECORD_LENGTH_BYTES + 2 + idLength;
}

/** Writes a record header at `at` for a body of `bodyLength` bytes; returns where the body goes. */
export function writeRecordHeader(target: Buffer, at: number, type: number, id: Buffer, bodyLength: number): number {
  target.writeUInt32BE(2 + id.length + bodyLength, at);
  target[at + 4] = type;
  target[at + 5] = id.length;
  id.copy(target, at + 6);
  return at + 6 + id.length;
}

/** The batch header with the version and the sending hub's name, its serials zero: writeBatchSerials fills them in each batch. */
export function encodeBatchHeader(hub: string): Buffer {
  const name = Buffer.from(hub, 'utf8');
  const header = Buffer.alloc(2 + name.length + BATCH_SERIALS_BYTES);
  header[0] = BATCH_VERSION;
  header[1] = name.length;
  name.copy(header, 2);
  return header;
}

/** Writes the serials into a batch that starts with a header from encodeBatchHeader. */
export function writeBatchSerials(batch: Buffer, serials: Omit<BatchHeader, 'hub' | 'recordsAt'>): void {
  const at = 2 + batch[1];
  batch.writeUInt32BE(serials.link, at);
  batch.writeUInt32BE(serials.serial, at + 4);
  batch.writeUInt32BE(serials.confirmsLink, at + 8);
  batch.writeUInt32BE(serials.confirmsSerial, at + 12);
}

export class BatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchError';
  }
}

/** Reads a batch header. Throws BatchError. */
export function parseBatchHeader(batch: Buffer): BatchHeader {
  if (batch.length < 2) throw new BatchError(`a batch of ${batch.length} bytes has no header`);
  if (batch[0] !== BATCH_VERSION) throw new BatchError(`batch version ${batch[0]} is not ${BATCH_VERSION}`);
  const at = 2 + batch[1];
  const recordsAt = at + BATCH_SERIALS_BYTES;
  if (recordsAt > batch.length) throw new BatchError('the batch header runs past its end');
  return {
    hub: batch.toString('utf8', 2, at),
    link: batch.readUInt32BE(at),
    serial: batch.readUInt32BE(at + 4),
    confirmsLink: batch.readUInt32BE(at + 8),
    confirmsSerial: batch.readUInt32BE(at + 12),
    recordsAt,
  };
}

export interface BusRecord {
  type: number;
  /** The id as UTF-8 bytes, a view into the batch. */
  id: Buffer;
  /** The body, [bodyStart, end) of the batch. */
  bodyStart: number;
  end: number;
}

/** Calls `visit` for each record of buf[from, to); throws BatchError for one that runs past the end. */
export function forEachRecord(buf: Buffer, from: number, to: number, visit: (record: BusRecord) => void): void {
  let at = from;
  while (at < to) {
    if (to - at < RECORD_LENGTH_BYTES + 2) throw new BatchError(`a record header is cut off at byte ${at}`);
    const length = buf.readUInt32BE(at);
    const end = at + RECORD_LENGTH_BYTES + length;
    const idLength = buf[at + 5];
    if (length < 2 + idLength || end > to) throw new BatchError(`a record of ${length} bytes at byte ${at} runs past the batch`);
    visit({ type: buf[at + 4], id: buf.subarray(at + 6, at + 6 + idLength), bodyStart: at + 6 + idLength, end });
    at = end;
  }
}

/**
 * Cuts buf[from, to) at record boundaries into pieces of at most `limit` bytes; a record larger than
 * the limit is a piece by itself (the caller refuses it).
 */
export function splitRecords(buf: Buffer, from: number, to: number, limit: number): Array<[number, number]> {
  const pieces: Array<[number, number]> = [];
  let pieceStart = from;
  let at = from;
  while (at < to) {
    const end = at + RECORD_LENGTH_BYTES + buf.readUInt32BE(at);
    if (end - pieceStart > limit && at > pieceStart) {
      pieces.push([pieceStart, at]);
      pieceStart = at;
    }
    at = end;
  }
  if (to > pieceStart) pieces.push([pieceStart, to]);
  return pieces;
}
