/**
 * What the app's main process does with its backend, in plain Node so the tests run it: keeping it
 * from its start, --record from the start, and the stop that every way out (window closed, quit,
 * SIGINT, SIGTERM, another recording opened in the window) ends in.
 */
import * as path from 'node:path';
import { BridgeService } from '../bridge/BridgeService';
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
async function stopBackend(bridge: BridgeService | null, backend: HubBackend | null, report: (line: string) => void): Promise<void> {
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

/**
 * The backend the app shows and the bridge to it, from its start to the app's stop. A stop asked for
 * while a backend is still starting (a signal during startup) waits for it and closes it too, so an
 * in-place tap taken meanwhile still puts its server's socket back.
 */
export class AppBackend {
  private current: { backend: HubBackend; bridge: BridgeService } | null = null;
  private readonly starting: Promise<HubBackend | null>[] = [];
  /** Backends given to use(): closeCurrent() stops them, so stop() must not stop them again. */
  private readonly used = new WeakSet<HubBackend>();
  private stopping: Promise<void> | null = null;

  constructor(private readonly report: (line: string) => void) {}

  get backend(): HubBackend | null {
    return this.current?.backend ?? null;
  }

  /** A backend being started (chooseBackend, attachBackend), null when it starts none; stop() waits for it. Its failure is the caller's to show. */
  track(started: Promise<HubBackend | null>): void {
    this.starting.push(started.catch(() => null));
  }

  /** Shows `backend` from now on, through a new bridge. */
  use(backend: HubBackend): BridgeService {
    const bridge = new BridgeService(backend);
    this.used.add(backend);
    this.current = { backend, bridge };
    return bridge;
  }

  /** Stops the backend shown (another recording is to be shown in its place). */
  async closeCurrent(): Promise<void> {
    const current = this.current;
    this.current = null;
    await stopBackend(current?.bridge ?? null, current?.backend ?? null, this.report);
  }

  /** Waits for every backend still starting, then stops them and the one shown; once, however many ways out are taken. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const started = await Promise.all(this.starting);
      for (const backend of new Set(started)) if (backend !== null && !this.used.has(backend)) await stopBackend(null, backend, this.report);
      await this.closeCurrent();
    })();
    return this.stopping;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
