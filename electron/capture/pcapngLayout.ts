import { MESSAGE_KIND_NAMES } from '../protocol/protocol';
import type { TapChunk } from '../protocol/tapChunk';
import type { CapturedEventName, CapturedMessage, CaptureRecord } from './captureRecord';

/**
 * The pcapng export, defined once: the pcapng block and option codes we use
 * (draft-ietf-opsawg-pcapng), the exported-PDU tags (Wireshark's wsutil/exported_pdu_tlvs.h) and
 * the Relayscope PDU that wireshark/relayscope.lua decodes. docs/CAPTURE.md ("Export formats")
 * describes the same layout for people; the Lua dissector repeats these numbers because it cannot
 * import them, and test/capture/exportTshark.test.ts checks that the two agree.
 */

export const PcapngBlock = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 0x00000001,
  INTERFACE_STATISTICS: 0x00000005,
  ENHANCED_PACKET: 0x00000006,
} as const;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export const PcapngOption = {
  END_OF_OPT: 0,
  COMMENT: 1,
  SHB_USERAPPL: 4,
  IF_NAME: 2,
  IF_DESCRIPTION: 3,
  IF_TSRESOL: 9,
  ISB_STARTTIME: 2,
  ISB_ENDTIME: 3,
  ISB_IFDROP: 5,
  ISB_USRDELIV: 8,
} as const;

/** LINKTYPE_WIRESHARK_UPPER_PDU: each packet starts with exported-PDU tags naming its dissector. */
export const LINKTYPE_WIRESHARK_UPPER_PDU = 252;
/** if_tsresol 6: timestamps count microseconds, the hub's clock. */
export const TSRESOL_MICROSECONDS = 6;

export const ExportedPduTag = { END_OF_OPT: 0, DISSECTOR_NAME: 12 } as const;
/** The dissector the exported-PDU tag names: the Lua Proto registers itself under this name. */
export const DISSECTOR_NAME = 'relayscope';

/** The SHB comment that carries the capture info as JSON, and the ISB comment with the end values. */
export const INFO_COMMENT_PREFIX = 'relayscope-info ';
export const END_COMMENT_PREFIX = 'relayscope-end ';

/** A block longer than this is refused: a broken length field must not make the reader allocate gigabytes. */
export const MAX_BLOCK_BYTES = 256 * 1024 * 1024;

/**
 * The Relayscope PDU, big-endian like the exported-PDU tags before it:
 *   0  u8  version (PDU_VERSION)
 *   1  u8  kind: 0 unicast, 1 broadcast, 2 request, 3 reply, 4 event
 *   2  u8  flags (PduFlag); 0 for events
 *   3  u8  event (PDU_EVENTS index + 1); 0 for messages
 *   4  u32 correlation id (messages) or error code (events)
 *   8  u16 source length S (events: length of the module ID the event is about)
 *  10  u16 destination length D (0 for broadcasts and events)
 *  12  S bytes source (UTF-8), D bytes destination (UTF-8), with PduFlag.TAPPED a u64 stream
 *      offset, then the payload (events: the detail, UTF-8)
 * The time is the Enhanced Packet Block's timestamp.
 */
export const PDU_VERSION = 1;
export const PDU_HEADER_BYTES = 12;
export const PDU_EVENT_KIND = MESSAGE_KIND_NAMES.length;
/**
 * TAPPED: a chunk a tap passed on (PROTOCOL.md 15), whose u64 offset in its direction's stream
 * follows the destination; with it TAP_TO_CLIENT (the upstream wrote it; without, the client did)
 * and TAP_PARTIAL. Files without tapped chunks are as before, so the version stays 1.
 */
export const PduFlag = { INJECTED: 0x01, BROADCAST: 0x02, JSON: 0x04, TAPPED: 0x08, TAP_TO_CLIENT: 0x10, TAP_PARTIAL: 0x20 } as const;
export const PDU_OFFSET_BYTES = 8;
export const PDU_EVENTS: readonly CapturedEventName[] = ['join', 'leave', 'error', 'monitor-dropped'];

const utf8 = new TextEncoder();
const utf8Lenient = new TextDecoder('utf-8');
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Whether the payload is a JSON object or array in UTF-8: the dissector hands such payloads to
 * Wireshark's JSON dissector. Computed here, where JSON.parse is exact, so the Lua side need not guess.
 */
function isJsonDocument(payload: Uint8Array): boolean {
  let first = 0;
  while (first < payload.length && (payload[first] === 0x20 || payload[first] === 0x09 || payload[first] === 0x0a || payload[first] === 0x0d)) first++;
  if (payload[first] !== 0x7b && payload[first] !== 0x5b) return false;
  try {
    JSON.parse(utf8Strict.decode(payload));
    return true;
  } catch {
    return false;
  }
}

