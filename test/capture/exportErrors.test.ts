import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureFormatOf, createCaptureWriter, openCaptureReader } from '../../electron/capture/captureFiles';
import type { CaptureRecord } from '../../electron/capture/captureRecord';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { collect, END, INFO, recordsOf } from './exportFixtures';

/** Broken, cut-short and foreign input files give errors that name the file and say what is wrong. */

let dir: string;
beforeAll(() => {
  dir = makeTempDir('rs-export-err-');
});
afterAll(() => removeTempDir(dir));

const [records] = fc.sample(recordsOf(30, 40), { numRuns: 1, seed: 99 });

async function write(name: string, list: readonly CaptureRecord[] = records): Promise<string> {
  const file = path.join(dir, name);
  const writer = await createCaptureWriter(file, INFO);
  for (const record of list) writer.write(record);
  await writer.close(END);
  return file;
}

async function readAll(file: string): Promise<CaptureRecord[]> {
  return collect((await openCaptureReader(file)).records);
}

/** The byte offsets at which the pcapng file's blocks start (and its end). */
function blockBoundaries(bytes: Buffer): Set<number> {
  const boundaries = new Set<number>();
  for (let offset = 0; offset < bytes.length; offset += bytes.readUInt32LE(offset + 4)) boundaries.add(offset);
  boundaries.add(bytes.length);
  return boundaries;
}

describe('file names', () => {
  it('an unknown or missing extension is refused, naming the known ones', () => {
    expect(() => captureFormatOf('trace.pcap')).toThrow('trace.pcap: unknown extension ".pcap"; a capture file ends in .mcap, .pcapng, .jsonl');
    expect(() => captureFormatOf('trace')).toThrow('trace: no file extension; a capture file ends in .mcap, .pcapng, .jsonl');
  });

  it('a missing file says so for every format', async () => {
    for (const extension of ['.mcap', '.pcapng', '.jsonl']) {
      const file = path.join(dir, `missing${extension}`);
      await expect(openCaptureReader(file)).rejects.toThrow(`${file}: no such file`);
    }
  });
});

describe('files that are not captures of their extension', () => {
  it('empty files', async () => {
    for (const extension of ['.pcapng', '.jsonl', '.mcap']) {
      const file = path.join(dir, `empty${extension}`);
      fs.writeFileSync(file, '');
      await expect(readAll(file)).rejects.toThrow(file);
    }
    await expect(readAll(path.join(dir, 'empty.pcapng'))).rejects.toThrow('is empty, not a pcapng file');
    await expect(readAll(path.join(dir, 'empty.jsonl'))).rejects.toThrow('is empty, not a Relayscope JSON Lines capture');
  });

  it('one format under the name of another', async () => {
    const jsonl = await write('real.jsonl');
    const pcapng = await write('real.pcapng');
    const mcap = await write('real.mcap');
    const asPcapng = path.join(dir, 'jsonl-as.pcapng');
    fs.copyFileSync(jsonl, asPcapng);
    await expect(readAll(asPcapng)).rejects.toThrow(`${asPcapng} is not a pcapng file: it does not start with a section header block`);
    const asJsonl = path.join(dir, 'pcapng-as.jsonl');
    fs.copyFileSync(pcapng, asJsonl);
    await expect(readAll(asJsonl)).rejects.toThrow(`${asJsonl} is not a Relayscope JSON Lines capture: it does not start with "{"`);
    const asMcap = path.join(dir, 'jsonl-as.mcap');
    fs.copyFileSync(jsonl, asMcap);
    await expect(readAll(asMcap)).rejects.toThrow(asMcap);
    const mcapAsJsonl = path.join(dir, 'mcap-as.jsonl');
    fs.copyFileSync(mcap, mcapAsJsonl);
    await expect(readAll(mcapAsJsonl)).rejects.toThrow('not a Relayscope JSON Lines capture');
  });

  it('JSON Lines of something else: a first line that is not the capture line', async () => {
    const file = path.join(dir, 'other.jsonl');
    fs.writeFileSync(file, '{"hello":"world"}\n');
    await expect(readAll(file)).rejects.toThrow(`${file} line 1: unknown "type" undefined`);
  });
});

