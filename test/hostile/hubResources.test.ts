/**
 * Attacks on the hub's memory and time by one local client (issue 8, breaks 1, 4 and 8), each run
 * against a real `relayscope hub` process with a checked module pair beside it that must lose
 * nothing. npm test runs the quick sizes; `npm run test:hostile` (HOSTILE_FULL=1) the full ones.
 * The figures are printed as `hostile: …` lines.
 */
import type * as net from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeHello, encodeList, encodePing, encodeStats, FrameDecoder, FrameType, HelloFlag, maxFrameLength, parseError, DEFAULT_MAX_PAYLOAD } from '../../electron/hub';
import { Cleanup } from '../support/cleanup';
import { ensureFreshBuild } from '../support/freshBuild';
import { CheckedPair, FULL, HubProcess, mib, rawConnection, report, writeAll } from './support/hostileHub';

const MIB = 1024 * 1024;
/** What a hub process holds with nothing to do, and what the per-connection bounds may add here. */
const BASELINE_ALLOWANCE = 120 * MIB;
/** The longest a checked round trip may take under attack; the target is 100 ms. Quick runs share two cores with the rest of npm test. */
const LONGEST_WAIT_MS = FULL ? 100 : 1000;

let cleanup: Cleanup;
beforeAll(() => ensureFreshBuild(), 180_000);
beforeEach(() => {
  cleanup = new Cleanup();
});
afterEach(() => cleanup.run());

/** `count` modules with 64-byte IDs that read (and drop) whatever they get. */
async function registerMany(socket: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const conn = await rawConnection(cleanup, socket);
    conn.resume();
    conn.write(encodeHello({ id: `module-${String(i).padStart(4, '0')}-`.padEnd(64, 'x') }));
  }
}

/** The frames the hub sends on a connection, read into a list (for the attacker's own answers). */
function collect(conn: net.Socket): { type: number; body: Buffer }[] {
  const frames: { type: number; body: Buffer }[] = [];
  const decoder = new FrameDecoder(maxFrameLength(DEFAULT_MAX_PAYLOAD));
  conn.on('data', (chunk: Buffer) => decoder.push(chunk, (type, buf, start, end) => void frames.push({ type, body: Buffer.from(buf.subarray(start, end)) })));
  conn.resume();
  return frames;
}

async function settle(hub: HubProcess, ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  expect(hub.alive).toBe(true);
}

describe('answer amplification (break 1)', () => {
  it.each([
    ['LIST from a module', false],
    ['STATS from a monitor', true],
  ])('bounds what 64 KiB reads of %s that are never read make the hub queue', async (what, monitor) => {
    const modules = FULL ? 500 : 200;
    const attackers = FULL ? 4 : 1;
    const hub = await HubProcess.start(cleanup);
    await registerMany(hub.socket, modules);
    const pair = await CheckedPair.start(cleanup, hub.socket);
    const frame = monitor ? encodeStats(1) : encodeList(1);
    const read = Buffer.concat(Array.from({ length: Math.floor(65536 / frame.length) }, () => frame));
    const writes: Promise<void>[] = [];
    for (let i = 0; i < attackers; i++) {
      const conn = await rawConnection(cleanup, hub.socket);
      conn.write(encodeHello({ id: monitor ? '' : `attacker-${i}`, flags: monitor ? HelloFlag.MONITOR : 0 }));
      writes.push(writeAll(conn, read, FULL ? 64 : 16));
    }
    await Promise.race([Promise.all(writes), new Promise((resolve) => setTimeout(resolve, FULL ? 10_000 : 3000))]);
    await settle(hub, 500);
    const figures = await pair.stop();
    report(`${attackers} × 64 KiB reads of ${what}, ${modules} modules`, hub, figures);
    expect(figures.answered).toBe(figures.sent);
    expect(figures.outOfOrder).toBe(0);
    expect(figures.longestWaitMs).toBeLessThan(LONGEST_WAIT_MS);
    // Each attacker's queue is bounded by queueLimit (8 MiB) plus one answer.
    expect(hub.peakRssBytes).toBeLessThan(BASELINE_ALLOWANCE + attackers * 16 * MIB);
  });
});

