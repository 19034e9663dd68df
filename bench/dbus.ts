/**
 * hub vs dbus-daemon, a section of bench.ts: a private bus started for the run (its own config, a Unix
 * socket in the temp dir, nothing from the system or session bus) and bench/c/dbusLoad.c (libdbus)
 * pushing the 64 B one-to-one load (unicast signals to the receiver's unique name) and request/reply
 * round trips (method calls) through it; compared with the hub driven by bench/c/loadgen.c.
 * Skipped with the reason when dbus-daemon, libdbus-1-dev or a compiler is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileC, findExecutable, pkgConfig, runJsonLine } from './cProgram';
import { fmt, printTable, type ReferenceContext, type RoundTripFigures, times } from './table';

export interface DbusFigures {
  version: string;
  rate: number;
  roundTrip: RoundTripFigures;
}

interface Bus {
  address: string;
  version: string;
  stop(): Promise<void>;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function startBus(binary: string, dir: string): Promise<Bus> {
  const socketPath = path.join(dir, 'bus.sock');
  const configPath = path.join(dir, 'bus.conf');
  // A session-type bus that lets anyone send to anyone (the policy of the session bus), with the
  // session bus's 1 GB queue limits: the generator's window is the bound, as for the hub.
  fs.writeFileSync(
    configPath,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socketPath}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="max_incoming_bytes">1000000000</limit>
  <limit name="max_outgoing_bytes">1000000000</limit>
  <limit name="max_message_size">1000000000</limit>
</busconfig>
`,
  );
  const child = spawn(binary, [`--config-file=${configPath}`, '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dbus-daemon printed no address within 5 s: ${log.trim()}`));
    }, 5000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dbus-daemon exited with ${code}: ${log.trim()}`));
    });
  });
  const version = /Daemon (\S+)/.exec(spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? 'unknown version';
  return {
    address,
    version,
    async stop(): Promise<void> {
      if (hasExited(child)) return;
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      if (!hasExited(child)) child.kill('SIGKILL');
    },
  };
}

/** Runs the dbus-daemon loads; the reason instead when something it needs is missing. */
export async function measureDbus(ctx: ReferenceContext): Promise<DbusFigures | { skipped: string }> {
  const daemon = findExecutable('dbus-daemon');
  if (daemon === null) return { skipped: 'dbus-daemon is not installed (apt-get install dbus enables it)' };
  const libs = pkgConfig('dbus-1');
  if (libs === null) return { skipped: 'libdbus is not installed: pkg-config dbus-1 failed (apt-get install libdbus-1-dev enables it)' };
  const dir = fs.mkdtempSync(path.join(ctx.tempDir, 'dbus-'));
  const compiled = compileC('dbusLoad', dir, { std: 'c99', libs, missing: 'libdbus-1-dev' });
  if ('skipped' in compiled) return compiled;
  const bus = await startBus(daemon, dir);
  const bound = (ctx.runSeconds + 60) * 1000;
  try {
    const load = await runJsonLine<{ rate: number; lost: number }>(
      compiled.binary,
      ['throughput', bus.address, '--payload', '64', '--seconds', String(ctx.runSeconds), '--warmup-ms', String(ctx.warmupMs), '--window-bytes', String(ctx.windowBytes)],
      bound,
    );
    if (load.lost !== 0) throw new Error(`dbus-daemon: ${load.lost} messages sent never arrived`);
    const rtt = await runJsonLine<{ p50_us: number; p99_us: number }>(compiled.binary, ['rtt', bus.address, '--count', String(ctx.roundTrips), '--payload', '64'], bound);
    return { version: bus.version, rate: load.rate, roundTrip: { p50: rtt.p50_us, p99: rtt.p99_us } };
  } finally {
    await bus.stop();
  }
}

export async function dbusBench(ctx: ReferenceContext): Promise<DbusFigures | null> {
  const figures = await measureDbus(ctx);
  if ('skipped' in figures) {
    console.log(`\nhub vs dbus-daemon: skipped, ${figures.skipped}.`);
    return null;
  }
  const { hub } = ctx;
  console.log(`\nhub vs dbus-daemon ${figures.version}: a private bus on a Unix socket, bench/c/dbusLoad.c (libdbus) against bench/c/loadgen.c for the hub, 64 B, same window:`);
  printTable(
    ['load', 'dbus-daemon', 'hub', 'hub vs dbus-daemon'],
    [
      ['one-to-one msgs/s (unicast signals; hub: one send() per message)', fmt(figures.rate), fmt(hub.cMessage), times(hub.cMessage, figures.rate)],
      ['one-to-one msgs/s (hub: 32 KiB of frames per send())', fmt(figures.rate), fmt(hub.cBatch), times(hub.cBatch, figures.rate)],
      ['round trip p50 µs (method call / REQUEST)', fmt(figures.roundTrip.p50, 1), fmt(hub.cRoundTrip.p50, 1), times(figures.roundTrip.p50, hub.cRoundTrip.p50)],
      ['round trip p99 µs', fmt(figures.roundTrip.p99, 1), fmt(hub.cRoundTrip.p99, 1), times(figures.roundTrip.p99, hub.cRoundTrip.p99)],
    ],
  );
  console.log('(for round trips "hub vs dbus-daemon" is dbus-daemon\'s time ÷ the hub\'s: above 1× the hub answers faster)');
  return figures;
}
