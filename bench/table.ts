/**
 * What the bench's sections share: number formatting, the Markdown table every section prints, and the
 * hub figures the reference sections (dbus-daemon, NATS) compare with, measured earlier in the run.
 */

export const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function printTable(header: string[], lines: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(row(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const l of lines) console.log(row(l));
}

export interface RoundTripFigures {
  p50: number;
  p99: number;
}

/** The hub's 64 B one-pair figures, by the generator that produced them. */
export interface HubFigures {
  /** bench/c/loadgen.c, one send() per message. */
  cMessage: number;
  /** bench/c/loadgen.c, 32 KiB of frames per send(). */
  cBatch: number;
  cRoundTrip: RoundTripFigures;
  /** The Node generator of bench.ts, one write() per message. */
  nodeMessage: number;
  nodeRoundTrip: RoundTripFigures;
}

/** What a reference section needs from the run. */
export interface ReferenceContext {
  tempDir: string;
  runSeconds: number;
  warmupMs: number;
  windowBytes: number;
  roundTrips: number;
  hub: HubFigures;
}

/** "2.31×": how many times a is of b. */
export const times = (a: number, b: number): string => `${fmt(a / b, 2)}×`;
