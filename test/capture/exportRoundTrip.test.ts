import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPTURE_FORMATS, createCaptureWriter, openCaptureReader } from '../../electron/capture/captureFiles';
import type { CaptureInfo, CaptureRecord } from '../../electron/capture/captureRecord';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { collect, comparable, END, INFO, recordList } from './exportFixtures';

const EXTENSIONS = Object.keys(CAPTURE_FORMATS);

let dir: string;
beforeAll(() => {
  dir = makeTempDir('rs-export-');
});
afterAll(() => removeTempDir(dir));

async function write(file: string, info: CaptureInfo, records: readonly CaptureRecord[], end: Partial<CaptureInfo>): Promise<void> {
  const writer = await createCaptureWriter(file, info);
  for (const record of records) writer.write(record);
  await writer.close(end);
}

describe('every format pair keeps every record, in order, byte for byte', () => {
  for (const first of EXTENSIONS) {
    for (const second of EXTENSIONS) {
      it(`${first} → ${second}`, async () => {
        let run = 0;
        await fc.assert(
          fc.asyncProperty(recordList, async (records) => {
            const a = path.join(dir, `${run}-a${first}`);
            const b = path.join(dir, `${run++}-b${second}`);
            await write(a, INFO, records, END);
            const fromA = await openCaptureReader(a);
            await write(b, fromA.info, await collect(fromA.records), { missed: fromA.info.missed, countersAtEnd: fromA.info.countersAtEnd });
            const fromB = await openCaptureReader(b);
            expect(fromB.info).toEqual({ ...INFO, ...END });
            expect(comparable(await collect(fromB.records))).toEqual(comparable(records));
            fs.rmSync(a);
            fs.rmSync(b);
          }),
          { numRuns: 25 },
        );
      });
    }
  }
});

describe('the info a writer is given', () => {
  for (const extension of EXTENSIONS) {
    it(`${extension}: a file with no records keeps the start info and the end values given to close()`, async () => {
      const file = path.join(dir, `empty${extension}`);
      await write(file, INFO, [], END);
      const read = await openCaptureReader(file);
      expect(read.info).toEqual({ ...INFO, ...END });
      expect(await collect(read.records)).toEqual([]);
    });
  }
});
