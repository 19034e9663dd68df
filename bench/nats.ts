/**
 * hub vs NATS, a section of bench.ts: nats-server on 127.0.0.1 with a port the server picks, and the
 * same 64 B pub→sub load and request/reply round trips from two kinds of generator, each compared with
 * the hub driven by the same kind: C (bench/c/natsLoad.c with libnats, the official C client, against
 * bench/c/loadgen.c for the hub) and Node (@nats-io/transport-node here against bench.ts's Node
 * generator for the hub). Each half is skipped with the reason when what it needs is missing.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileC, findExecutable, runJsonLine } from './cProgram';
import { fmt, printTable, type ReferenceContext, type RoundTripFigures, times } from './table';

export interface LoadFigures {
  rate: number;
  roundTrip: RoundTripFigures;
}

export interface NatsFigures {
  version: string;
  c: LoadFigures | { skipped: string };
  node: LoadFigures | { skipped: string };
}

const SUBJECT = 'rs.bench.node';
const RTT_SUBJECT = 'rs.bench.node.rtt';
/** Bytes of a 64 B message on the wire around its payload ("MSG <subject> <sid> 64\r\n" … "\r\n"), for the window. */
const WIRE_OVERHEAD = SUBJECT.length + 28;

export interface Server {
  url: string;
  version: string;
  stop(): Promise<void>;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Also started by the federation section (bench/federationBench.ts). */
export async function startServer(binary: string): Promise<Server> {
  // -p -1: a port the server picks; it logs "Listening for client connections on 127.0.0.1:PORT".
  const child = spawn(binary, ['-a', '127.0.0.1', '-p', '-1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nats-server did not report its port within 5 s: ${log.trim()}`));
    }, 5000);
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const port = /client connections on 127\.0\.0\.1:(\d+)/.exec(log)?.[1];
      if (port === undefined) return;
      clearTimeout(timer);
      resolve(`nats://127.0.0.1:${port}`);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}: ${log.trim()}`));
    });
  });
  const version = /: v(\S+)/.exec(spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? 'unknown version';
  return {
    url,
    version,
    async stop(): Promise<void> {
      if (hasExited(child)) return;
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (!hasExited(child)) child.kill('SIGKILL');
    },
  };
}

async function measureC(ctx: ReferenceContext, url: string): Promise<LoadFigures | { skipped: string }> {
  const dir = fs.mkdtempSync(path.join(ctx.tempDir, 'nats-'));
  const compiled = compileC('natsLoad', dir, { std: 'gnu11', libs: ['-lnats', '-pthread'], missing: 'libnats-dev' });
  if ('skipped' in compiled) return compiled;
  const bound = (ctx.runSeconds + 60) * 1000;
  const load = await runJsonLine<{ rate: number; lost: number }>(
    compiled.binary,
    ['throughput', url, '--payload', '64', '--seconds', String(ctx.runSeconds), '--warmup-ms', String(ctx.warmupMs), '--window-bytes', String(ctx.windowBytes)],
    bound,
  );
  if (load.lost !== 0) throw new Error(`NATS from C: ${load.lost} messages sent never arrived`);
  const rtt = await runJsonLine<{ p50_us: number; p99_us: number }>(compiled.binary, ['rtt', url, '--count', String(ctx.roundTrips), '--payload', '64'], bound);
  return { rate: load.rate, roundTrip: { p50: rtt.p50_us, p99: rtt.p99_us } };
}

export type NatsModule = typeof import('@nats-io/transport-node');

/** The Node client, or null when @nats-io/transport-node is not installed. */
export function loadNodeClient(): NatsModule | null {
  try {
    return require('@nats-io/transport-node') as NatsModule;
  } catch {
    return null;
  }
}

/** Pub→sub with the window of bench.ts's Node generator: published while sent − received leaves room. */
async function nodeThroughput(nats: NatsModule, ctx: ReferenceContext, url: string): Promise<number> {
  const [subConn, pubConn] = [await nats.connect({ servers: url, reconnect: false }), await nats.connect({ servers: url, reconnect: false })];
  const payload = new Uint8Array(64).fill(0x61);
  const windowFrames = Math.floor(ctx.windowBytes / (payload.length + WIRE_OVERHEAD));
  let received = 0;
  let sent = 0;
  let running = true;
  const pump = (): void => {
    while (running && sent - received < windowFrames) {
      pubConn.publish(SUBJECT, payload);
      sent++;
    }
  };
  subConn.subscribe(SUBJECT, {
    callback: () => {
      received++;
      if (sent - received <= windowFrames / 2) pump();
    },
  });
  await subConn.flush();
  pump();
  await sleep(ctx.warmupMs);
  const startCount = received;
  const startedAt = performance.now();
  await sleep(ctx.runSeconds * 1000);
  const rate = (received - startCount) / ((performance.now() - startedAt) / 1000);
  running = false;
  for (let i = 0; i < 500 && received < sent; i++) await sleep(10);
  if (received !== sent) throw new Error(`NATS from Node: ${sent - received} messages sent never arrived`);
  await pubConn.close();
  await subConn.close();
  return rate;
}

/** Sequential requests to a responder in another process (bench/natsResponder.ts), as bench.ts does for the hub. */
export async function nodeRoundTrips(nats: NatsModule, ctx: Pick<ReferenceContext, 'roundTrips'>, url: string): Promise<RoundTripFigures> {
  const responder = fork(path.join(__dirname, 'natsResponder.js'), [url, RTT_SUBJECT], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await new Promise<void>((resolve, reject) => {
      responder.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(`NATS responder: ${String(m)}`))));
      responder.once('exit', (code) => reject(new Error(`NATS responder exited with ${code}`)));
    });
    const nc = await nats.connect({ servers: url, reconnect: false });
    const request = new Uint8Array(64).fill(0x71);
    const warmup = Math.floor(ctx.roundTrips / 10);
    const latencies: number[] = [];
    for (let i = 0; i < warmup + ctx.roundTrips; i++) {
      const sentAt = performance.now();
      await nc.request(RTT_SUBJECT, request, { timeout: 5000 });
      if (i >= warmup) latencies.push((performance.now() - sentAt) * 1000);
    }
    await nc.close();
    latencies.sort((a, b) => a - b);
    return { p50: latencies[Math.floor(latencies.length / 2)], p99: latencies[Math.min(latencies.length - 1, Math.floor(0.99 * latencies.length))] };
  } finally {
    if (!hasExited(responder)) {
      const exited = new Promise((resolve) => responder.once('exit', resolve));
      responder.send('stop');
      await Promise.race([exited, sleep(3000)]);
      if (!hasExited(responder)) responder.kill('SIGKILL');
    }
  }
}

/** Runs both halves against one nats-server; the reason instead when the server is missing. */
export async function measureNats(ctx: ReferenceContext): Promise<NatsFigures | { skipped: string }> {
  const binary = findExecutable('nats-server');
  if (binary === null) return { skipped: 'nats-server is not installed (apt-get install nats-server enables it)' };
  const server = await startServer(binary);
  try {
    const c = await measureC(ctx, server.url);
    const nats = loadNodeClient();
    const node =
      nats === null
        ? { skipped: '@nats-io/transport-node is not installed (npm install runs it: it is a devDependency)' }
        : { rate: await nodeThroughput(nats, ctx, server.url), roundTrip: await nodeRoundTrips(nats, ctx, server.url) };
    return { version: server.version, c, node };
  } finally {
    await server.stop();
  }
}

export async function natsBench(ctx: ReferenceContext): Promise<NatsFigures | null> {
  const figures = await measureNats(ctx);
  if ('skipped' in figures) {
    console.log(`\nhub vs NATS: skipped, ${figures.skipped}.`);
    return null;
  }
  const { hub } = ctx;
  const lines: string[][] = [];
  const add = (generator: string, nats: LoadFigures | { skipped: string }, hubRate: number, hubRoundTrip: RoundTripFigures, batchedRate?: number): void => {
    if ('skipped' in nats) {
      lines.push([`${generator}: skipped, ${nats.skipped}`, '', '', '']);
      return;
    }
    lines.push([`${generator}: pub→sub msgs/s (hub: one send() per message)`, fmt(nats.rate), fmt(hubRate), times(hubRate, nats.rate)]);
    if (batchedRate !== undefined) lines.push([`${generator}: pub→sub msgs/s (hub: 32 KiB of frames per send())`, fmt(nats.rate), fmt(batchedRate), times(batchedRate, nats.rate)]);
    lines.push([`${generator}: request/reply p50 µs`, fmt(nats.roundTrip.p50, 1), fmt(hubRoundTrip.p50, 1), times(nats.roundTrip.p50, hubRoundTrip.p50)]);
    lines.push([`${generator}: request/reply p99 µs`, fmt(nats.roundTrip.p99, 1), fmt(hubRoundTrip.p99, 1), times(nats.roundTrip.p99, hubRoundTrip.p99)]);
  };
  add('C (libnats / loadgen.c)', figures.c, hub.cMessage, hub.cRoundTrip, hub.cBatch);
  add('Node (@nats-io/transport-node / bench.ts)', figures.node, hub.nodeMessage, hub.nodeRoundTrip);
  console.log(`\nhub vs NATS ${figures.version}: nats-server on 127.0.0.1 (TCP), 64 B one-to-one, same window; each against the hub driven by the same kind of generator:`);
  printTable(['load', 'NATS', 'hub', 'hub vs NATS'], lines);
  console.log("(libnats and the Node client coalesce published messages into few writes themselves; round trips: NATS's time ÷ the hub's)");
  return figures;
}
