import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaptureWriter } from '../../electron/capture/captureFiles';
import type { CapturedMessage, CaptureRecord } from '../../electron/capture/captureRecord';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { END, INFO, recordsOf } from './exportFixtures';

/** The JSON Lines export read by the real jq (Debian's jq 1.6). */

async function jq(file: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('jq', [...args, file], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

let dir: string;
beforeAll(() => {
  dir = makeTempDir('rs-jq-');
});
afterAll(() => removeTempDir(dir));

async function writeJsonl(name: string, records: readonly CaptureRecord[]): Promise<string> {
  const file = path.join(dir, name);
  const writer = await createCaptureWriter(file, INFO);
  for (const record of records) writer.write(record);
  await writer.close(END);
  return file;
}

const [records] = fc.sample(recordsOf(60, 80), { numRuns: 1, seed: 7 });
const messages = records.filter((record): record is CapturedMessage => record.type === 'message');
const isUtf8 = (bytes: Uint8Array): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

describe('jq reads the JSON Lines export', () => {
  it('one object per line: the capture line, every record in order, the end line', async () => {
    const file = await writeJsonl('all.jsonl', records);
    expect(lines(await jq(file, '-r', '.type'))).toEqual(['capture', ...records.map((r) => r.type), 'end']);
    expect(JSON.parse(lines(await jq(file, '-c', 'select(.type=="capture")'))[0])).toMatchObject({ format: 'relayscope-jsonl', version: 1, hub: INFO.hub, startTime: INFO.startTime });
    expect(JSON.parse(lines(await jq(file, '-c', 'select(.type=="end")'))[0])).toEqual({ type: 'end', ...END });
  });

  it('select(.type=="message") | .source gives every message\'s source, in order', async () => {
    const file = await writeJsonl('sources.jsonl', records);
    expect(messages.length).toBeGreaterThan(20);
    expect(await jq(file, '-r', 'select(.type=="message") | .source')).toBe(messages.map((m) => `${m.source}\n`).join(''));
  });

  it('payloads: text when they are UTF-8, base64 otherwise, and the encoding says which', async () => {
    const file = await writeJsonl('payloads.jsonl', records);
    const got = lines(await jq(file, '-c', 'select(.type=="message") | [.encoding, .payload]')).map((line) => JSON.parse(line) as [string, string]);
    const expected = messages.map((m) => (isUtf8(m.payload) ? ['utf8', new TextDecoder('utf-8', { ignoreBOM: true }).decode(m.payload)] : ['base64', Buffer.from(m.payload).toString('base64')]));
    expect(expected.some(([encoding]) => encoding === 'base64')).toBe(true);
    expect(expected.some(([encoding]) => encoding === 'utf8')).toBe(true);
    expect(got).toEqual(expected);
  });

  it('a JSON payload can be opened with fromjson, and events selected by name', async () => {
    const t0 = INFO.startTime;
    const file = await writeJsonl('json.jsonl', [
      { type: 'message', time: t0 + 1, kind: 'request', source: 'A', destination: 'B', correlationId: 3, injected: false, payload: new TextEncoder().encode('{"temp":21.5}') },
      { type: 'event', time: t0 + 2, event: 'leave', id: 'B', code: 9, detail: 'kicked' },
    ]);
    expect(await jq(file, '-r', 'select(.type=="message") | .payload | fromjson | .temp')).toBe('21.5\n');
    expect(await jq(file, '-r', 'select(.type=="event" and .event=="leave") | "\\(.id) \\(.code) \\(.detail)"')).toBe('B 9 kicked\n');
  });

  it("a tapped chunk's direction, offset and partial flag are in .tap, and a join's identity in its detail", async () => {
    const file = await writeJsonl('tap.jsonl', records);
    const tapped = messages.filter((m) => m.tap !== undefined);
    expect(tapped.length).toBeGreaterThan(3);
    const got = lines(await jq(file, '-c', 'select(.type=="message" and .tap != null) | [.source, .tap.direction, .tap.offset, .tap.partial]')).map((line) => JSON.parse(line));
    expect(got).toEqual(tapped.map((m) => [m.source, m.tap?.direction, m.tap?.offset, m.tap?.partial]));
    expect(lines(await jq(file, '-c', 'select(.type=="message" and .tap == null) | .source')).length).toBe(messages.length - tapped.length);
    const joins = await writeJsonl('join.jsonl', [
      {
        type: 'event',
        time: INFO.startTime,
        event: 'join',
        id: 'python3[880]',
        code: 0,
        detail: JSON.stringify({ pid: 880, uid: 1000, exe: '/usr/bin/python3', cmdline: ['python3', 'c.py'], tap: 'client' }),
      },
    ]);
    expect(await jq(joins, '-r', 'select(.type=="event" and .event=="join") | .detail | fromjson | "\\(.pid) \\(.exe) \\(.cmdline | join(" ")) \\(.tap)"')).toBe(
      '880 /usr/bin/python3 python3 c.py client\n',
    );
  });

  it("docs/CAPTURE.md's jq examples run as written", async () => {
    const t0 = INFO.startTime;
    const file = await writeJsonl('docs.jsonl', [
      { type: 'message', time: t0 + 1, kind: 'request', source: 'A', destination: 'B', correlationId: 3, injected: false, payload: new TextEncoder().encode('{"temp":21.5}') },
      { type: 'message', time: t0 + 2, kind: 'broadcast', source: 'B', destination: null, correlationId: 0, injected: false, payload: new TextEncoder().encode('plain text') },
      { type: 'message', time: t0 + 3, kind: 'unicast', source: 'A', destination: 'C', correlationId: 0, injected: true, payload: Uint8Array.of(0xff, 0) },
      { type: 'event', time: t0 + 4, event: 'join', id: 'nc[7]', code: 0, detail: '{"pid":7,"exe":"/usr/bin/nc","tap":"client"}' },
      {
        type: 'message',
        time: t0 + 5,
        kind: 'unicast',
        source: 'srv.sock',
        destination: 'nc[7]',
        correlationId: 0,
        injected: false,
        tap: { direction: 'to-client', offset: 300, partial: false },
        payload: new TextEncoder().encode('hi'),
      },
    ]);
    expect(await jq(file, '-c', 'select(.type=="message" and .source=="A") | {to: .destination, kind, payload}')).toBe(
      '{"to":"B","kind":"request","payload":"{\\"temp\\":21.5}"}\n{"to":"C","kind":"unicast","payload":"/wA="}\n',
    );
    expect(await jq(file, '-r', 'select(.type=="message" and .encoding=="utf8") | .payload | fromjson? | .temp')).toBe('21.5\n');
    expect(await jq(file, '-c', 'select(.type=="message" and .tap != null) | [.source, .tap.direction, .tap.offset]')).toBe('["srv.sock","to-client",300]\n');
    expect(await jq(file, '-r', 'select(.type=="event" and .event=="join") | "\\(.id) \\(.detail | fromjson? | .pid)"')).toBe('nc[7] 7\n');
  });

  it('time is microseconds since the epoch, as a number jq can compute with', async () => {
    const file = await writeJsonl('time.jsonl', records);
    const first = records[0].time;
    expect(lines(await jq(file, '-r', `select(.time) | .time - ${first}`)).map(Number)).toEqual(records.map((r) => r.time - first));
    expect(fs.statSync(file).size).toBeGreaterThan(0);
  });
});