describe('TAKEOVER hold buffer (break 4)', () => {
  it('counts empty frames sent during the probe at their full size and refuses the claimant at 1 MiB', async () => {
    const hub = await HubProcess.start(cleanup);
    const pair = await CheckedPair.start(cleanup, hub.socket);
    const holder = await rawConnection(cleanup, hub.socket);
    holder.write(encodeHello({ id: 'held' }));
    const rounds = FULL ? 5 : 1;
    let refused = 0;
    for (let round = 0; round < rounds; round++) {
      const claimant = await rawConnection(cleanup, hub.socket);
      const frames = collect(claimant);
      const closed = new Promise((resolve) => claimant.once('close', resolve));
      claimant.write(encodeHello({ id: 'held', flags: HelloFlag.TAKEOVER }));
      // 4 MiB of empty-bodied PINGs: under the old count (body bytes only) they weighed nothing.
      const pings = Buffer.concat(Array.from({ length: 65536 / 5 }, () => encodePing(FrameType.PING)));
      await writeAll(claimant, pings, 64);
      await closed;
      const error = frames.find((f) => f.type === FrameType.ERROR);
      if (error !== undefined && parseError(error.body, 0, error.body.length).code === 5) refused++;
      // The next claimant waits for this probe (1 s) to end: meanwhile the ID counts as being taken over.
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
    await settle(hub, 200);
    const figures = await pair.stop();
    report(`${rounds} TAKEOVER claimant(s) sending 4 MiB of empty frames during the probe`, hub, figures, `${refused} refused`);
    expect(refused).toBe(rounds);
    expect(figures.answered).toBe(figures.sent);
    expect(figures.longestWaitMs).toBeLessThan(LONGEST_WAIT_MS);
    expect(hub.peakRssBytes).toBeLessThan(BASELINE_ALLOWANCE);
  });
});

describe('hub-wide memory budget (break 8)', () => {
  it('refuses partial frames beyond the budget: connections holding 16 MiB each cannot take more than it', async () => {
    const budget = 128 * MIB;
    const holders = FULL ? 60 : 12;
    const hub = await HubProcess.start(cleanup, ['--memory-budget', String(budget)]);
    const pair = await CheckedPair.start(cleanup, hub.socket);
    const body = Buffer.alloc(MIB, 0x61);
    for (let i = 0; i < holders; i++) {
      const conn = await rawConnection(cleanup, hub.socket);
      conn.write(encodeHello({ id: `holder-${i}` }));
      // A MESSAGE announcing a 16 MiB payload, of which 15 MiB are sent and the rest never comes.
      const header = Buffer.alloc(12);
      header.writeUInt32BE(1 + 7 + 16 * MIB, 0);
      header[4] = FrameType.MESSAGE;
      conn.write(Buffer.concat([header, Buffer.from([0, 0, 0, 0, 0, 0, 0])]).subarray(0, 12));
      await writeAll(conn, body, 15);
    }
    await settle(hub, 1500);
    const refused = hub.log.split('\n').filter((line) => line.includes("left: FRAME_TOO_LARGE: the hub's memory budget")).length;
    const figures = await pair.stop();
    report(`${holders} connections each holding a partial 16 MiB frame, budget ${mib(budget)}`, hub, figures, `${refused} refused`);
    // 128 MiB holds 7 frames of 16 MiB beside everything else; every holder beyond that is refused.
    expect(refused).toBeGreaterThanOrEqual(holders - 8);
    expect(figures.answered).toBe(figures.sent);
    expect(figures.longestWaitMs).toBeLessThan(LONGEST_WAIT_MS);
    expect(hub.peakRssBytes).toBeLessThan(budget + BASELINE_ALLOWANCE);
  });
});
