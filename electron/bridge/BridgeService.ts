import {
  ContractError,
  INVOKE_CHANNELS,
  isInvokeChannel,
  SNAPSHOT_INTERVAL_MS,
  type CallResult,
  type InvokeArgs,
  type InvokeChannel,
  type InvokeHandlers,
  type InvokeResult,
  type PushChannel,
  type PushData,
} from './contract';
import { CaptureControl } from './CaptureControl';
import { BackendError, type HubBackend } from './HubBackend';
import { OfflineBackend } from './OfflineBackend';
import { type PayloadSearchOptions, PayloadSearches } from './PayloadSearches';
import { ReplayControl } from './ReplayControl';
import { toWireEvent, toWireSnapshot } from './wireEvents';

/** Where BridgeService.subscribe delivers: each push with the data type of its channel. */
export type PushSink = <C extends PushChannel>(channel: C, data: PushData<C>) => void;

/**
 * The contract's backend side, shared by both transports (Electron IPC and the browser mode's
 * WebSocket): checks what the UI sends against the contract's channel table, runs it on the hub
 * backend and answers with CallResult; pushes hub events and snapshots to each subscriber.
 */
export class BridgeService {
  /** Typed from the contract: a channel added there fails to compile here until it is handled. */
  private readonly handlers: InvokeHandlers = {
    'hub:snapshot': async () => toWireSnapshot(await this.backend.snapshot(), this.backend.describe()),
    'hub:inject': async (inject) => {
      await this.backend.inject({ source: inject.source, destination: inject.destination, kind: inject.kind, payload: Buffer.from(inject.payloadBase64, 'base64') });
      return null;
    },
    'hub:request': async (request) => {
      const reply = await this.backend.request({ destination: request.destination, payload: Buffer.from(request.payloadBase64, 'base64'), timeoutMs: request.timeoutMs });
      return { source: reply.source, payloadBase64: reply.payload.toString('base64'), correlationId: reply.correlationId };
    },
    'hub:kick': async (kick) => {
      await this.backend.kick(kick.id, kick.reason);
      return null;
    },
    'hub:payload': async ({ seq }) => {
      const payload = await this.backend.payload(seq);
      return payload === undefined ? null : { payloadBase64: payload.toString('base64') };
    },
    'hub:listen': async ({ addresses }) => ({ listeners: await this.backend.setListeners(addresses) }),
    'hub:recordStart': () => this.captures.start(),
    'hub:recordStop': () => this.captures.stop(),
    'hub:recordStatus': async () => this.captures.status(),
    'hub:export': (args) => this.captures.export(args),
    'hub:seek': async ({ time }) => {
      if (!(this.backend instanceof OfflineBackend)) throw new BackendError('NOT_SUPPORTED', 'seeking is for an opened recording; this window shows a live hub');
      this.backend.seek(time);
      return null;
    },
    'hub:replay': (args) => {
      if (this.replays === null) throw new BackendError('NOT_SUPPORTED', 'replay is for an opened recording; this window shows a live hub');
      return this.replays.start(args);
    },
    'hub:replayStatus': async () => this.replays?.status() ?? null,
    'hub:search': async (args) => this.searches.start(args),
    'hub:searchCancel': async ({ searchId }) => {
      this.searches.cancel(searchId);
      return null;
    },
  };

  /** Recordings and exports; the browser mode's download route asks it for the files it made. */
  readonly captures: CaptureControl;
  /** Replays of the opened recording into a live hub; null for a live backend. */
  private readonly replays: ReplayControl | null;
  /** Whole-payload searches; their progress goes to every subscriber (a page keeps the pushes of its own searches). */
  private readonly searches: PayloadSearches;
  private readonly searchSinks = new Set<PushSink>();

