/**
 * The federation section of the bench (`npm run bench -- --only federation`, issue 15 "What it must
 * reach"). It starts nats-server on a free loopback port, two `relayscope hub --nats URL` processes
 * on one bus (a and b) and one `relayscope hub` without --nats (plain), and measures in one run:
 * - one-way 64 B, one pair: a sender module on hub a, its receiver on hub b, against a raw NATS
 *   publish→subscribe between two @nats-io/transport-node clients (same count, same window, counted
 *   at the receiver, bench/countedRun.ts);
 * - sequential 64 B request/reply from a module on hub a to a responder process on hub b, against a
 *   raw NATS request (@nats-io request) to a responder process (bench/nats.ts);
 * - a local pair on hub a (federated, nothing sent to another hub) against the same pair on the
 *   plain hub.
 * The throughput paths alternate round by round, so a machine that gets busier part-way hits each
 * alike, and the median round is shown.
 */
import { fork } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import { RelayClient } from '../electron/client';
import { encodeMessage, FrameType, MessageKind, parseError } from '../electron/hub';
import { type CliHub, startCliHub } from './cliHub';
import { countedRate, type OneWay } from './countedRun';
import { findExecutable } from './cProgram';
import { hubPeer, type Peer } from './hubPeer';
import { loadNodeClient, type NatsModule, nodeRoundTrips, type Server, startServer } from './nats';
import { fmt, printTable, type RoundTripFigures } from './table';

export interface FederationBenchContext {
  tempDir: string;
  /**
   * Sets the messages per run: 300,000 per second of it across the hubs and through raw NATS (same
   * count), ten times as many for the local pairs, which are that much faster (runs of about a
   * second or two each at the default 3 s).
   */
  runSeconds: number;
  windowBytes: number;
  roundTrips: number;
  rounds: number;
}

const PAYLOAD = 64;
const BUS = 'fedbench';
const SUBJECT = 'rs.fedbench-raw.load';
const LIST_TIMEOUT_MS = 10_000;
const REPLY_TIMEOUT_MS = 5000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The ERROR frames a module was sent, as trouble() text. */
function errorsOf(peer: Peer): () => string {
  let count = 0;
  let last = '';
  peer.onFrame = (type, buf, start, end) => {
    if (type !== FrameType.ERROR) return;
    count++;
    last = parseError(buf, start, end).message;
  };
  return () => (count === 0 ? '' : `the sender got ${count} ERRORs, the last: ${last}`);
}

/** A pair of modules, the sender sending `receiverId` one 64 B unicast per write() (as bench.ts's Node generator). */
async function hubPath(senderSocket: string, receiverSocket: string, senderId: string, receiverId: string): Promise<OneWay> {
  const receiver = await hubPeer(receiverSocket, receiverId);
  const sender = await hubPeer(senderSocket, senderId);
  await listed(senderSocket, receiverId);
  const frame = encodeMessage(MessageKind.UNICAST, receiverId, Buffer.alloc(PAYLOAD, 0x61));
  let received = 0;
  receiver.onFrame = (type) => {
    if (type === FrameType.MESSAGE) received++;
  };
  const trouble = errorsOf(sender);
  return {
    send: () => sender.socket.write(frame),
    received: () => received,
    onArrival: (listener) => {
      receiver.onChunk = listener;
    },
    trouble,
    close: async () => {
      sender.socket.destroy();
      receiver.socket.destroy();
    },
  };
}

/** Two @nats-io/transport-node clients in this process, one publishing, one subscribed. */
async function natsPath(nats: NatsModule, url: string): Promise<OneWay> {
  const subscriber: NatsConnection = await nats.connect({ servers: url, reconnect: false });
  const publisher: NatsConnection = await nats.connect({ servers: url, reconnect: false });
  const payload = new Uint8Array(PAYLOAD).fill(0x61);
  let received = 0;
  let listener: (() => void) | null = null;
  subscriber.subscribe(SUBJECT, {
    callback: () => {
      received++;
      listener?.();
    },
  });
  await subscriber.flush();
  return {
    send: () => publisher.publish(SUBJECT, payload),
    received: () => received,
    onArrival: (next) => {
      listener = next;
    },
    trouble: () => '',
    close: async () => {
      await publisher.close();
      await subscriber.close();
    },
  };
}

