import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureFreshBuild } from '../support/freshBuild';

// The bench's references (the C reference relay, Mosquitto, dbus-daemon, NATS from C and from Node)
// each produce a figure in a very short run of `npm run bench -- --only refs`. Only that there is a
// figure is checked: speed is what `npm run bench` is for, not a test. So does the federation
// section (two `relayscope hub --nats` processes against raw NATS).

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const BENCH = path.join(REPO_ROOT, 'dist', 'bench', 'bench.js');

function runBench(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BENCH, ...args], { cwd: REPO_ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`bench ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** The cells of every table row of `section` (from its heading line to the next blank line) whose first cell starts with `label`. */
function rows(output: string, section: string, label: string): string[][] {
  const start = output.indexOf(section);
  expect(start, `no section "${section}" in:\n${output}`).toBeGreaterThanOrEqual(0);
  const end = output.indexOf('\n\n', start);
  const lines = output.slice(start, end < 0 ? undefined : end).split('\n');
  const found = lines
    .filter((line) => line.startsWith('| '))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    )
    .filter((cells) => cells[0].startsWith(label));
  expect(found.length, `no row "${label}" under "${section}" in:\n${output}`).toBeGreaterThan(0);
  return found;
}

/** A figure as the bench prints it ("1,234,567", "97.5"), as a number. */
const figure = (cell: string): number => Number(cell.replace(/,/g, ''));

describe('bench references', () => {
  beforeAll(() => ensureFreshBuild(), 180_000);

  it('each reference produces a figure in a short --only refs run', async () => {
    const output = await runBench(['--only', 'refs', '--seconds', '0.2', '--warmup-ms', '100', '--rtt-count', '300']);
    expect(output).not.toMatch(/skipped/);

    // The C reference relay: a throughput column (ref msgs/s) for each generator, and a round-trip row.
    for (const section of ['Throughput, one write() per message', 'Throughput, one send() per message']) {
      const [cells] = rows(output, section, 'one-hop 64 B, 1 pair');
      expect(figure(cells[1])).toBeGreaterThan(0);
    }
    for (const section of ['Request/reply round trip, 64 B', 'Request/reply round trip from C']) {
      const [cells] = rows(output, section, 'through the C reference relay');
      expect(figure(cells[1])).toBeGreaterThan(0);
    }

    const [mosquitto] = rows(output, 'hub vs Mosquitto', 'one send() per message');
    expect(figure(mosquitto[1])).toBeGreaterThan(0);

    const [dbusRate] = rows(output, 'hub vs dbus-daemon', 'one-to-one msgs/s (unicast signals');
    const [dbusRoundTrip] = rows(output, 'hub vs dbus-daemon', 'round trip p50');
    expect(figure(dbusRate[1])).toBeGreaterThan(0);
    expect(figure(dbusRoundTrip[1])).toBeGreaterThan(0);

    for (const generator of ['C (libnats', 'Node (@nats-io/transport-node']) {
      const [rate] = rows(output, 'hub vs NATS', `${generator}`).filter((cells) => cells[0].includes('pub→sub'));
      const [roundTrip] = rows(output, 'hub vs NATS', `${generator}`).filter((cells) => cells[0].includes('request/reply p50'));
      expect(figure(rate[1])).toBeGreaterThan(0);
      expect(figure(roundTrip[1])).toBeGreaterThan(0);
    }
  }, 60_000);

  it('the federation section yields each figure beside its baseline in a short --only federation run', async () => {
    const output = await runBench(['--only', 'federation', '--quick', '--seconds', '0.1', '--rtt-count', '300']);
    expect(output).not.toMatch(/skipped/);
    for (const measure of ['one-way 64 B, 1 pair, a → b', 'request/reply p50 µs, a → b', 'local 64 B, 1 pair, hub with --nats']) {
      const [cells] = rows(output, 'Federation (issue 15)', measure);
      expect(figure(cells[1]), measure).toBeGreaterThan(0);
      expect(figure(cells[2]), `${measure}: baseline`).toBeGreaterThan(0);
      expect(cells[6], measure).toMatch(/^(met|NOT met)$/);
    }
  }, 60_000);
});
