import type { CaptureInfo, CaptureRecord } from './captureRecord';
import {
  BYTE_ORDER_MAGIC,
  DISSECTOR_NAME,
  encodePdu,
  END_COMMENT_PREFIX,
  ExportedPduTag,
  INFO_COMMENT_PREFIX,
  LINKTYPE_WIRESHARK_UPPER_PDU,
  PcapngBlock,
  PcapngOption,
  TSRESOL_MICROSECONDS,
} from './pcapngLayout';
import { QueuedFile } from './QueuedFile';

const utf8 = new TextEncoder();

interface Option {
  code: number;
  value: Uint8Array;
}

const pad4 = (n: number): number => (n + 3) & ~3;

function textOption(code: number, text: string): Option {
  return { code, value: utf8.encode(text) };
}

function u64Option(code: number, value: number): Option {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value), true);
  return { code, value: bytes };
}

/** A pcapng timestamp (high 32 bits, then low 32 bits), as EPBs and ISB time options use. */
function timestampOption(code: number, micros: number): Option {
  const bytes = new Uint8Array(8);
  writeTimestamp(new DataView(bytes.buffer), 0, micros);
  return { code, value: bytes };
}

function writeTimestamp(view: DataView, offset: number, micros: number): void {
  const big = BigInt(micros);
  view.setUint32(offset, Number(big >> 32n), true);
  view.setUint32(offset + 4, Number(big & 0xffffffffn), true);
}

function optionsLength(options: readonly Option[]): number {
  if (options.length === 0) return 0;
  return options.reduce((sum, option) => sum + 4 + pad4(option.value.length), 4);
}

/** A whole block: type, total length, `fixed` bytes, the options, the total length again. Little-endian. */
function block(type: number, fixed: Uint8Array, options: readonly Option[] = []): Uint8Array {
  const total = 12 + fixed.length + optionsLength(options);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, total, true);
  bytes.set(fixed, 8);
  let offset = 8 + fixed.length;
  if (options.length > 0) {
    for (const option of options) {
      view.setUint16(offset, option.code, true);
      view.setUint16(offset + 2, option.value.length, true);
      bytes.set(option.value, offset + 4);
      offset += 4 + pad4(option.value.length);
    }
    offset += 4; // opt_endofopt: code 0, length 0, already zero
  }
  view.setUint32(offset, total, true);
  return bytes;
}

function sectionHeader(info: CaptureInfo): Uint8Array {
  const fixed = new Uint8Array(16);
  const view = new DataView(fixed.buffer);
  view.setUint32(0, BYTE_ORDER_MAGIC, true);
  view.setUint16(4, 1, true); // major version
  view.setUint16(6, 0, true); // minor version
  view.setBigInt64(8, -1n, true); // section length not given: the file is written as a stream
  return block(PcapngBlock.SECTION_HEADER, fixed, [
    textOption(PcapngOption.COMMENT, INFO_COMMENT_PREFIX + JSON.stringify(info)),
    textOption(PcapngOption.SHB_USERAPPL, `Relayscope ${info.relayscopeVersion}`),
  ]);
}

function interfaceDescription(info: CaptureInfo): Uint8Array {
  const fixed = new Uint8Array(8);
  const view = new DataView(fixed.buffer);
  view.setUint16(0, LINKTYPE_WIRESHARK_UPPER_PDU, true);
  view.setUint32(4, 0, true); // snaplen 0: no limit
  return block(PcapngBlock.INTERFACE_DESCRIPTION, fixed, [
    textOption(PcapngOption.IF_NAME, info.hub),
    textOption(PcapngOption.IF_DESCRIPTION, `Relayscope hub ${info.hub} on ${info.sockets.join(', ')} at ${info.host}`),
    { code: PcapngOption.IF_TSRESOL, value: Uint8Array.of(TSRESOL_MICROSECONDS) },
  ]);
}

/** The exported-PDU tags in front of every packet: the dissector name (padded with NULs to 4 bytes, as Wireshark writes it), then the end. */
const PDU_TAGS = ((): Uint8Array => {
  const name = utf8.encode(DISSECTOR_NAME);
  const tags = new Uint8Array(4 + pad4(name.length) + 4);
  const view = new DataView(tags.buffer);
  view.setUint16(0, ExportedPduTag.DISSECTOR_NAME);
  view.setUint16(2, pad4(name.length));
  tags.set(name, 4);
  view.setUint16(4 + pad4(name.length), ExportedPduTag.END_OF_OPT);
  return tags;
})();

function enhancedPacket(record: CaptureRecord): Uint8Array {
  const pdu = encodePdu(record);
  const length = PDU_TAGS.length + pdu.length;
  const fixed = new Uint8Array(20 + pad4(length));
  const view = new DataView(fixed.buffer);
  view.setUint32(0, 0, true); // interface 0
  writeTimestamp(view, 4, record.time);
  view.setUint32(12, length, true); // captured length
  view.setUint32(16, length, true); // original length
  fixed.set(PDU_TAGS, 20);
  fixed.set(pdu, 20 + PDU_TAGS.length);
  return block(PcapngBlock.ENHANCED_PACKET, fixed);
}

/**
 * Writes a capture as pcapng for Wireshark (layout: pcapngLayout.ts, docs/CAPTURE.md): a Section
 * Header whose comment holds the capture info, one exported-PDU interface in microseconds, an
 * Enhanced Packet Block per message and event, and at close an Interface Statistics Block with the
 * missed count (isb_ifdrop) and the end values, so that Wireshark's statistics show the drops too.
 */
export class PcapngCaptureWriter {
  private lastTime: number;
  private messageCount = 0;
  private closed = false;

  private constructor(
    private readonly file: QueuedFile,
    private info: CaptureInfo,
  ) {
    this.lastTime = info.startTime;
  }

  static async create(path: string, info: CaptureInfo): Promise<PcapngCaptureWriter> {
    const file = await QueuedFile.create(path);
    file.append(sectionHeader(info));
    file.append(interfaceDescription(info));
    return new PcapngCaptureWriter(file, { ...info });
  }

  get pending(): number {
    return this.file.pending;
  }

  get messages(): number {
    return this.messageCount;
  }

  get error(): Error | null {
    return this.file.error;
  }

  write(record: CaptureRecord): void {
    this.file.append(enhancedPacket(record));
    if (record.type === 'message') this.messageCount++;
    if (record.time > this.lastTime) this.lastTime = record.time;
  }

  async close(end: Partial<CaptureInfo> = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.info = { ...this.info, ...end };
    const endTime = this.info.countersAtEnd?.time ?? this.lastTime;
    const fixed = new Uint8Array(12);
    const view = new DataView(fixed.buffer);
    view.setUint32(0, 0, true);
    writeTimestamp(view, 4, endTime);
    try {
      this.file.append(
        block(PcapngBlock.INTERFACE_STATISTICS, fixed, [
          textOption(PcapngOption.COMMENT, END_COMMENT_PREFIX + JSON.stringify({ missed: this.info.missed, countersAtEnd: this.info.countersAtEnd })),
          timestampOption(PcapngOption.ISB_STARTTIME, this.info.startTime),
          timestampOption(PcapngOption.ISB_ENDTIME, endTime),
          u64Option(PcapngOption.ISB_IFDROP, this.info.missed),
          u64Option(PcapngOption.ISB_USRDELIV, this.messageCount),
        ]),
      );
    } finally {
      await this.file.close();
    }
  }
}
