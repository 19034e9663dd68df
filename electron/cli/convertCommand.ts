import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { captureFormatOf, createCaptureWriter, openCaptureReader, type CaptureReader, type CaptureWriter } from '../capture/captureFiles';
import { CaptureFilterError, parseCaptureFilter, type CaptureFilter } from '../capture/captureFilter';
import { CommandError, type FlagValues } from './args';
import { writeOut } from './io';

/** Records the writer may hold before the loop waits for the disk: memory stays bounded on any file size. */
const MAX_PENDING_RECORDS = 10_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True when both names lead to one existing file (a link, "./x" and "x"), or to one path. */
async function sameFile(a: string, b: string): Promise<boolean> {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    const [sa, sb] = await Promise.all([fs.stat(a), fs.stat(b)]);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/**
 * `relayscope convert IN OUT [--filter EXPR]`: reads a capture in one format and writes it in
 * another, chosen by each file's extension (.mcap, .pcapng, .jsonl). OUT is written under a
 * temporary name and renamed at the end, so a failed conversion leaves no half file behind and an
 * existing OUT untouched.
 */
export async function runConvert(flags: FlagValues): Promise<number> {
  const [input, output] = flags.positionals;
  if (input === undefined || output === undefined) throw flags.usage('give the capture to read and the file to write: convert IN OUT');
  for (const file of [input, output]) {
    try {
      captureFormatOf(file);
    } catch (error) {
      throw flags.usage((error as Error).message);
    }
  }
  if (await sameFile(input, output)) throw flags.usage(`IN and OUT are the same file (${output}); write to another name`);
  let filter: CaptureFilter;
  try {
    filter = parseCaptureFilter(flags.string('filter') ?? '');
  } catch (error) {
    if (error instanceof CaptureFilterError) throw flags.usage(`--filter: ${error.message}`);
    throw error;
  }

  let reader: CaptureReader;
  try {
    reader = await openCaptureReader(input);
  } catch (error) {
    throw new CommandError(`cannot read ${(error as Error).message}`);
  }
  const { info } = reader;
  const partial = path.join(path.dirname(output), `.${path.basename(output)}.${process.pid}.partial${path.extname(output)}`);
  let writer: CaptureWriter;
  try {
    writer = await createCaptureWriter(partial, info);
  } catch (error) {
    throw new CommandError(`cannot write ${output}: ${(error as Error).message.replace(partial, output)}`);
  }

  let messages = 0;
  let events = 0;
  let skipped = 0;
  try {
    for await (const record of reader.records) {
      if (!filter.matches(record, info.startTime)) {
        skipped++;
        continue;
      }
      writer.write(record);
      if (record.type === 'message') messages++;
      else events++;
      if (writer.error !== null) break;
      while (writer.pending > MAX_PENDING_RECORDS && writer.error === null) await sleep(1);
    }
    await writer.close({ missed: info.missed, countersAtEnd: info.countersAtEnd });
    await fs.rename(partial, output);
  } catch (error) {
    await writer.close().catch(() => {});
    await fs.rm(partial, { force: true });
    const message = (error as Error).message.replace(partial, output);
    throw new CommandError(`converting ${input} to ${output} failed after ${messages} messages and ${events} events: ${message}`);
  }
  const filtered = filter.active ? `; ${skipped} records did not match the filter` : '';
  const missed = info.missed > 0 ? `; the recording itself missed ${info.missed} messages` : '';
  writeOut(`converted ${input} (${captureFormatOf(input)}) to ${output} (${captureFormatOf(output)}): ${messages} messages and ${events} events${filtered}${missed}\n`);
  return 0;
}
