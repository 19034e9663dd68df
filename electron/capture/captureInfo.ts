import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HubSnapshot } from '../hub/hubEvents';
import type { CaptureCounters } from './captureRecord';

/** The hub's counters as a capture's metadata keeps them, from a STATS snapshot. */
export function countersFromSnapshot(snapshot: HubSnapshot): CaptureCounters {
  const { totals } = snapshot;
  return { time: snapshot.now * 1000, messages: totals.messages, bytes: totals.bytes, errors: totals.errors, drops: totals.drops, modules: snapshot.modules.length };
}

/** Microseconds since the epoch, on the hub's clock (HubClock: performance.timeOrigin + now). */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

let version: string | null = null;

/** The version in package.json, found by walking up from this file (it runs from dist/electron/capture or from the sources). */
export function relayscopeVersion(): string {
  if (version !== null) return version;
  version = 'unknown';
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      version = (JSON.parse(fs.readFileSync(candidate, 'utf8')) as { version: string }).version;
      break;
    }
    if (path.dirname(dir) === dir) break;
  }
  return version;
}