/** Waits until the hub at `socket` lists `id` (a module of another hub once its presence went round). */
async function listed(socket: string, id: string): Promise<void> {
  const client = await RelayClient.connect({ id: '', socket, monitor: true, reconnect: false });
  try {
    const deadline = performance.now() + LIST_TIMEOUT_MS;
    while (!(await client.list()).includes(id)) {
      if (performance.now() > deadline) throw new Error(`the hub at ${socket} did not list "${id}" within ${LIST_TIMEOUT_MS} ms`);
      await sleep(20);
    }
  } finally {
    await client.close();
  }
}

/** Sequential requests from rtt-client on hub a to bench/echoProcess.ts registered as rtt-server on hub b; µs. */
async function crossRoundTrips(a: string, b: string, count: number): Promise<RoundTripFigures> {
  const responder = fork(path.join(__dirname, 'echoProcess.js'), [b], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await new Promise<void>((resolve, reject) => {
      responder.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(`rtt responder: ${String(m)}`))));
      responder.once('exit', (code) => reject(new Error(`rtt responder exited with ${code}`)));
    });
    const requester = await hubPeer(a, 'rtt-client');
    await listed(a, 'rtt-server');
    await listed(b, 'rtt-client');
    const request = encodeMessage(MessageKind.REQUEST, 'rtt-server', Buffer.alloc(PAYLOAD, 0x71), 1);
    const warmup = Math.floor(count / 10);
    const latencies: number[] = [];
    await new Promise<void>((resolve, reject) => {
      let sentAt = 0;
      let timer: NodeJS.Timeout | undefined;
      const next = (): void => {
        timer = setTimeout(() => reject(new Error(`no reply across the hubs within ${REPLY_TIMEOUT_MS} ms (${latencies.length} round trips done)`)), REPLY_TIMEOUT_MS);
        sentAt = performance.now();
        requester.socket.write(request);
      };
      requester.onFrame = (type, buf, start, end) => {
        clearTimeout(timer);
        if (type !== FrameType.MESSAGE) return reject(new Error(`the requester got frame 0x${type.toString(16)}${type === FrameType.ERROR ? `: ${parseError(buf, start, end).message}` : ''}`));
        const micros = (performance.now() - sentAt) * 1000;
        if (requester.frames > warmup) latencies.push(micros);
        if (requester.frames >= count + warmup) return resolve();
        next();
      };
      next();
    });
    requester.socket.destroy();
    latencies.sort((x, y) => x - y);
    return { p50: latencies[Math.floor(latencies.length / 2)], p99: latencies[Math.min(latencies.length - 1, Math.floor(0.99 * latencies.length))] };
  } finally {
    responder.kill('SIGTERM');
  }
}

const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');

