/**
 * `npm run bench`: hub throughput, round trip and fan-out against a raw Unix-socket baseline measured
 * in the same run, with and without a monitor attached, then a memory soak with a slow consumer.
 *
 * Layout: the hub and the monitor run in their own processes (as they would for real); the load
 * generator is this process. The raw baseline is the same generator talking over a connected pair of
 * AF_UNIX stream sockets with no hub between, so the ratio is exactly what the hop through the hub costs.
 *
 * "Driven from C" repeats the throughput, fan-out and round-trip measurements with bench/c/loadgen.c, a
 * C generator compiled here (one process, poll(), non-blocking sockets) so the generator is not the
 * bottleneck, and, when mosquitto is installed, pushes the same 64 B one-to-one load through Mosquitto.
 *
 * The references run in the same run, with the same generators: bench/c/refRelay.c, a minimal C relay
 * doing the hub's per-message work with epoll (the physical reference for one hop, and the main ratio:
 * hub ÷ reference), then dbus-daemon (bench/dbus.ts) and NATS (bench/nats.ts), each skipped with the
 * reason when its package is missing.
 *
 * Flags: --seconds N (per throughput run, default 3), --soak-seconds N (default 120), --warmup-ms N
 * (default 500), --rtt-count N (default 20,000), --quick (0.4 s runs, 150 ms warm-up, 3,000 round
 * trips, 20 s soak: everything in about two minutes), --only NAME (throughput|rtt|fanout|soak|c|record|refs|tap|federation;
 * record: bench/recordingBench.ts; refs: the 64 B one-pair scenarios and round trips of each section,
 * then dbus-daemon and NATS; tap: bench/tapBench.ts, `hub --tap` against a direct connection and socat;
 * federation: bench/federationBench.ts, two `hub --nats` processes against raw NATS).
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeMessage, MessageKind, type HubTotals } from '../electron/hub';
import { RelayClient } from '../electron/client';
import { compileC } from './cProgram';
import { dbusBench } from './dbus';
import { findMosquitto, startMosquitto } from './mqtt/mosquitto';
import { federationBench } from './federationBench';
import { hubPeer, Peer } from './hubPeer';
import { natsBench } from './nats';
import { recordingBench } from './recordingBench';
import { startRefRelay } from './refRelay';
import { fmt, type HubFigures, printTable } from './table';
import { tapBench } from './tapBench';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const flagValue = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const runSeconds = Number(flagValue('--seconds') ?? (quick ? 0.4 : 3));
const soakSeconds = Number(flagValue('--soak-seconds') ?? (quick ? 20 : 120));
const only = flagValue('--only');
const refsOnly = only === 'refs';
const rttCount = Number(flagValue('--rtt-count') ?? (quick ? 3000 : 20000));

const WARMUP_MS = Number(flagValue('--warmup-ms') ?? (quick ? 150 : 500));
/** Bytes a sender may have in flight per pair: well under the hub's 8 MiB queue limit. */
const WINDOW_BYTES = 1024 * 1024;
const BATCH_BYTES = 32 * 1024;

let tempDir = '';
let rawSerial = 0;

