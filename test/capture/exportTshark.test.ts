import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaptureWriter } from '../../electron/capture/captureFiles';
import type { CapturedMessage, CaptureRecord } from '../../electron/capture/captureRecord';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { END, INFO } from './exportFixtures';

/** Wireshark's own reader (tshark 4.0 from Debian) with the shipped dissector, on files the pcapng writer made. */

const LUA = path.resolve(__dirname, '..', '..', 'wireshark', 'relayscope.lua');
/** What tshark prints on every run as root (CI runs as root); anything else on stderr, such as a Lua error, fails the test. */
const ROOT_WARNING = 'Running as user "root" and group "root". This could be dangerous.';

async function tshark(file: string, args: string[]): Promise<string[][]> {
  const { stdout, stderr } = await promisify(execFile)('tshark', ['-X', `lua_script:${LUA}`, '-r', file, ...args], { maxBuffer: 256 * 1024 * 1024 });
  expect(stderr.split('\n').filter((line) => line !== '' && line !== ROOT_WARNING)).toEqual([]);
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

const fields = (...names: string[]): string[] => ['-T', 'fields', '-E', 'separator=/t', '-E', 'quote=n', ...names.flatMap((name) => ['-e', name])];

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const t0 = INFO.startTime;
const FIXED: CaptureRecord[] = [
  { type: 'event', time: t0 + 1, event: 'join', id: 'A', code: 0, detail: 'pid 12' },
  { type: 'message', time: t0 + 10, kind: 'request', source: 'A', destination: 'Bé', correlationId: 4_000_000_001, injected: false, payload: text('{"temp":21.5,"unit":"C"}') },
  { type: 'message', time: t0 + 10, kind: 'reply', source: 'Bé', destination: 'A', correlationId: 4_000_000_001, injected: false, payload: Uint8Array.of(0, 1, 2, 0xfe, 0xff) },
  { type: 'message', time: t0 + 25, kind: 'broadcast', source: 'A', destination: null, correlationId: 0, injected: true, payload: text('hello all') },
  { type: 'message', time: t0 + 1_000_000, kind: 'unicast', source: 'C', destination: 'A', correlationId: 0, injected: false, payload: new Uint8Array(0) },
  { type: 'event', time: t0 + 2_000_000, event: 'leave', id: 'Bé', code: 9, detail: 'kicked by the app' },
  { type: 'message', time: t0 + 2_000_001, kind: 'unicast', source: 'AA', destination: 'C', correlationId: 17, injected: false, payload: text('not A') },
];

let dir: string;
beforeAll(() => {
  dir = makeTempDir('rs-tshark-');
});
afterAll(() => removeTempDir(dir));

async function writePcapng(name: string, records: readonly CaptureRecord[]): Promise<string> {
  const file = path.join(dir, name);
  const writer = await createCaptureWriter(file, INFO);
  for (const record of records) writer.write(record);
  await writer.close(END);
  return file;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('tshark with wireshark/relayscope.lua', () => {
  it('decodes source, destination, kind, correlation, flags and payload of every message, and the events', async () => {
    const file = await writePcapng('fixed.pcapng', FIXED);
    const rows = await tshark(
      file,
      fields(
        'frame.time_epoch',
        'relayscope.kind',
        'relayscope.src',
        'relayscope.dst',
        'relayscope.corr',
        'relayscope.injected',
        'relayscope.broadcast',
        'relayscope.len',
        'relayscope.payload',
        'relayscope.event',
        'relayscope.event.module',
        'relayscope.event.code',
        'relayscope.event.detail',
      ),
    );
    const expected = FIXED.map((record) => {
      const time = `${Math.floor(record.time / 1e6)}.${String(record.time % 1e6).padStart(6, '0')}000`;
      if (record.type === 'event') return [time, 'event', '', '', '', '', '', '', '', record.event, record.id, String(record.code), record.detail];
      return [
        time,
        record.kind,
        record.source,
        record.destination ?? '',
        String(record.correlationId),
        record.injected ? '1' : '0',
        record.destination === null ? '1' : '0',
        String(record.payload.length),
        hex(record.payload),
        '',
        '',
        '',
        '',
      ];
    });
    expect(rows).toEqual(expected);
  });

  it('-Y \'relayscope.src == "A"\' selects exactly the messages A sent', async () => {
    const file = await writePcapng('filter.pcapng', FIXED);
    const frames = (await tshark(file, ['-Y', 'relayscope.src == "A"', ...fields('frame.number')])).map(([n]) => Number(n));
    const fromA = FIXED.flatMap((record, i) => (record.type === 'message' && record.source === 'A' ? [i + 1] : []));
    expect(fromA).toEqual([2, 4]);
    expect(frames).toEqual(fromA);
  });

  it("hands a JSON payload to Wireshark's JSON dissector, and only JSON payloads", async () => {
    const file = await writePcapng('json.pcapng', FIXED);
    const rows = await tshark(file, ['-Y', 'json', ...fields('frame.number', 'json.key', 'json.value.number', 'json.value.string')]);
    expect(rows).toEqual([['2', 'temp,unit', '21.5', 'C']]);
  });

  it('decodes random binary payloads byte for byte', async () => {
    const sources = ['A', 'B', 'sensor-1', 'Ω-unit'];
    const payloads = fc.sample(fc.uint8Array({ maxLength: 3000 }), { numRuns: 300, seed: 20261202 });
    const records: CapturedMessage[] = payloads.map((payload, i) => ({
      type: 'message',
      time: t0 + i * 7,
      kind: (['unicast', 'broadcast', 'request', 'reply'] as const)[i % 4],
      source: sources[i % 4],
      destination: i % 4 === 1 ? null : sources[(i + 1) % 4],
      correlationId: (i * 2654435761) >>> 0,
      injected: i % 5 === 0,
      payload,
    }));
    const file = await writePcapng('random.pcapng', records);
    const rows = await tshark(file, fields('relayscope.src', 'relayscope.dst', 'relayscope.kind', 'relayscope.corr', 'relayscope.payload'));
    expect(rows).toEqual(records.map((r) => [r.source, r.destination ?? '', r.kind, String(r.correlationId), hex(r.payload)]));
  });

  it("decodes a tapped chunk's direction, stream offset and partial flag", async () => {
    const offsets = [0, 300, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER];
    const records: CapturedMessage[] = offsets.map((offset, i) => ({
      type: 'message',
      time: t0 + i,
      kind: 'unicast',
      source: i % 2 === 0 ? 'curl[41]' : 'docker.sock',
      destination: i % 2 === 0 ? 'docker.sock' : 'curl[41]',
      correlationId: 0,
      injected: false,
      tap: { direction: i % 2 === 0 ? 'to-upstream' : 'to-client', offset, partial: i === 3 },
      payload: text(`chunk ${i}`),
    }));
    const file = await writePcapng('tap.pcapng', [...records, FIXED[1]]);
    const rows = await tshark(
      file,
      fields('relayscope.src', 'relayscope.dst', 'relayscope.tapped', 'relayscope.tap.direction', 'relayscope.tap.offset', 'relayscope.tap.partial', 'relayscope.payload'),
    );
    expect(rows).toEqual([
      ...records.map((r) => [r.source, r.destination, '1', r.tap?.direction, String(r.tap?.offset), r.tap?.partial ? '1' : '0', hex(r.payload)]),
      ['A', 'Bé', '0', '', '', '', hex((FIXED[1] as CapturedMessage).payload)],
    ]);
    const tapped = await tshark(file, ['-Y', 'relayscope.tap.direction == "to-client"', ...fields('frame.number', '_ws.col.Info')]);
    expect(tapped).toEqual([
      ['2', 'docker.sock -> curl[41] tap to-client @300 corr=0 7 bytes'],
      ['4', `docker.sock -> curl[41] tap to-client @${Number.MAX_SAFE_INTEGER} partial corr=0 7 bytes`],
    ]);
  });

  it("decodes a join's detail into the peer's pid, uid, gid, executable, arguments, framing and tap side", async () => {
    const identity = { pid: 880, uid: 1000, gid: 100, exe: '/usr/bin/pythön3 "x"', cmdline: ['python3', '-c', 'print("a\\b")\n', '\u0001', 'a,b\tc'], tap: 'client' };
    const plain = { pid: 7, framing: 'line' };
    const records: CaptureRecord[] = [
      { type: 'event', time: t0, event: 'join', id: 'python3[880]', code: 0, detail: JSON.stringify(identity) },
      { type: 'event', time: t0 + 1, event: 'join', id: 'line-1', code: 0, detail: JSON.stringify(plain) },
      { type: 'event', time: t0 + 2, event: 'join', id: 'B', code: 0, detail: '' },
      { type: 'event', time: t0 + 3, event: 'leave', id: 'B', code: 0, detail: '{"pid":5}' },
    ];
    const file = await writePcapng('identity.pcapng', records);
    const rows = await tshark(file, [
      ...fields('relayscope.event.module', 'relayscope.peer.pid', 'relayscope.peer.uid', 'relayscope.peer.gid', 'relayscope.peer.exe', 'relayscope.peer.framing', 'relayscope.peer.tap'),
      '-E',
      'occurrence=f',
    ]);
    expect(rows).toEqual([
      ['python3[880]', '880', '1000', '100', identity.exe, '', 'client'],
      ['line-1', '7', '', '', '', 'line', ''],
      ['B', '', '', '', '', '', ''],
      ['B', '', '', '', '', '', ''],
    ]);
    // Arguments one field each, so that one holding a comma or a tab stays whole: read them from tshark's JSON.
    const { stdout } = await promisify(execFile)('tshark', ['-X', `lua_script:${LUA}`, '-r', file, '-T', 'json', '--no-duplicate-keys', '-j', 'relayscope', '-Y', 'frame.number == 1']);
    const args = JSON.parse(stdout)[0]._source.layers.relayscope['relayscope.peer.arg'];
    expect(args).toEqual(identity.cmdline);
  });

  it('marks a damaged PDU as malformed instead of failing the run', async () => {
    const file = await writePcapng('damaged.pcapng', FIXED.slice(1, 3));
    const bytes = fs.readFileSync(file);
    // A PDU follows 20 bytes of exported-PDU tags; its first byte is the version, its 9th and 10th the source length.
    const tags = bytes.indexOf('relayscope\0\0') - 4;
    bytes[tags + 20] = 9;
    const second = bytes.indexOf('relayscope\0\0', tags + 20) - 4;
    bytes.writeUInt16BE(60_000, second + 20 + 8);
    fs.writeFileSync(file, bytes);
    const rows = await tshark(file, fields('frame.number', '_ws.expert.message'));
    expect(rows).toEqual([
      ['1', 'unknown PDU version 9'],
      ['2', 'module IDs longer than the PDU'],
    ]);
  });

  it('loads from the personal Lua plugins folder, as docs/CAPTURE.md tells users to install it', async () => {
    const file = await writePcapng('plugin.pcapng', FIXED);
    const home = path.join(dir, 'home');
    fs.mkdirSync(path.join(home, '.local', 'lib', 'wireshark', 'plugins'), { recursive: true });
    fs.copyFileSync(LUA, path.join(home, '.local', 'lib', 'wireshark', 'plugins', 'relayscope.lua'));
    const { stdout } = await promisify(execFile)('tshark', ['-r', file, '-Y', 'relayscope.src == "A"', '-T', 'fields', '-e', 'relayscope.dst', '-e', 'relayscope.kind'], {
      env: { ...process.env, HOME: home },
    });
    expect(stdout).toBe('Bé\trequest\n\tbroadcast\n');
  });

  it('shows the capture as exported PDUs for the relayscope dissector, with the hub and the Relayscope version', async () => {
    const file = await writePcapng('tree.pcapng', FIXED.slice(1, 2));
    const { stdout } = await promisify(execFile)('tshark', ['-X', `lua_script:${LUA}`, '-r', file, '-V']);
    expect(stdout).toContain('Exported PDU');
    expect(stdout).toContain('Protocol Name: relayscope');
    expect(stdout).toContain('Relayscope relayed message');
    const { stdout: info } = await promisify(execFile)('capinfos', [file]);
    expect(info).toMatch(/File encapsulation:\s+Wireshark Upper PDU export/);
    expect(info).toMatch(/Capture application:\s+Relayscope 0\.1\.0/);
    expect(info).toMatch(/Time precision = microseconds \(6\)/);
  });
});
