import * as fs from 'node:fs/promises';
import type { CaptureInfo, CaptureRecord } from './captureRecord';
import {
  BYTE_ORDER_MAGIC,
  decodePdu,
  DISSECTOR_NAME,
  END_COMMENT_PREFIX,
  ExportedPduTag,
  INFO_COMMENT_PREFIX,
  LINKTYPE_WIRESHARK_UPPER_PDU,
  MAX_BLOCK_BYTES,
  PcapngBlock,
  PcapngOption,
  TSRESOL_MICROSECONDS,
} from './pcapngLayout';

const READ_BYTES = 1024 * 1024;
const utf8 = new TextDecoder('utf-8');

export interface PcapngCapture {
  info: CaptureInfo;
  /** Messages and events in file order. Each iteration reads the file anew. */
  records: AsyncIterable<CaptureRecord>;
}

const EMPTY_INFO: CaptureInfo = { hub: '', sockets: [], host: '', startTime: 0, relayscopeVersion: '', missed: 0, countersAtStart: null, countersAtEnd: null };

interface Block {
  type: number;
  /** the block's bytes between its length field and its trailing length */
  body: DataView;
  offset: number;
  littleEndian: boolean;
}

/** The pcapng file's blocks in order, read in 1 MiB pieces; throws, naming the byte offset, on a damaged or cut-short file. */
async function* readBlocks(path: string): AsyncGenerator<Block> {
  const handle = await fs.open(path, 'r');
  try {
    let buffer = Buffer.alloc(0);
    let fileOffset = 0; // of buffer[0]
    let atEnd = false;
    const fill = async (bytes: number): Promise<boolean> => {
      while (buffer.length < bytes && !atEnd) {
        const chunk = Buffer.allocUnsafe(Math.max(READ_BYTES, bytes - buffer.length));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) atEnd = true;
        else buffer = buffer.length === 0 ? chunk.subarray(0, bytesRead) : Buffer.concat([buffer, chunk.subarray(0, bytesRead)]);
      }
      return buffer.length >= bytes;
    };
    let littleEndian = true;
    for (let index = 0; ; index++) {
      if (!(await fill(12))) {
        if (buffer.length === 0) {
          if (index === 0) throw new Error(`${path} is empty, not a pcapng file`);
          return;
        }
        throw new Error(`${path} is cut short: ${buffer.length} bytes at byte ${fileOffset} are less than a pcapng block header`);
      }
      if (buffer.readUInt32LE(0) === PcapngBlock.SECTION_HEADER) {
        const magic = buffer.readUInt32LE(8);
        if (magic === BYTE_ORDER_MAGIC) littleEndian = true;
        else if (buffer.readUInt32BE(8) === BYTE_ORDER_MAGIC) littleEndian = false;
        else throw new Error(`${path} is not a pcapng file: the section header at byte ${fileOffset} has no byte-order magic`);
      } else if (index === 0) {
        throw new Error(`${path} is not a pcapng file: it does not start with a section header block`);
      }
      const type = littleEndian ? buffer.readUInt32LE(0) : buffer.readUInt32BE(0);
      const length = littleEndian ? buffer.readUInt32LE(4) : buffer.readUInt32BE(4);
      if (length < 12 || length % 4 !== 0 || length > MAX_BLOCK_BYTES) throw new Error(`${path} is damaged: the block at byte ${fileOffset} gives its length as ${length}`);
      if (!(await fill(length))) throw new Error(`${path} is cut short: the block at byte ${fileOffset} has ${length} bytes, the file ends ${buffer.length} bytes into it`);
      const trailer = littleEndian ? buffer.readUInt32LE(length - 4) : buffer.readUInt32BE(length - 4);
      if (trailer !== length) throw new Error(`${path} is damaged: the block at byte ${fileOffset} starts with length ${length} and ends with ${trailer}`);
      yield { type, body: new DataView(buffer.buffer, buffer.byteOffset + 8, length - 12), offset: fileOffset, littleEndian };
      buffer = buffer.subarray(length);
      fileOffset += length;
    }
  } finally {
    await handle.close();
  }
}