async function rawPair(): Promise<[Peer, Peer]> {
  const file = path.join(tempDir, `raw-${++rawSerial}.sock`);
  const server = net.createServer();
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(file, resolve));
  const client = net.connect(file);
  const serverSide = await accepted;
  await new Promise<void>((resolve) => (client.connecting ? client.once('connect', () => resolve()) : resolve()));
  server.close();
  return [new Peer(client), new Peer(serverSide)];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * What one write() of a sender carries: one frame ('message' mode, as a module sends), or a pre-built
 * run of frames about BATCH_BYTES long ('batch' mode: a generator with no per-message cost, to find
 * the hub's ceiling).
 */
type WriteMode = 'message' | 'batch';
let writeMode: WriteMode = 'message';

function frameBatch(kind: MessageKind, destination: string, payloadSize: number): { batch: Buffer; frames: number; frameBytes: number } {
  const frame = encodeMessage(kind, destination, Buffer.alloc(payloadSize, 0x61));
  const frames = writeMode === 'message' ? 1 : Math.max(1, Math.floor(BATCH_BYTES / frame.length));
  return { batch: Buffer.concat(Array.from({ length: frames }, () => frame)), frames, frameBytes: frame.length };
}

interface Flow {
  sender: Peer;
  receivers: Peer[];
  batch: Buffer;
  batchFrames: number;
  windowFrames: number;
  sent: number;
}

/**
 * Drives flows for runSeconds after a warm-up and returns messages per second, counted at the
 * slowest receiver of each flow (a broadcast counts once however many receive it).
 */
/** Messages relayed by the last drive(), warm-up and drain included: what a monitor should have copies of. */
let lastRunMessages = 0;

async function drive(flows: Flow[]): Promise<number> {
  let running = true;
  const delivered = (flow: Flow): number => Math.min(...flow.receivers.map((r) => r.frames));
  const pump = (flow: Flow): void => {
    while (running && flow.sent - delivered(flow) + flow.batchFrames <= flow.windowFrames) {
      flow.sender.socket.write(flow.batch);
      flow.sent += flow.batchFrames;
    }
  };
  for (const flow of flows) {
    for (const receiver of flow.receivers) receiver.onChunk = () => pump(flow);
    pump(flow);
  }
  await sleep(WARMUP_MS);
  const startCount = flows.reduce((sum, flow) => sum + delivered(flow), 0);
  const startedAt = performance.now();
  await sleep(runSeconds * 1000);
  const count = flows.reduce((sum, flow) => sum + delivered(flow), 0) - startCount;
  const seconds = (performance.now() - startedAt) / 1000;
  running = false;
  // Let what is in flight arrive so the next run starts from quiet sockets.
  for (let i = 0; i < 200 && flows.some((flow) => delivered(flow) < flow.sent); i++) await sleep(10);
  for (const flow of flows) for (const receiver of flow.receivers) receiver.onChunk = null;
  lastRunMessages = flows.reduce((sum, flow) => sum + delivered(flow), 0);
  return count / seconds;
}

function destroyAll(flows: Flow[]): void {
  for (const flow of flows) {
    flow.sender.socket.destroy();
    for (const receiver of flow.receivers) receiver.socket.destroy();
  }
}

async function throughput(hubSocket: string | null, pairs: number, payloadSize: number): Promise<number> {
  const flows: Flow[] = [];
  for (let i = 0; i < pairs; i++) {
    const receiverId = `rcv-${i}`;
    const [sender, receiver] = hubSocket === null ? await rawPair() : [await hubPeer(hubSocket, `snd-${i}`), await hubPeer(hubSocket, receiverId)];
    const { batch, frames, frameBytes } = frameBatch(MessageKind.UNICAST, receiverId, payloadSize);
    flows.push({ sender, receivers: [receiver], batch, batchFrames: frames, windowFrames: Math.max(frames * 2, Math.floor(WINDOW_BYTES / frameBytes)), sent: 0 });
  }
  const rate = await drive(flows);
  destroyAll(flows);
  return rate;
}

async function fanout(hubSocket: string | null, receivers: number, payloadSize: number): Promise<number> {
  const { batch, frames, frameBytes } = frameBatch(hubSocket === null ? MessageKind.UNICAST : MessageKind.BROADCAST, '', payloadSize);
  const windowFrames = Math.max(frames * 2, Math.floor(WINDOW_BYTES / frameBytes));
  if (hubSocket !== null) {
    const sender = await hubPeer(hubSocket, 'fan-sender');
    const peers: Peer[] = [];
    for (let i = 0; i < receivers; i++) peers.push(await hubPeer(hubSocket, `fan-${i}`));
    const flows = [{ sender, receivers: peers, batch, batchFrames: frames, windowFrames, sent: 0 }];
    const rate = await drive(flows);
    destroyAll(flows);
    return rate;
  }
  // Raw baseline for a fan-out: the sender itself writes every message to each receiver.
  const flows: Flow[] = [];
  for (let i = 0; i < receivers; i++) {
    const [sender, receiver] = await rawPair();
    flows.push({ sender, receivers: [receiver], batch, batchFrames: frames, windowFrames, sent: 0 });
  }
  const perReceiver = await drive(flows);
  destroyAll(flows);
  return perReceiver / receivers;
}

/**
 * Sequential request/reply round trips to a responder in another process (echoProcess): over a
 * socketpair() shared with it (raw), or through the hub. Returns latencies in microseconds, sorted.
 */
async function roundTrips(hubSocket: string | null, count: number): Promise<number[]> {
  const responderProcess = fork(path.join(__dirname, 'echoProcess.js'), [hubSocket ?? 'socketpair'], { stdio: ['ignore', 'inherit', 'inherit', 'pipe', 'ipc'] });
  const ready = new Promise<void>((resolve, reject) => {
    responderProcess.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(`rtt responder: ${String(m)}`))));
  });
  const requester = hubSocket === null ? new Peer(responderProcess.stdio[3] as net.Socket) : await hubPeer(hubSocket, 'rtt-client');
  await ready;
  const request = encodeMessage(MessageKind.REQUEST, 'rtt-server', Buffer.alloc(64, 0x71), 1);
  const latencies: number[] = [];
  const warmup = Math.floor(count / 10);
  await new Promise<void>((resolve) => {
    let sentAt = 0;
    requester.onFrame = () => {
      const micros = (performance.now() - sentAt) * 1000;
      if (requester.frames > warmup) latencies.push(micros);
      if (requester.frames >= count + warmup) return resolve();
      sentAt = performance.now();
      requester.socket.write(request);
    };
    sentAt = performance.now();
    requester.socket.write(request);
  });
  requester.socket.destroy();
  await stopChild(responderProcess);
  return latencies.sort((a, b) => a - b);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function startChild(script: string, socketPath: string): Promise<ChildProcess> {
  const child = fork(path.join(__dirname, script), [socketPath], {
    execArgv: process.env.BENCH_PROF && script === 'hubProcess.js' ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROF] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => (m === 'ready' ? resolve(child) : reject(new Error(`${script} said ${String(m)}`))));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

function ask<T>(child: ChildProcess, question: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(question);
  });
}

