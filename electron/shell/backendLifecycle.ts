/**
 * What the app's main process does with its backend after choosing it, in plain Node so the tests
 * run it: --record from the start, and the stop that every way out (window closed, quit, SIGINT,
 * SIGTERM, another recording opened in the window) ends in.
 */
import * as path from 'node:path';
import type { BridgeService } from '../bridge/BridgeService';
import type { HubBackend } from '../bridge/HubBackend';
import type { BackendTarget } from '../serve/backendTarget';

/** `--record FILE`: records the live hub from the start, as serve does and the window's Record button would; the file, made absolute, or null without --record. */
export async function recordFromStart(bridge: BridgeService, target: BackendTarget): Promise<string | null> {
  if (target.kind === 'open' || target.record === undefined) return null;
  const file = path.resolve(target.record);
  try {
    await bridge.captures.start(file);
  } catch (err) {
    throw new Error(`--record ${target.record}: ${errorText(err)}`);
  }
  return file;
}

/**
 * Completes a recording started from the window or --record, then stops the app's hub (BYE to its
 * modules; in-place taps put their servers' sockets back) or detaches from the one it watches. A
 * failure goes to `report` and the next step still runs: a recording that cannot be completed must
 * not leave a tapped server's socket aside.
 */
export async function stopBackend(bridge: BridgeService | null, backend: HubBackend | null, report: (line: string) => void): Promise<void> {
  try {
    await bridge?.captures.close();
  } catch (err) {
    report(`completing the recording failed: ${errorText(err)}`);
  }
  try {
    await backend?.close();
  } catch (err) {
    report(`stopping the hub failed: ${errorText(err)}`);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