  constructor(
    private readonly backend: HubBackend,
    captureDirectory?: () => string,
    searchOptions?: PayloadSearchOptions,
  ) {
    this.captures = new CaptureControl(backend, captureDirectory);
    this.searches = new PayloadSearches(
      backend.searchablePayloads(),
      (progress) => {
        for (const sink of this.searchSinks) sink('hub:search', progress);
      },
      searchOptions,
    );
    this.replays = backend instanceof OfflineBackend ? new ReplayControl(backend) : null;
  }

  /** Whether a recording the page uploads can be shown: only by the backend of an opened recording. */
  get opensUploads(): boolean {
    return this.backend instanceof OfflineBackend;
  }

  /** Shows an uploaded capture file in place of the opened one (the browser mode's file picker). */
  async openUploaded(file: string): Promise<void> {
    if (!(this.backend instanceof OfflineBackend)) throw new BackendError('NOT_SUPPORTED', 'this serve shows a live hub; to look at a recording run relayscope serve --open FILE');
    await this.backend.reopen(file);
  }

  /** Runs one call from the UI. Never throws: unknown channels, bad arguments and hub refusals come back as { ok: false }. */
  async call(channel: unknown, args: unknown): Promise<CallResult<unknown>> {
    if (!isInvokeChannel(channel)) return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `unknown channel ${JSON.stringify(channel)}` } };
    try {
      return { ok: true, value: await this.dispatch(channel, args) };
    } catch (err) {
      return { ok: false, error: callError(err) };
    }
  }

  private dispatch<C extends InvokeChannel>(channel: C, args: unknown): Promise<InvokeResult<C>> {
    const handler: (args: InvokeArgs<C>) => Promise<InvokeResult<C>> = this.handlers[channel];
    return handler(INVOKE_CHANNELS[channel].validate(args) as InvokeArgs<C>);
  }

  /**
   * Pushes each batch of hub events as the backend's event stream delivers it, and a snapshot at
   * once and then every SNAPSHOT_INTERVAL_MS. Returns the unsubscribe function, which stops both.
   *
   * Events are not bounded again here: the stream (HubEventStream, behind both backends) already
   * holds a bounded number per batch and counts the rest in a 'lost' event, and nothing is queued
   * here, so the batches pass through as they come. A carrier that can fall behind bounds what it
   * buffers itself: BrowserModeServer skips batches for a page with too much unsent data and adds
   * them to the next 'lost' count.
   */
  subscribe(push: PushSink): () => void {
    let active = true;
    let snapshotInFlight = false;

    const unsubscribeEvents = this.backend.onEvents((events) => push('hub:events', events.map(toWireEvent)));
    this.searchSinks.add(push);
    const unsubscribeLink = this.backend.onLink?.((link) => push('hub:link', link));
    if (this.backend.link !== undefined) push('hub:link', this.backend.link());

    const pushSnapshot = (): void => {
      // A hub that answers slower than the interval (attached, busy) gets one request at a time.
      if (snapshotInFlight) return;
      snapshotInFlight = true;
      this.backend
        .snapshot()
        .then(
          (snapshot) => {
            if (active) push('hub:snapshot', toWireSnapshot(snapshot, this.backend.describe()));
          },
          // Not connected to the hub right now (attached and reconnecting): the next tick tries again.
          () => {},
        )
        .finally(() => {
          snapshotInFlight = false;
        });
    };
    const snapshotTimer = setInterval(pushSnapshot, SNAPSHOT_INTERVAL_MS);
    pushSnapshot();

    return () => {
      if (!active) return;
      active = false;
      unsubscribeEvents();
      this.searchSinks.delete(push);
      // Nobody left to see a search's progress: stop them all (a live search would poll for ever).
      if (this.searchSinks.size === 0) this.searches.cancelAll();
      unsubscribeLink?.();
      clearInterval(snapshotTimer);
    };
  }
}

function callError(err: unknown): { code: string; message: string } {
  if (err instanceof ContractError) return { code: 'INVALID_ARGUMENTS', message: err.message };
  if (err instanceof BackendError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL_ERROR', message: err instanceof Error ? err.message : String(err) };
}
