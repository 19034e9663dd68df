/**
 * The tap section of the bench (`npm run bench -- --only tap`, issue 13): a byte stream between this
 * process and a server process (bench/tapPeer.ts) directly, through `relayscope hub --tap` (its own
 * process, as a person runs it) and through Debian's `socat UNIX-LISTEN:…,fork UNIX-CONNECT:…`, all in
 * the same run. Throughput: 64 KiB writes, counted by the server. Round trips: 64 B echoed back.
 * Rounds alternate the three paths, so a machine that gets busier part-way hits each of them alike;
 * the median round is shown.
 */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { fmt, printTable } from './table';

export interface TapBenchContext {
  tempDir: string;
  runSeconds: number;
  warmupMs: number;
  roundTrips: number;
  ask<T>(child: ChildProcess, question: string): Promise<T>;
}

const CHUNK = Buffer.alloc(64 * 1024, 0x5a);
const SMALL = Buffer.alloc(64, 0x71);
const ROUNDS = Number(process.env.BENCH_TAP_ROUNDS ?? 3);
const CLI = path.join(__dirname, '..', '..', 'bin', 'relayscope.js');

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function connect(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Waits until `socketPath` accepts a connection (a child started listening), at most 10 s. */
async function untilListening(socketPath: string, what: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before listening on ${socketPath}`);
    const socket = await connect(socketPath).catch(() => null);
    if (socket !== null) {
      socket.destroy();
      return;
    }
    await sleep(50);
  }
  throw new Error(`${what} did not listen on ${socketPath} within 10 s`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(3000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Bytes per second the server read from one connection that writes 64 KiB chunks as fast as it drains. */
async function throughput(target: string, server: ChildProcess, ctx: TapBenchContext): Promise<number> {
  const socket = await connect(target);
  socket.on('error', () => {});
  let running = true;
  const pump = (): void => {
    while (running && socket.write(CHUNK));
  };
  socket.on('drain', pump);
  pump();
  await sleep(ctx.warmupMs);
  const before = (await ctx.ask<{ bytes: number }>(server, 'count')).bytes;
  const startedAt = performance.now();
  await sleep(ctx.runSeconds * 1000);
  const after = (await ctx.ask<{ bytes: number }>(server, 'count')).bytes;
  const seconds = (performance.now() - startedAt) / 1000;
  running = false;
  socket.destroy();
  return (after - before) / seconds;
}

/** Sequential 64 B round trips to the echo server; latencies in µs, sorted. */
async function roundTrips(target: string, count: number): Promise<number[]> {
  const socket = await connect(target);
  const warmup = Math.floor(count / 10);
  const latencies: number[] = [];
  await new Promise<void>((resolve, reject) => {
    let pending = SMALL.length;
    let done = 0;
    let sentAt = performance.now();
    const timer = setTimeout(() => reject(new Error(`round trips through ${target} did not finish within 60 s`)), 60_000);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      pending -= chunk.length;
      if (pending > 0) return;
      if (++done > warmup) latencies.push((performance.now() - sentAt) * 1000);
      if (done >= count + warmup) {
        clearTimeout(timer);
        return resolve();
      }
      pending = SMALL.length;
      sentAt = performance.now();
      socket.write(SMALL);
    });
    socket.write(SMALL);
  });
  socket.destroy();
  return latencies.sort((a, b) => a - b);
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function socatVersion(): string | null {
  try {
    return /socat version (\S+)/.exec(execFileSync('socat', ['-V'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  } catch {
    return null;
  }
}

export async function tapBench(ctx: TapBenchContext): Promise<void> {
  const version = socatVersion();
  const file = (name: string): string => path.join(ctx.tempDir, name);
  const server = fork(path.join(__dirname, 'tapPeer.js'), [file('sink.sock'), file('echo.sock')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const children: ChildProcess[] = [server];
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(`tapPeer said ${String(m)}`))));
      server.once('exit', (code) => reject(new Error(`tapPeer exited with ${code}`)));
    });
    const tap = spawn(
      process.execPath,
      [CLI, 'hub', '--socket', file('tap-hub.sock'), '--tap', `${file('tap-sink.sock')}=${file('sink.sock')}`, '--tap', `${file('tap-echo.sock')}=${file('echo.sock')}`],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    children.push(tap);
    await untilListening(file('tap-sink.sock'), 'relayscope hub --tap', tap);
    await untilListening(file('tap-echo.sock'), 'relayscope hub --tap', tap);
    const paths: { name: string; sink: string; echo: string }[] = [
      { name: 'direct (same two processes)', sink: file('sink.sock'), echo: file('echo.sock') },
      { name: 'through relayscope hub --tap', sink: file('tap-sink.sock'), echo: file('tap-echo.sock') },
    ];
    if (version !== null) {
      for (const [listen, upstream] of [
        ['socat-sink.sock', 'sink.sock'],
        ['socat-echo.sock', 'echo.sock'],
      ]) {
        const socat = spawn('socat', [`UNIX-LISTEN:${file(listen)},fork`, `UNIX-CONNECT:${file(upstream)}`], { stdio: ['ignore', 'ignore', 'inherit'] });
        children.push(socat);
        await untilListening(file(listen), 'socat', socat);
      }
      paths.push({ name: `through socat ${version} (UNIX-LISTEN,fork)`, sink: file('socat-sink.sock'), echo: file('socat-echo.sock') });
    }

    const rates = paths.map(() => [] as number[]);
    for (let round = 0; round < ROUNDS; round++) for (const [i, p] of paths.entries()) rates[i].push(await throughput(p.sink, server, ctx));
    const rate = rates.map(median);
    const [direct, viaTap, viaSocat] = rate;
    console.log(`\nTap: a byte stream from this process to a server process, 64 KiB writes, median of ${ROUNDS} alternating ${ctx.runSeconds} s rounds (MB/s counted by the server):`);
    printTable(
      ['path', 'MB/s', 'rounds (MB/s)', 'vs direct', 'vs socat'],
      paths.map((p, i) => [
        p.name,
        fmt(rate[i] / 1e6, 0),
        rates[i].map((r) => fmt(r / 1e6, 0)).join(' / '),
        `${fmt((rate[i] / direct) * 100, 1)}%`,
        viaSocat === undefined ? '—' : `${fmt((rate[i] / viaSocat) * 100, 1)}%`,
      ]),
    );
    if (version === null) console.log('socat: skipped, it is not installed (apt-get install socat enables it).');

    const latencies: number[][] = [];
    for (const p of paths) latencies.push(await roundTrips(p.echo, ctx.roundTrips));
    const socatP50 = version === null ? null : percentile(latencies[2], 50);
    console.log(`\nTap: ${fmt(ctx.roundTrips)} sequential 64 B round trips to an echo server process (µs):`);
    printTable(
      ['path', 'p50', 'p99', 'p50 / socat p50', 'p50 / direct p50'],
      paths.map((p, i) => [
        p.name,
        fmt(percentile(latencies[i], 50), 1),
        fmt(percentile(latencies[i], 99), 1),
        socatP50 === null ? '—' : `${fmt(percentile(latencies[i], 50) / socatP50, 2)}×`,
        `${fmt(percentile(latencies[i], 50) / percentile(latencies[0], 50), 2)}×`,
      ]),
    );
    const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
    console.log(
      `Targets (issue 13): tap ≥ 70% of direct: ${verdict(viaTap >= 0.7 * direct)}; tap ≥ socat: ${viaSocat === undefined ? 'not measured' : verdict(viaTap >= viaSocat)}; round-trip p50 ≤ 2× socat's: ${socatP50 === null ? 'not measured' : verdict(percentile(latencies[1], 50) <= 2 * socatP50)}.`,
    );
  } finally {
    for (const child of children.reverse()) await stop(child);
  }
}