/** The monitor's copy count once it stops changing (copies may still be in flight when the load ends). */
async function settledTrafficCount(monitor: ChildProcess): Promise<number> {
  let previous = -1;
  for (let i = 0; i < 40; i++) {
    const { traffic } = await ask<{ traffic: number }>(monitor, 'count');
    if (traffic === previous) return traffic;
    previous = traffic;
    await sleep(50);
  }
  return previous;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send('stop');
  await Promise.race([exited, sleep(3000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

interface Row {
  scenario: string;
  raw: number;
  /** Through the C reference relay; null when it could not be built. */
  ref: number | null;
  hub: number;
  monitored: number;
  /** Share of the monitored run's messages the monitor received a copy of (the hub drops copies to a monitor that falls behind). */
  copiesSeen: number;
  bytesPerMessage: number;
}

function printThroughputTable(rows: Row[]): void {
  const header = ['scenario', 'ref msgs/s', 'hub msgs/s', 'hub/ref', 'raw msgs/s', 'hub/raw', 'hub MB/s', '+monitor msgs/s', 'monitored/hub', 'copies seen'];
  const lines = rows.map((r) => [
    r.scenario,
    r.ref === null ? '—' : fmt(r.ref),
    fmt(r.hub),
    r.ref === null || r.ref === 0 ? '—' : `${fmt((r.hub / r.ref) * 100, 1)}%`,
    fmt(r.raw),
    `${fmt((r.hub / r.raw) * 100, 1)}%`,
    fmt((r.hub * r.bytesPerMessage) / 1e6, 1),
    fmt(r.monitored),
    `${fmt((r.monitored / r.hub) * 100, 1)}%`,
    `${fmt(r.copiesSeen * 100, 1)}%`,
  ]);
  printTable(header, lines);
}

/** Round-trip rows: the C reference relay's p50 is the main yardstick, the raw pair's the second. */
function printRoundTripTable(rows: { path: string; p50: number; p99: number }[], raw: number, ref: number | null): void {
  printTable(
    ['path', 'p50', 'p99', 'p50 / ref p50', 'p50 / raw p50'],
    rows.map((r) => [r.path, fmt(r.p50, 1), fmt(r.p99, 1), ref === null ? '—' : `${fmt(r.p50 / ref, 2)}×`, `${fmt(r.p50 / raw, 2)}×`]),
  );
}

/**
 * Full load on one pair plus a slow consumer that reads about 256 KiB/s and is sent a share of the
 * traffic: under the default policy the hub disconnects it when its queue passes the limit, and it
 * reconnects, as a misbehaving module would. RSS is sampled every second.
 */
async function soak(hubSocket: string, hub: ChildProcess): Promise<void> {
  const [sender, receiver] = [await hubPeer(hubSocket, 'soak-sender'), await hubPeer(hubSocket, 'soak-receiver')];
  const { batch, frames, frameBytes } = frameBatch(MessageKind.UNICAST, 'soak-receiver', 64);
  const slowFrame = encodeMessage(MessageKind.UNICAST, 'soak-slow', Buffer.alloc(1024, 0x73));
  let slow: Peer | null = null;
  let slowReconnects = 0;
  let stopping = false;
  const connectSlow = async (): Promise<void> => {
    if (stopping) return;
    const peer = await hubPeer(hubSocket, 'soak-slow').catch(() => null);
    if (peer === null) {
      setTimeout(() => void connectSlow(), 100);
      return;
    }
    slow = peer;
    peer.socket.on('data', () => {
      peer.socket.pause();
      setTimeout(() => peer.socket.resume(), 250);
    });
    peer.socket.once('close', () => {
      slow = null;
      slowReconnects++;
      setTimeout(() => void connectSlow(), 100);
    });
  };
  await connectSlow();
  const flow: Flow = { sender, receivers: [receiver], batch, batchFrames: frames, windowFrames: Math.floor(WINDOW_BYTES / frameBytes), sent: 0 };
  let running = true;
  let sinceSlow = 0;
  const pump = (): void => {
    while (running && flow.sent - receiver.frames + flow.batchFrames <= flow.windowFrames) {
      sender.socket.write(flow.batch);
      flow.sent += flow.batchFrames;
      // One 1 KiB message to the slow consumer per 64 ordinary ones: far more than it reads.
      sinceSlow += flow.batchFrames;
      for (; sinceSlow >= 64; sinceSlow -= 64) if (slow !== null) sender.socket.write(slowFrame);
    }
  };
  receiver.onChunk = pump;
  pump();
  const samples: { second: number; rss: number; messages: number }[] = [];
  for (let second = 1; second <= soakSeconds; second++) {
    await sleep(1000);
    const { rss } = await ask<{ rss: number }>(hub, 'rss');
    samples.push({ second, rss, messages: receiver.frames });
  }
  running = false;
  stopping = true;
  const final = await ask<{ rss: number; slowConsumerDisconnects: number; drops: number }>(hub, 'rss');
  sender.socket.destroy();
  receiver.socket.destroy();
  (slow as Peer | null)?.socket.destroy();
  // The first 10 s are warm-up (JIT, heap growth to its working size); flatness is judged after.
  const steady = samples.filter((s) => s.second > Math.min(10, soakSeconds / 4));
  const rssValues = steady.map((s) => s.rss);
  const mean = rssValues.reduce((a, b) => a + b, 0) / rssValues.length;
  const min = Math.min(...rssValues);
  const max = Math.max(...rssValues);
  const mb = (n: number): string => fmt(n / 1048576, 1);
  const firstTen = steady.slice(0, 10).map((s) => s.rss);
  const lastTen = steady.slice(-10).map((s) => s.rss);
  const avg = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  console.log(`\nMemory soak: ${soakSeconds} s of full load on one pair (64 B) plus a slow consumer`);
  console.log(`  messages relayed to the fast receiver: ${fmt(receiver.frames)} (${fmt(receiver.frames / soakSeconds)} msgs/s)`);
  console.log(`  slow consumer disconnected by the hub ${final.slowConsumerDisconnects} times, reconnected ${slowReconnects} times; messages not delivered to it: ${fmt(final.drops)}`);
  console.log(`  hub RSS after warm-up: min ${mb(min)} MiB, max ${mb(max)} MiB, mean ${mb(mean)} MiB; spread ${fmt(((max - min) / mean) * 100, 1)}% of mean`);
  console.log(`  first 10 s after warm-up ${mb(avg(firstTen))} MiB, last 10 s ${mb(avg(lastTen))} MiB: drift ${fmt(((avg(lastTen) - avg(firstTen)) / avg(firstTen)) * 100, 1)}%`);
  console.log(
    `  RSS every 10 s (MiB): ${samples
      .filter((s) => s.second % 10 === 0)
      .map((s) => mb(s.rss))
      .join(' ')}`,
  );
}

/** What bench/c/loadgen.c prints for a throughput or fan-out run (one JSON line). */
interface LoadgenLoad {
  rate: number;
  sent_total: number;
  delivered_total: number;
  lost: number;
}

/** What bench/c/loadgen.c prints for a round-trip run. */
interface LoadgenRoundTrips {
  count: number;
  warmup: number;
  p50_us: number;
  p99_us: number;
}

/** Compiles the C generator into the temp dir once; returns its path and command, or why the C section is skipped. */
let loadgen: ReturnType<typeof compileC> | null = null;
function compileLoadgen(): ReturnType<typeof compileC> {
  loadgen ??= compileC('loadgen', tempDir, { std: 'c99' });
  return loadgen;
}

function runLoadgen<T>(binary: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    // Bounded: a run is warm-up + runSeconds + at most a 5 s drain; round trips time out per reply.
    execFile(binary, args, { timeout: (runSeconds + 60) * 1000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`loadgen ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
    });
  });
}

/** The hub's counters, read by a monitor that connects only for the question (it would get TRAFFIC copies otherwise). */
async function hubTotals(hubSocket: string): Promise<HubTotals> {
  const client = await RelayClient.connect({ id: '', socket: hubSocket, monitor: true, reconnect: false });
  try {
    return (await client.stats()).totals;
  } finally {
    await client.close();
  }
}

/**
 * Runs the generator against the hub and checks the hub's own count: it must have relayed exactly the
 * messages the generator sent (counted at the receivers by the generator itself), and dropped none.
 */
async function hubLoadgenRun<T>(binary: string, hubSocket: string, args: string[], expectedRelayed: (result: T) => number): Promise<T> {
  const before = await hubTotals(hubSocket);
  const result = await runLoadgen<T>(binary, args);
  const after = await hubTotals(hubSocket);
  const relayed = after.messages - before.messages;
  const drops = after.drops - before.drops;
  if (relayed !== expectedRelayed(result) || drops !== 0) {
    throw new Error(`loadgen ${args.join(' ')}: the hub relayed ${relayed} messages and dropped ${drops}; the generator sent ${expectedRelayed(result)}`);
  }
  return result;
}

function checkDelivered(result: LoadgenLoad, what: string): LoadgenLoad {
  if (result.lost !== 0) throw new Error(`${what}: ${result.lost} of ${result.sent_total} messages sent never reached their receivers`);
  return result;
}

async function drivenFromC(hubSocket: string, refSocket: string | null, figures: Partial<HubFigures>): Promise<void> {
  const compiled = compileLoadgen();
  if ('skipped' in compiled) {
    console.log(`\nDriven from C: skipped, ${compiled.skipped}.`);
    return;
  }
  const { binary } = compiled;
  console.log(`\nDriven from C: load from bench/c/loadgen.c (${compiled.command}), one process, poll(), non-blocking sockets.`);
  console.log("Messages are counted at the receivers; after every hub run the hub's own counters must show exactly the messages sent, none dropped.");
  // mosquittoLoad marks the scenario the Mosquitto run repeats, so its hub figure is the one compared.
  const scenarios: { name: string; args: string[]; bytes: number; mosquittoLoad: boolean }[] = [];
  for (const size of [64, 4096]) {
    for (const pairs of [1, 8]) {
      scenarios.push({
        name: `one-hop ${size === 64 ? '64 B' : '4 KiB'}, ${pairs} pair${pairs > 1 ? 's' : ''}`,
        args: ['throughput', '--pairs', String(pairs), '--payload', String(size)],
        bytes: size,
        mosquittoLoad: size === 64 && pairs === 1,
      });
    }
  }
  scenarios.push({ name: 'broadcast 64 B to 8', args: ['fanout', '--receivers', '8', '--payload', '64'], bytes: 64, mosquittoLoad: false });
  if (refsOnly) scenarios.splice(0, scenarios.length, ...scenarios.filter((scenario) => scenario.mosquittoLoad));
  const mosquittoScenario = scenarios.find((scenario) => scenario.mosquittoLoad) as (typeof scenarios)[number];

  const loadArgs = (scenarioArgs: string[], target: string, batched: boolean): string[] => [
    scenarioArgs[0],
    target,
    ...scenarioArgs.slice(1),
    '--seconds',
    String(runSeconds),
    '--warmup-ms',
    String(WARMUP_MS),
    '--window-bytes',
    String(WINDOW_BYTES),
    '--batch-bytes',
    batched ? String(BATCH_BYTES) : '0',
  ];
  const hubRate: Record<'message' | 'batch', number> = { message: 0, batch: 0 };
  for (const batched of [false, true]) {
    console.log(batched ? "\nThroughput, 32 KiB of frames per send() (the hub's ceiling):" : '\nThroughput, one send() per message (how a C module sends):');
    const rows: Row[] = [];
    for (const scenario of scenarios) {
      const raw = checkDelivered(await runLoadgen<LoadgenLoad>(binary, loadArgs(scenario.args, 'raw', batched)), `raw ${scenario.name}`);
      const ref = refSocket === null ? null : checkDelivered(await runLoadgen<LoadgenLoad>(binary, loadArgs(scenario.args, `hub:${refSocket}`, batched)), `ref ${scenario.name}`);
      const hubArgs = loadArgs(scenario.args, `hub:${hubSocket}`, batched);
      const viaHub = checkDelivered(await hubLoadgenRun<LoadgenLoad>(binary, hubSocket, hubArgs, (r) => r.sent_total), `hub ${scenario.name}`);
      const monitor = await startChild('monitorProcess.js', hubSocket);
      const monitored = checkDelivered(await hubLoadgenRun<LoadgenLoad>(binary, hubSocket, hubArgs, (r) => r.sent_total), `monitored hub ${scenario.name}`);
      const traffic = await settledTrafficCount(monitor);
      await stopChild(monitor);
      if (traffic === 0) throw new Error(`the monitor saw no traffic during "${scenario.name}" (C)`);
      if (scenario.mosquittoLoad) hubRate[batched ? 'batch' : 'message'] = viaHub.rate;
      rows.push({
        scenario: scenario.name,
        raw: raw.rate,
        ref: ref?.rate ?? null,
        hub: viaHub.rate,
        monitored: monitored.rate,
        copiesSeen: traffic / monitored.sent_total,
        bytesPerMessage: scenario.bytes,
      });
    }
    printThroughputTable(rows);
  }
  figures.cMessage = hubRate.message;
  figures.cBatch = hubRate.batch;
  console.log('(ref = bench/c/refRelay.c, the C reference relay; raw = the same frames over socketpair()s in the generator process; raw fan-out = the sender writing each message to 8 socketpairs.)');

  const count = rttCount;
  const rttArgs = (target: string): string[] => ['rtt', target, '--count', String(count), '--payload', '64'];
  const roundTripsRelayed = (r: LoadgenRoundTrips): number => 2 * (r.count + r.warmup);
  const raw = await runLoadgen<LoadgenRoundTrips>(binary, rttArgs('raw'));
  const ref = refSocket === null ? null : await runLoadgen<LoadgenRoundTrips>(binary, rttArgs(`hub:${refSocket}`));
  const viaHub = await hubLoadgenRun<LoadgenRoundTrips>(binary, hubSocket, rttArgs(`hub:${hubSocket}`), roundTripsRelayed);
  const monitor = await startChild('monitorProcess.js', hubSocket);
  const monitored = await hubLoadgenRun<LoadgenRoundTrips>(binary, hubSocket, rttArgs(`hub:${hubSocket}`), roundTripsRelayed);
  await stopChild(monitor);
  figures.cRoundTrip = { p50: viaHub.p50_us, p99: viaHub.p99_us };
  console.log(`\nRequest/reply round trip from C, 64 B, ${fmt(count)} sequential round trips to a forked responder process (µs):`);
  printRoundTripTable(
    [
      { path: 'raw socketpair()', p50: raw.p50_us, p99: raw.p99_us },
      ...(ref === null ? [] : [{ path: 'through the C reference relay', p50: ref.p50_us, p99: ref.p99_us }]),
      { path: 'through the hub', p50: viaHub.p50_us, p99: viaHub.p99_us },
      { path: 'through the hub, monitored', p50: monitored.p50_us, p99: monitored.p99_us },
    ],
    raw.p50_us,
    ref?.p50_us ?? null,
  );

  const mosquittoBinary = findMosquitto();
  if (mosquittoBinary === null) {
    console.log('\nhub vs Mosquitto: skipped, mosquitto is not installed (apt-get install mosquitto enables it).');
    return;
  }
  const brokerDir = fs.mkdtempSync(path.join(tempDir, 'mosquitto-'));
  const broker = await startMosquitto(mosquittoBinary, brokerDir);
  try {
    const lines: string[][] = [];
    for (const batched of [false, true]) {
      const args = loadArgs(mosquittoScenario.args, `mqtt:${broker.socketPath}`, batched);
      const viaBroker = checkDelivered(await runLoadgen<LoadgenLoad>(binary, args), 'Mosquitto 64 B, 1 pair');
      const hub = hubRate[batched ? 'batch' : 'message'];
      lines.push([batched ? '32 KiB of frames per send()' : 'one send() per message', fmt(viaBroker.rate), fmt(hub), `${fmt(hub / viaBroker.rate, 2)}×`]);
    }
    console.log(`\nhub vs Mosquitto ${broker.version}: 64 B one-to-one, 1 pair, MQTT 3.1.1 QoS 0 over a Unix socket, same window (hub figures from the table above):`);
    printTable(['sender writes', 'Mosquitto msgs/s', 'hub msgs/s', 'hub vs Mosquitto'], lines);
  } finally {
    await broker.stop();
  }
}

async function main(): Promise<void> {
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relayscope-bench-'));
  const hubSocket = path.join(tempDir, 'hub.sock');
  const cpus = os.cpus();
  console.log(`Relayscope bench — Node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, ${runSeconds} s per run, load average ${os.loadavg()[0].toFixed(2)} at the start`);
  console.log('Hub and monitor in their own processes; load generator in this one; raw = the same generator over a connected AF_UNIX socket pair.');
  const hub = await startChild('hubProcess.js', hubSocket);
  const refRelay = await startRefRelay(tempDir);
  const refSocket = 'skipped' in refRelay ? null : refRelay.socketPath;
  console.log(
    'skipped' in refRelay
      ? `C reference relay: skipped, ${refRelay.skipped}; the ref columns show —.\n`
      : `ref = the C reference relay, bench/c/refRelay.c (${refRelay.command}): epoll, the module subset of the protocol, same generator; hub/ref is the main ratio.\n`,
  );
  const figures: Partial<HubFigures> = {};
  try {
    if (!only || only === 'throughput' || only === 'fanout' || refsOnly) {
      const scenarios: { name: string; run: (socket: string | null) => Promise<number>; bytes: number; reference: boolean }[] = [];
      if (!only || only === 'throughput' || refsOnly) {
        for (const size of [64, 4096]) {
          for (const pairs of [1, 8]) {
            const reference = size === 64 && pairs === 1;
            if (refsOnly && !reference) continue;
            scenarios.push({ name: `one-hop ${size === 64 ? '64 B' : '4 KiB'}, ${pairs} pair${pairs > 1 ? 's' : ''}`, run: (s) => throughput(s, pairs, size), bytes: size, reference });
          }
        }
      }
      if (!only || only === 'fanout') scenarios.push({ name: 'broadcast 64 B to 8', run: (s) => fanout(s, 8, 64), bytes: 64, reference: false });
      for (const mode of ['message', 'batch'] as const) {
        writeMode = mode;
        console.log(
          mode === 'message' ? 'Throughput, one write() per message (how modules send):' : "\nThroughput, pre-built 32 KiB writes (a generator with no per-message cost: the hub's ceiling):",
        );
        const rows: Row[] = [];
        for (const scenario of scenarios) {
          const raw = await scenario.run(null);
          const ref = refSocket === null ? null : await scenario.run(refSocket);
          const viaHub = await scenario.run(hubSocket);
          const monitor = await startChild('monitorProcess.js', hubSocket);
          const monitored = await scenario.run(hubSocket);
          const traffic = await settledTrafficCount(monitor);
          await stopChild(monitor);
          if (traffic === 0) throw new Error(`the monitor saw no traffic during "${scenario.name}"`);
          if (scenario.reference && mode === 'message') figures.nodeMessage = viaHub;
          rows.push({ scenario: scenario.name, raw, ref, hub: viaHub, monitored, copiesSeen: traffic / lastRunMessages, bytesPerMessage: scenario.bytes });
        }
        printThroughputTable(rows);
      }
      console.log('(a broadcast counts once per message; each reached 8 receivers. Raw fan-out = the sender writing to 8 sockets itself.)');
    }
    if (!only || only === 'rtt' || refsOnly) {
      const count = rttCount;
      const raw = await roundTrips(null, count);
      const ref = refSocket === null ? null : await roundTrips(refSocket, count);
      const viaHub = await roundTrips(hubSocket, count);
      const monitor = await startChild('monitorProcess.js', hubSocket);
      const monitored = await roundTrips(hubSocket, count);
      await stopChild(monitor);
      figures.nodeRoundTrip = { p50: percentile(viaHub, 50), p99: percentile(viaHub, 99) };
      console.log(`\nRequest/reply round trip, 64 B, ${fmt(count)} sequential round trips to a responder process (µs):`);
      const row = (label: string, sorted: number[]): { path: string; p50: number; p99: number } => ({ path: label, p50: percentile(sorted, 50), p99: percentile(sorted, 99) });
      printRoundTripTable(
        [row('raw socketpair()', raw), ...(ref === null ? [] : [row('through the C reference relay', ref)]), row('through the hub', viaHub), row('through the hub, monitored', monitored)],
        percentile(raw, 50),
        ref === null ? null : percentile(ref, 50),
      );
    }
    if (!only || only === 'c' || refsOnly) await drivenFromC(hubSocket, refSocket, figures);
    if (!only || refsOnly) {
      const { cMessage, cBatch, cRoundTrip, nodeMessage, nodeRoundTrip } = figures;
      if (cMessage === undefined || cBatch === undefined || cRoundTrip === undefined || nodeMessage === undefined || nodeRoundTrip === undefined) {
        console.log('\nhub vs dbus-daemon and NATS: skipped, the hub figures they compare with were not measured (the C generator is needed).');
      } else {
        const ctx = { tempDir, runSeconds, warmupMs: WARMUP_MS, windowBytes: WINDOW_BYTES, roundTrips: rttCount, hub: { cMessage, cBatch, cRoundTrip, nodeMessage, nodeRoundTrip } };
        await dbusBench(ctx);
        await natsBench(ctx);
      }
    }
    if (!only || only === 'record') {
      const compiled = compileLoadgen();
      await recordingBench({ tempDir, hubSocket, hub, loadgen: 'binary' in compiled ? compiled.binary : null, runSeconds, ask, printTable });
    }
    if (!only || only === 'tap') await tapBench({ tempDir, runSeconds, warmupMs: WARMUP_MS, roundTrips: rttCount, ask });
    if (!only || only === 'federation') await federationBench({ tempDir, runSeconds, windowBytes: WINDOW_BYTES, roundTrips: rttCount, rounds: quick ? 3 : 5 });
    if (!only || only === 'soak') await soak(hubSocket, hub);
  } finally {
    if (!('skipped' in refRelay)) await refRelay.stop();
    await stopChild(hub);
    fs.rmSync(tempDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
