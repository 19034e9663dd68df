/**
 * The recording section of the bench (`npm run bench -- --only record`): the hub's one-pair 64 B rate
 * from the C generator with and without an in-process recording, in the same run and alternating, and
 * what the recording missed; the `relayscope record` CLI's rate over a socket (the highest paced rate
 * it records without a miss); and opening a 1,000,000-message capture: time to the first records,
 * to the end, and memory.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { McapCaptureWriter } from '../electron/capture/McapCaptureWriter';
import { readMcapCapture } from '../electron/capture/readMcapCapture';
import { encodeHello, encodeMessage, FrameDecoder, FrameType, maxFrameLength, DEFAULT_MAX_PAYLOAD, MessageKind, type RecordingStatus } from '../electron/hub';

export interface RecordingBenchContext {
  tempDir: string;
  hubSocket: string;
  hub: ChildProcess;
  /** The compiled bench/c/loadgen.c, or null when there is no C compiler. */
  loadgen: string | null;
  runSeconds: number;
  ask<T>(child: ChildProcess, question: string): Promise<T>;
  printTable(header: string[], lines: string[][]): void;
}

interface LoadgenLoad {
  rate: number;
  sent_total: number;
  lost: number;
}

/** Runs with and without recording, alternating; more rounds even out a busy machine (BENCH_RECORD_ROUNDS). */
const ROUNDS = Number(process.env.BENCH_RECORD_ROUNDS ?? 3);

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function loadgen(binary: string, hubSocket: string, seconds: number, batchBytes: number): Promise<LoadgenLoad> {
  const args = [
    'throughput',
    `hub:${hubSocket}`,
    '--pairs',
    '1',
    '--payload',
    '64',
    '--seconds',
    String(seconds),
    '--warmup-ms',
    '500',
    '--window-bytes',
    String(1024 * 1024),
    '--batch-bytes',
    String(batchBytes),
  ];
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: (seconds + 60) * 1000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`loadgen ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      const result = JSON.parse(stdout.trim().split('\n').pop() ?? '') as LoadgenLoad;
      if (result.lost !== 0) return reject(new Error(`loadgen: ${result.lost} messages never reached the receiver`));
      resolve(result);
    });
  });
}

/** Relay rate with and without an in-process recording, alternating so drift hits both alike. */
async function inProcess(ctx: RecordingBenchContext, binary: string): Promise<void> {
  const lines: string[][] = [];
  for (const [label, batchBytes] of [
    ['one send() per message', 0],
    ['32 KiB of frames per send()', 32 * 1024],
  ] as const) {
    const plain: number[] = [];
    const recorded: number[] = [];
    let missed = 0;
    let written = 0;
    let sent = 0;
    for (let round = 0; round < ROUNDS; round++) {
      plain.push((await loadgen(binary, ctx.hubSocket, ctx.runSeconds, batchBytes)).rate);
      const file = path.join(ctx.tempDir, `in-process-${batchBytes}-${round}.mcap`);
      await ctx.ask<string>(ctx.hub, `record-start:${file}`);
      const load = await loadgen(binary, ctx.hubSocket, ctx.runSeconds, batchBytes);
      const { status } = await ctx.ask<{ status: RecordingStatus }>(ctx.hub, 'record-stop');
      recorded.push(load.rate);
      missed += status.missed;
      written += status.written;
      sent += load.sent_total;
      fs.rmSync(file);
    }
    const mean = (list: number[]): number => list.reduce((a, b) => a + b, 0) / list.length;
    lines.push([label, fmt(mean(plain)), fmt(mean(recorded)), `${fmt((100 * mean(recorded)) / mean(plain), 1)} %`, fmt(sent), fmt(written), fmt(missed)]);
  }
  console.log(`\nIn-process recording (RelayHub.startRecording), C generator, 64 B one-to-one, 1 pair, ${ctx.runSeconds} s runs, ${ROUNDS} rounds each alternating:`);
  ctx.printTable(['sender writes', 'hub msgs/s', 'recorded msgs/s', 'recorded/hub', 'sent', 'written', 'missed'], lines);
}

/** A module sending 64 B messages to a receiver at `rate` per second for `seconds`, in 1 ms steps. */
async function pacedLoad(hubSocket: string, rate: number, seconds: number): Promise<number> {
  const connect = async (id: string): Promise<{ socket: net.Socket; received: () => number }> => {
    const socket = net.connect(hubSocket);
    const decoder = new FrameDecoder(maxFrameLength(DEFAULT_MAX_PAYLOAD));
    let messages = 0;
    const welcomed = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) =>
        decoder.push(chunk, (type) => {
          if (type === FrameType.WELCOME) resolve();
          else if (type === FrameType.MESSAGE) messages++;
        }),
      );
    });
    socket.write(encodeHello({ id }));
    await welcomed;
    return { socket, received: () => messages };
  };
  const receiver = await connect('paced-receiver');
  const sender = await connect('paced-sender');
  const frame = encodeMessage(MessageKind.UNICAST, 'paced-receiver', Buffer.alloc(64, 0x61));
  const total = Math.round(rate * seconds);
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    if (due > sent) {
      sender.socket.write(Buffer.concat(Array.from({ length: due - sent }, () => frame)));
      sent = due;
    }
    await sleep(1);
  }
  for (let i = 0; i < 200 && receiver.received() < total; i++) await sleep(10);
  sender.socket.destroy();
  receiver.socket.destroy();
  return total;
}

function startRecordCli(hubSocket: string, file: string): Promise<{ child: ChildProcess; output: Promise<string> }> {
  const cli = path.join(__dirname, '..', '..', 'bin', 'relayscope.js');
  const child = spawn(process.execPath, [cli, 'record', '--output', file, '--socket', hubSocket], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const output = new Promise<string>((resolve) => child.once('exit', () => resolve(stdout)));
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('recording ')) resolve({ child, output });
    });
    child.once('exit', (code) => reject(new Error(`relayscope record exited with ${code} before recording`)));
  });
}

/** `relayscope record` over the socket at paced rates: the highest it keeps without a miss. */
async function recordCli(ctx: RecordingBenchContext): Promise<void> {
  const lines: string[][] = [];
  const seconds = Math.max(2, ctx.runSeconds);
  for (const rate of [50_000, 100_000, 200_000, 400_000, 800_000]) {
    const file = path.join(ctx.tempDir, `cli-${rate}.mcap`);
    const { child, output } = await startRecordCli(ctx.hubSocket, file);
    const sent = await pacedLoad(ctx.hubSocket, rate, seconds);
    child.kill('SIGTERM');
    const text = await output;
    const match = /recorded (\d+) messages .* missed (\d+)/.exec(text);
    if (match === null) throw new Error(`relayscope record printed: ${text}`);
    lines.push([fmt(rate), fmt(sent), fmt(Number(match[1])), fmt(Number(match[2]))]);
    fs.rmSync(file, { force: true });
    if (Number(match[2]) > 0) break;
  }
  console.log(`\nrelayscope record over the socket, 64 B one-to-one at paced rates, ${seconds} s each (stops at the first rate with a miss):`);
  ctx.printTable(['paced msgs/s', 'sent', 'recorded', 'missed'], lines);
}

/** Writes 1,000,000 messages, then opens the file: first records, all records, memory. */
async function openLarge(ctx: RecordingBenchContext): Promise<void> {
  const file = path.join(ctx.tempDir, 'million.mcap');
  const count = 1_000_000;
  const info = { hub: 'bench', sockets: [], host: 'bench', startTime: Date.now() * 1000, relayscopeVersion: 'bench', missed: 0, countersAtStart: null, countersAtEnd: null };
  const writeStart = performance.now();
  const writer = await McapCaptureWriter.create(file, info);
  const payload = new Uint8Array(64).fill(0x61);
  for (let i = 0; i < count; i++) {
    writer.write({ type: 'message', time: info.startTime + i * 10, kind: 'unicast', source: `m${i % 8}`, destination: `m${(i + 1) % 8}`, correlationId: i, injected: false, payload });
    if (writer.pending > 50_000) await writer.flushed();
  }
  await writer.close();
  const writeMs = performance.now() - writeStart;
  const rssBefore = process.memoryUsage().rss;
  const openStart = performance.now();
  const capture = await readMcapCapture(file);
  const openMs = performance.now() - openStart;
  let firstMs = 0;
  let n = 0;
  let peakRss = rssBefore;
  for await (const record of capture.records) {
    if (record.type !== 'message') continue;
    n++;
    if (n === 1000) firstMs = performance.now() - openStart;
    if (n % 100_000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const allMs = performance.now() - openStart;
  const middle = info.startTime + (count / 2) * 10;
  const rangeStart = performance.now();
  let inRange = 0;
  for await (const record of (await readMcapCapture(file, { start: middle, end: middle + 10_000 })).records) if (record.type === 'message') inRange++;
  const rangeMs = performance.now() - rangeStart;
  console.log(`\nA capture of ${fmt(count)} messages of 64 B (${fmt(fs.statSync(file).size / 1e6, 1)} MB, written in ${fmt(writeMs)} ms):`);
  ctx.printTable(
    ['step', 'ms'],
    [
      ['open (index, metadata)', fmt(openMs, 1)],
      ['first 1,000 messages', fmt(firstMs, 1)],
      [`all ${fmt(n)} messages`, fmt(allMs)],
      [`a 10 ms range in the middle (${fmt(inRange)} messages)`, fmt(rangeMs, 1)],
    ],
  );
  console.log(`RSS ${fmt(rssBefore / 1e6)} MB before opening, at most ${fmt(peakRss / 1e6)} MB while reading it all.`);
  fs.rmSync(file);
}

export async function recordingBench(ctx: RecordingBenchContext): Promise<void> {
  if (ctx.loadgen === null) console.log('\nIn-process recording: skipped, no C compiler for bench/c/loadgen.c.');
  else await inProcess(ctx, ctx.loadgen);
  await recordCli(ctx);
  await openLarge(ctx);
}