export async function federationBench(ctx: FederationBenchContext): Promise<void> {
  const binary = findExecutable('nats-server');
  const nats = loadNodeClient();
  if (binary === null || nats === null) {
    console.log(`\nFederation: skipped, ${binary === null ? 'nats-server is not installed (apt-get install nats-server enables it)' : '@nats-io/transport-node is not installed (a devDependency)'}.`);
    return;
  }
  const loadAtStart = os.loadavg()[0];
  const count = Math.round(ctx.runSeconds * 300_000);
  const localCount = 10 * count;
  const window = Math.floor(ctx.windowBytes / 128);
  const file = (name: string): string => path.join(ctx.tempDir, name);
  const stoppers: (() => Promise<void>)[] = [];
  try {
    const server: Server = await startServer(binary);
    stoppers.push(() => server.stop());
    const onBus = (name: string): Promise<CliHub> => startCliHub(file(`fed-${name}.sock`), ['--nats', server.url, '--bus', BUS, '--hub-name', name], new RegExp(`federated: hub ${name} on bus`));
    const [a, b, plain] = [await onBus('a'), await onBus('b'), await startCliHub(file('fed-plain.sock'), [], /relayscope hub listening on/)];
    stoppers.push(a.stop, b.stop, plain.stop);

    const paths: { name: string; path: OneWay; count: number }[] = [
      { name: 'module on hub a → module on hub b', path: await hubPath(a.socket, b.socket, 'fed-snd', 'fed-rcv'), count },
      { name: 'raw NATS publish → subscribe', path: await natsPath(nats, server.url), count },
      { name: 'local pair on hub a (--nats, b on the bus)', path: await hubPath(a.socket, a.socket, 'loc-snd', 'loc-rcv'), count: localCount },
      { name: 'local pair on the plain hub (no --nats)', path: await hubPath(plain.socket, plain.socket, 'loc-snd', 'loc-rcv'), count: localCount },
    ];
    for (const p of paths) stoppers.push(() => p.path.close());
    const rates = paths.map(() => [] as number[]);
    for (let round = 0; round < ctx.rounds; round++) {
      for (const [i, p] of paths.entries()) rates[i].push(await countedRate(p.path, Math.floor(p.count / 10), p.count, window));
    }
    const [cross, raw, federatedLocal, plainLocal] = rates.map(median);

    // Round trips alternate too: the round-trip count split over the rounds, the median round's percentiles shown.
    const perRound = Math.max(100, Math.floor(ctx.roundTrips / ctx.rounds));
    const crossRounds: RoundTripFigures[] = [];
    const rawRounds: RoundTripFigures[] = [];
    for (let round = 0; round < ctx.rounds; round++) {
      crossRounds.push(await crossRoundTrips(a.socket, b.socket, perRound));
      rawRounds.push(await nodeRoundTrips(nats, { roundTrips: perRound }, server.url));
    }
    const middle = (figures: RoundTripFigures[]): RoundTripFigures => ({ p50: median(figures.map((f) => f.p50)), p99: median(figures.map((f) => f.p99)) });
    const [crossRoundTrip, rawRoundTrip] = [middle(crossRounds), middle(rawRounds)];

    console.log(
      `\nFederation (issue 15): nats-server ${server.version} at ${server.url}; hubs a and b are \`relayscope hub --nats URL --bus ${BUS}\`, plain is \`relayscope hub\`; ` +
        `one write() per message from this process, ${PAYLOAD} B, ${fmt(count)} messages a run across the hubs and through raw NATS (${fmt(localCount)} for the local pairs) ` +
        `counted at the receiver after a tenth as many of warm-up, at most ${fmt(window)} in flight; ` +
        `median of ${ctx.rounds} alternating rounds, of throughput and of ${fmt(perRound)} sequential round trips each; load average ${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end:`,
    );
    printTable(
      ['measure', 'figure', 'baseline', 'baseline is', 'ratio', 'target', 'result'],
      [
        ['one-way 64 B, 1 pair, a → b, msgs/s', fmt(cross), fmt(raw), 'raw NATS pub → sub', `${fmt((cross / raw) * 100, 1)}%`, '≥ 50%', verdict(cross >= 0.5 * raw)],
        [
          'request/reply p50 µs, a → b',
          fmt(crossRoundTrip.p50, 1),
          fmt(rawRoundTrip.p50, 1),
          'raw NATS request',
          `${fmt(crossRoundTrip.p50 / rawRoundTrip.p50, 2)}×`,
          '≤ 2×',
          verdict(crossRoundTrip.p50 <= 2 * rawRoundTrip.p50),
        ],
        ['request/reply p99 µs, a → b', fmt(crossRoundTrip.p99, 1), fmt(rawRoundTrip.p99, 1), 'raw NATS request', `${fmt(crossRoundTrip.p99 / rawRoundTrip.p99, 2)}×`, '—', '—'],
        [
          'local 64 B, 1 pair, hub with --nats, msgs/s',
          fmt(federatedLocal),
          fmt(plainLocal),
          'same hub without --nats',
          `${fmt((federatedLocal / plainLocal) * 100, 1)}%`,
          '≥ 95%',
          verdict(federatedLocal >= 0.95 * plainLocal),
        ],
      ],
    );
    console.log(`\nFederation rounds (msgs/s, in the order run):`);
    printTable(
      ['path', 'median', 'rounds'],
      paths.map((p, i) => [p.name, fmt(median(rates[i])), rates[i].map((r) => fmt(r)).join(' / ')]),
    );
    console.log(`\nFederation round trips (p50 µs of each round, in the order run):`);
    printTable(
      ['path', 'median p50', 'rounds'],
      [
        ['module on hub a → responder on hub b', fmt(crossRoundTrip.p50, 1), crossRounds.map((r) => fmt(r.p50, 1)).join(' / ')],
        ['raw NATS request → responder', fmt(rawRoundTrip.p50, 1), rawRounds.map((r) => fmt(r.p50, 1)).join(' / ')],
      ],
    );
  } finally {
    for (const stop of stoppers.reverse()) await stop();
  }
}