/** The options after `start` in a block body, as code → values (in order). */
function readOptions(body: DataView, start: number, littleEndian: boolean): Map<number, Uint8Array[]> {
  const options = new Map<number, Uint8Array[]>();
  for (let offset = start; offset + 4 <= body.byteLength; ) {
    const code = body.getUint16(offset, littleEndian);
    const length = body.getUint16(offset + 2, littleEndian);
    if (code === PcapngOption.END_OF_OPT) break;
    if (offset + 4 + length > body.byteLength) break;
    const value = new Uint8Array(body.buffer, body.byteOffset + offset + 4, length);
    options.set(code, [...(options.get(code) ?? []), value]);
    offset += 4 + ((length + 3) & ~3);
  }
  return options;
}

/** The first comment option starting with `prefix`, parsed as JSON. */
function commentJson(options: Map<number, Uint8Array[]>, prefix: string, path: string): unknown {
  for (const value of options.get(PcapngOption.COMMENT) ?? []) {
    const text = utf8.decode(value);
    if (!text.startsWith(prefix)) continue;
    try {
      return JSON.parse(text.slice(prefix.length));
    } catch (error) {
      throw new Error(`${path}: its "${prefix.trim()}" comment is not JSON: ${(error as Error).message}`);
    }
  }
  return undefined;
}

interface Interface {
  linkType: number;
  /** multiply a timestamp by `multiply` and divide by `divide` to get microseconds */
  multiply: bigint;
  divide: bigint;
}

function interfaceOf(block: Block): Interface {
  const linkType = block.body.getUint16(0, block.littleEndian);
  const resolution = readOptions(block.body, 8, block.littleEndian).get(PcapngOption.IF_TSRESOL)?.[0]?.[0] ?? TSRESOL_MICROSECONDS;
  // if_tsresol: the high bit set means a power of two, else a power of ten (units of 10^-n s).
  const unitsPerSecond = resolution & 0x80 ? 1n << BigInt(resolution & 0x7f) : 10n ** BigInt(resolution);
  return { linkType, multiply: 1_000_000n, divide: unitsPerSecond };
}

/** Where the Relayscope PDU starts after the exported-PDU tags; throws when the tags name another dissector. */
function pduStart(packet: Uint8Array, where: string): number {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  let dissector: string | null = null;
  for (let offset = 0; offset + 4 <= packet.length; ) {
    const tag = view.getUint16(offset);
    const length = view.getUint16(offset + 2);
    if (offset + 4 + length > packet.length) break;
    if (tag === ExportedPduTag.END_OF_OPT) {
      if (dissector !== DISSECTOR_NAME)
        throw new Error(`${where} is for ${dissector === null ? 'no named dissector' : `the "${dissector}" dissector`}, not "${DISSECTOR_NAME}": not a Relayscope export`);
      return offset + 4;
    }
    // NULs may pad the name (Wireshark pads it to 4 bytes); they are not part of it.
    if (tag === ExportedPduTag.DISSECTOR_NAME) dissector = utf8.decode(packet.subarray(offset + 4, offset + 4 + length)).replace(/\0+$/, '');
    offset += 4 + length;
  }
  throw new Error(`${where}: its exported-PDU tags have no end`);
}