describe('pcapng files', () => {
  it('cut short anywhere inside a block: an error naming the byte offset, never fewer records without a word', async () => {
    const file = await write('cut.pcapng');
    const bytes = fs.readFileSync(file);
    const boundaries = blockBoundaries(bytes);
    const cuts = fc.sample(
      fc.integer({ min: 1, max: bytes.length - 1 }).filter((cut) => !boundaries.has(cut)),
      { numRuns: 40, seed: 5 },
    );
    for (const cut of cuts) {
      const cutFile = path.join(dir, `cut-${cut}.pcapng`);
      fs.writeFileSync(cutFile, bytes.subarray(0, cut));
      await expect(readAll(cutFile), `cut at ${cut}`).rejects.toThrow(new RegExp(`${cutFile.replace(/[.]/g, '\\.')} (is cut short|is not a pcapng file)`));
      fs.rmSync(cutFile);
    }
  });

  it('a damaged block length', async () => {
    const file = await write('damaged.pcapng');
    const bytes = fs.readFileSync(file);
    const second = bytes.readUInt32LE(4);
    const third = second + bytes.readUInt32LE(second + 4);
    bytes.writeUInt32LE(13, third + 4);
    fs.writeFileSync(file, bytes);
    await expect(readAll(file)).rejects.toThrow(`${file} is damaged: the block at byte ${third} gives its length as 13`);
  });

  it('packets of another link type, or for another dissector, are refused by packet number', async () => {
    const original = fs.readFileSync(await write('foreign.pcapng'));
    const idb = original.readUInt32LE(4);
    const ethernet = Buffer.from(original);
    ethernet.writeUInt16LE(1, idb + 8);
    const ethernetFile = path.join(dir, 'ethernet.pcapng');
    fs.writeFileSync(ethernetFile, ethernet);
    await expect(readAll(ethernetFile)).rejects.toThrow(/packet 1 \(byte \d+\) has link type 1, not 252 \(exported PDU\): not a Relayscope export/);

    const sip = Buffer.from(original);
    const name = sip.indexOf('relayscope\0\0');
    sip.write('sip\0\0\0\0\0\0\0\0\0', name);
    const sipFile = path.join(dir, 'sip.pcapng');
    fs.writeFileSync(sipFile, sip);
    await expect(readAll(sipFile)).rejects.toThrow(/packet 1 \(byte \d+\) is for the "sip" dissector, not "relayscope": not a Relayscope export/);
  });
});

describe('JSON Lines files', () => {
  it('cut short inside a line: the line number and "cut short"', async () => {
    const file = await write('cut.jsonl');
    const text = fs.readFileSync(file, 'utf8');
    const lineStarts = [...text.matchAll(/\n/g)].map((match) => (match.index ?? 0) + 1);
    const fifth = lineStarts[3];
    fs.writeFileSync(file, text.slice(0, fifth + 10));
    await expect(readAll(file)).rejects.toThrow(`${file} line 5 is not JSON`);
    await expect(readAll(file)).rejects.toThrow('the file may be cut short');
  });

  it('a field of the wrong type names the line and the field', async () => {
    const file = await write('wrong.jsonl');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const index = lines.findIndex((line) => line.startsWith('{"type":"message"'));
    lines[index] = lines[index].replace(/"correlationId":\d+/, '"correlationId":-1');
    fs.writeFileSync(file, lines.join('\n'));
    await expect(readAll(file)).rejects.toThrow(`${file} line ${index + 1}: "correlationId" must be a whole number below 2^32, not -1`);
    lines[index] = lines[index].replace(/"encoding":"\w+","payload":"[^"]*"/, '"encoding":"base64","payload":"no*base64"');
    fs.writeFileSync(file, lines.join('\n'));
    await expect(readAll(file)).rejects.toThrow(`${file} line ${index + 1}: "payload" is not base64`);
  });

  it('a file without its end line (cut at a line break) still reads, with the info of its first line', async () => {
    const file = await write('noend.jsonl');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, text.lastIndexOf('{"type":"end"')));
    const read = await openCaptureReader(file);
    expect(read.info).toEqual(INFO);
    expect((await collect(read.records)).length).toBe(records.length);
  });
});
