import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCaptureWriter, openCaptureReader } from '../../electron/capture/captureFiles';
import type { CaptureRecord } from '../../electron/capture/captureRecord';
import { CliProcesses, ensureFreshBuild } from '../support/cliProcess';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { collect, comparable, END, INFO, recordsOf } from './exportFixtures';

/** `relayscope convert` through the built CLI. */

const [records] = fc.sample(recordsOf(40, 50), { numRuns: 1, seed: 31 });
const messageCount = records.filter((r) => r.type === 'message').length;
const eventCount = records.length - messageCount;

describe('relayscope convert', () => {
  const cli = new CliProcesses();
  let dir: string;
  beforeAll(async () => {
    dir = makeTempDir('rs-convert-');
    await ensureFreshBuild();
  }, 180_000);
  afterEach(() => cli.stopAll());
  afterAll(() => removeTempDir(dir));

  async function write(name: string, list: readonly CaptureRecord[] = records): Promise<string> {
    const file = path.join(dir, name);
    const writer = await createCaptureWriter(file, INFO);
    for (const record of list) writer.write(record);
    await writer.close(END);
    return file;
  }

  it('converts MCAP → pcapng → JSON Lines → MCAP, printing the counts, and every record survives', async () => {
    const mcap = await write('start.mcap');
    let previous = mcap;
    for (const next of ['one.pcapng', 'two.jsonl', 'three.mcap'].map((name) => path.join(dir, name))) {
      const result = await cli.run(['convert', previous, next]);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(
        `converted ${previous} (${path.extname(previous).slice(1)}) to ${next} (${path.extname(next).slice(1)}): ${messageCount} messages and ${eventCount} events; the recording itself missed ${END.missed} messages\n`,
      );
      expect(result.exit.code).toBe(0);
      previous = next;
    }
    const read = await openCaptureReader(previous);
    expect(read.info).toEqual({ ...INFO, ...END });
    expect(comparable(await collect(read.records))).toEqual(comparable(records));
    // No temporary file is left next to the output.
    expect(fs.readdirSync(dir).filter((name) => name.includes('.partial'))).toEqual([]);
  });

  it('--filter writes only what matches and says how many did not', async () => {
    // The random records' sources renamed to A, B and C, so that the filter can name one.
    const simple = records.map((r, i) => (r.type === 'message' ? { ...r, source: 'ABC'[i % 3] } : r));
    const mcap = await write('filter.mcap', simple);
    const out = path.join(dir, 'filtered.jsonl');
    const result = await cli.run(['convert', mcap, out, '--filter', 'src:B']);
    expect(result.exit.code).toBe(0);
    const kept = simple.filter((r) => r.type === 'message' && r.source === 'B');
    expect(kept.length).toBeGreaterThan(5);
    expect(result.stdout).toContain(`: ${kept.length} messages and 0 events; ${simple.length - kept.length} records did not match the filter`);
    expect(comparable(await collect((await openCaptureReader(out)).records))).toEqual(comparable(kept));
  });

  it('refuses unknown extensions, IN equal to OUT and a bad filter as usage errors (exit 2)', async () => {
    const mcap = await write('usage.mcap');
    const unknown = await cli.run(['convert', mcap, path.join(dir, 'out.pcap')]);
    expect(unknown.exit.code).toBe(2);
    expect(unknown.stderr).toContain('out.pcap: unknown extension ".pcap"; a capture file ends in .mcap, .pcapng, .jsonl');
    const same = await cli.run(['convert', mcap, path.join(dir, '.', 'usage.mcap')]);
    expect(same.exit.code).toBe(2);
    expect(same.stderr).toContain('IN and OUT are the same file');
    fs.symlinkSync(mcap, path.join(dir, 'link.mcap'));
    const linked = await cli.run(['convert', mcap, path.join(dir, 'link.mcap')]);
    expect(linked.exit.code).toBe(2);
    expect(linked.stderr).toContain('IN and OUT are the same file');
    const missingOut = await cli.run(['convert', mcap]);
    expect(missingOut.exit.code).toBe(2);
    expect(missingOut.stderr).toContain('give the capture to read and the file to write: convert IN OUT');
    const badFilter = await cli.run(['convert', mcap, path.join(dir, 'x.jsonl'), '--filter', 'kind:nope']);
    expect(badFilter.exit.code).toBe(2);
    expect(badFilter.stderr).toMatch(/--filter: filter: unknown kind "nope"/);
  });

  it('an unreadable or damaged input fails (exit 1) without creating OUT or touching an existing one', async () => {
    const missing = await cli.run(['convert', path.join(dir, 'nothing.pcapng'), path.join(dir, 'never.jsonl')]);
    expect(missing.exit.code).toBe(1);
    expect(missing.stderr).toContain('nothing.pcapng: no such file');
    expect(fs.existsSync(path.join(dir, 'never.jsonl'))).toBe(false);

    const pcapng = await write('whole.pcapng');
    const bytes = fs.readFileSync(pcapng);
    const cut = path.join(dir, 'cut.pcapng');
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const existing = path.join(dir, 'existing.mcap');
    fs.writeFileSync(existing, 'keep me');
    const result = await cli.run(['convert', cut, existing]);
    expect(result.exit.code).toBe(1);
    expect(result.stderr).toMatch(/converting .*cut\.pcapng to .*existing\.mcap failed after \d+ messages and \d+ events: .*cut\.pcapng is cut short: /);
    expect(fs.readFileSync(existing, 'utf8')).toBe('keep me');
    expect(fs.readdirSync(dir).filter((name) => name.includes('.partial'))).toEqual([]);
  });

  it('is listed in the help', async () => {
    const help = await cli.run(['convert', '--help']);
    expect(help.exit.code).toBe(0);
    expect(help.stdout).toContain('Usage: relayscope convert IN OUT [--filter EXPR]');
    expect((await cli.run(['--help'])).stdout).toMatch(/\n {2}convert +convert a capture file between MCAP, pcapng \(Wireshark\) and JSON Lines\n/);
  });
});