async function* pcapngRecords(path: string): AsyncGenerator<CaptureRecord> {
  let interfaces: Interface[] = [];
  let packetNumber = 0;
  for await (const block of readBlocks(path)) {
    const { body, littleEndian } = block;
    if (block.type === PcapngBlock.SECTION_HEADER) interfaces = [];
    else if (block.type === PcapngBlock.INTERFACE_DESCRIPTION) interfaces.push(interfaceOf(block));
    else if (block.type === PcapngBlock.ENHANCED_PACKET) {
      const where = `${path}: packet ${++packetNumber} (byte ${block.offset})`;
      if (body.byteLength < 20) throw new Error(`${where} is damaged: an enhanced packet block of ${body.byteLength + 12} bytes`);
      const interfaceId = body.getUint32(0, littleEndian);
      const iface = interfaces[interfaceId];
      if (iface === undefined) throw new Error(`${where} is damaged: it names interface ${interfaceId}, the section describes ${interfaces.length}`);
      if (iface.linkType !== LINKTYPE_WIRESHARK_UPPER_PDU) throw new Error(`${where} has link type ${iface.linkType}, not ${LINKTYPE_WIRESHARK_UPPER_PDU} (exported PDU): not a Relayscope export`);
      const captured = body.getUint32(12, littleEndian);
      const original = body.getUint32(16, littleEndian);
      if (20 + captured > body.byteLength) throw new Error(`${where} is damaged: its ${captured} captured bytes do not fit in its block`);
      if (captured !== original) throw new Error(`${where} was cut to ${captured} of its ${original} bytes when captured: its payload is incomplete`);
      const units = (BigInt(body.getUint32(4, littleEndian)) << 32n) | BigInt(body.getUint32(8, littleEndian));
      const micros = Number((units * iface.multiply) / iface.divide);
      const packet = new Uint8Array(body.buffer, body.byteOffset + 20, captured);
      yield decodePdu(packet.subarray(pduStart(packet, where)), micros, where);
    }
    // Other blocks (name resolution, statistics, custom) carry no records.
  }
}

/** The info in the section header's comment, updated by the statistics block that close() writes last. */
async function readInfo(path: string): Promise<CaptureInfo> {
  let info: CaptureInfo = { ...EMPTY_INFO };
  let littleEndian = true;
  for await (const block of readBlocks(path)) {
    if (block.type !== PcapngBlock.SECTION_HEADER) break;
    littleEndian = block.littleEndian;
    const start = commentJson(readOptions(block.body, 16, littleEndian), INFO_COMMENT_PREFIX, path);
    if (start !== undefined) info = { ...info, ...(start as Partial<CaptureInfo>) };
    break;
  }
  const end = await readLastBlock(path, littleEndian);
  if (end?.type === PcapngBlock.INTERFACE_STATISTICS) {
    const values = commentJson(readOptions(end.body, 12, littleEndian), END_COMMENT_PREFIX, path);
    if (values !== undefined) info = { ...info, ...(values as Partial<CaptureInfo>) };
  }
  return info;
}

/** The file's last block, found from its trailing length; null when that length does not lead to a block. */
async function readLastBlock(path: string, littleEndian: boolean): Promise<{ type: number; body: DataView } | null> {
  const handle = await fs.open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 12) return null;
    const tail = Buffer.alloc(4);
    await handle.read(tail, 0, 4, size - 4);
    const length = littleEndian ? tail.readUInt32LE(0) : tail.readUInt32BE(0);
    if (length < 12 || length > size || length > MAX_BLOCK_BYTES || length % 4 !== 0) return null;
    const bytes = Buffer.alloc(length);
    await handle.read(bytes, 0, length, size - length);
    if ((littleEndian ? bytes.readUInt32LE(4) : bytes.readUInt32BE(4)) !== length) return null;
    return { type: littleEndian ? bytes.readUInt32LE(0) : bytes.readUInt32BE(0), body: new DataView(bytes.buffer, bytes.byteOffset + 8, length - 12) };
  } finally {
    await handle.close();
  }
}

/**
 * Opens a pcapng export (pcapngWriter.ts). Every packet must be a Relayscope exported PDU: a file
 * with other packets is refused with the packet's number rather than read in part.
 */
export async function readPcapngCapture(path: string): Promise<PcapngCapture> {
  const info = await readInfo(path);
  return { info, records: { [Symbol.asyncIterator]: () => pcapngRecords(path) } };
}