export function encodePdu(record: CaptureRecord): Uint8Array {
  const isMessage = record.type === 'message';
  const source = utf8.encode(isMessage ? record.source : record.id);
  const destination = isMessage && record.destination !== null ? utf8.encode(record.destination) : new Uint8Array(0);
  const body = isMessage ? record.payload : utf8.encode(record.detail);
  const tap = isMessage ? record.tap : undefined;
  const offsetBytes = tap === undefined ? 0 : PDU_OFFSET_BYTES;
  if (source.length > 0xffff || destination.length > 0xffff) throw new RangeError('a module ID is longer than 65535 bytes');
  const pdu = new Uint8Array(PDU_HEADER_BYTES + source.length + destination.length + offsetBytes + body.length);
  const view = new DataView(pdu.buffer);
  pdu[0] = PDU_VERSION;
  if (isMessage) {
    const kind = MESSAGE_KIND_NAMES.indexOf(record.kind);
    if (kind < 0) throw new RangeError(`unknown message kind "${String(record.kind)}"`);
    pdu[1] = kind;
    pdu[2] = (record.injected ? PduFlag.INJECTED : 0) | (record.destination === null ? PduFlag.BROADCAST : 0) | (isJsonDocument(body) ? PduFlag.JSON : 0) | tapPduFlags(tap);
    view.setUint32(4, record.correlationId >>> 0);
  } else {
    const event = PDU_EVENTS.indexOf(record.event);
    if (event < 0) throw new RangeError(`unknown event "${String(record.event)}"`);
    pdu[1] = PDU_EVENT_KIND;
    pdu[3] = event + 1;
    view.setUint32(4, record.code >>> 0);
  }
  view.setUint16(8, source.length);
  view.setUint16(10, destination.length);
  pdu.set(source, PDU_HEADER_BYTES);
  pdu.set(destination, PDU_HEADER_BYTES + source.length);
  if (tap !== undefined) view.setBigUint64(PDU_HEADER_BYTES + source.length + destination.length, BigInt(tap.offset));
  pdu.set(body, PDU_HEADER_BYTES + source.length + destination.length + offsetBytes);
  return pdu;
}

function tapPduFlags(tap: TapChunk | undefined): number {
  if (tap === undefined) return 0;
  return PduFlag.TAPPED | (tap.direction === 'to-client' ? PduFlag.TAP_TO_CLIENT : 0) | (tap.partial ? PduFlag.TAP_PARTIAL : 0);
}

/** The inverse of encodePdu; `where` names the packet in the error a malformed PDU gives. */
export function decodePdu(pdu: Uint8Array, time: number, where: string): CaptureRecord {
  if (pdu.length < PDU_HEADER_BYTES) throw new RangeError(`${where}: a Relayscope PDU of ${pdu.length} bytes is shorter than its ${PDU_HEADER_BYTES}-byte header`);
  if (pdu[0] !== PDU_VERSION) throw new RangeError(`${where}: Relayscope PDU version ${pdu[0]}, this reader knows version ${PDU_VERSION}`);
  const view = new DataView(pdu.buffer, pdu.byteOffset, pdu.byteLength);
  const sourceEnd = PDU_HEADER_BYTES + view.getUint16(8);
  const destinationEnd = sourceEnd + view.getUint16(10);
  if (destinationEnd > pdu.length) throw new RangeError(`${where}: module IDs of ${view.getUint16(8)} and ${view.getUint16(10)} bytes do not fit in a PDU of ${pdu.length} bytes`);
  const source = utf8Lenient.decode(pdu.subarray(PDU_HEADER_BYTES, sourceEnd));
  const number = view.getUint32(4);
  if (pdu[1] === PDU_EVENT_KIND) {
    const event = PDU_EVENTS[pdu[3] - 1];
    if (event === undefined) throw new RangeError(`${where}: unknown Relayscope event ${pdu[3]}`);
    return { type: 'event', time, event, id: source, code: number, detail: utf8Lenient.decode(pdu.subarray(destinationEnd)) };
  }
  const kind = MESSAGE_KIND_NAMES[pdu[1]];
  if (kind === undefined) throw new RangeError(`${where}: unknown Relayscope kind ${pdu[1]}`);
  const flags = pdu[2];
  const tapped = (flags & PduFlag.TAPPED) !== 0;
  if (tapped && destinationEnd + PDU_OFFSET_BYTES > pdu.length) throw new RangeError(`${where}: a tapped chunk's PDU of ${pdu.length} bytes has no room for its ${PDU_OFFSET_BYTES}-byte offset`);
  const offset = tapped ? view.getBigUint64(destinationEnd) : 0n;
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${where}: a tapped chunk's offset ${offset} is beyond 2^53`);
  const message: CapturedMessage = {
    type: 'message',
    time,
    kind,
    source,
    destination: flags & PduFlag.BROADCAST ? null : utf8Lenient.decode(pdu.subarray(sourceEnd, destinationEnd)),
    correlationId: number,
    injected: (flags & PduFlag.INJECTED) !== 0,
    payload: pdu.slice(tapped ? destinationEnd + PDU_OFFSET_BYTES : destinationEnd),
  };
  if (tapped) message.tap = { direction: flags & PduFlag.TAP_TO_CLIENT ? 'to-client' : 'to-upstream', offset: Number(offset), partial: (flags & PduFlag.TAP_PARTIAL) !== 0 };
  return message;
}
