import { ContractError, INVOKE_CHANNELS, isInvokeChannel, SNAPSHOT_INTERVAL_MS, type CallResult, type InvokeArgs, type InvokeChannel, type InvokeHandlers, type InvokeResult, type PushChannel, type PushData, type WireEvent } from './contract';
import type { HubEvent } from '../hub/hubEvents';
import { BackendError, type HubBackend } from './HubBackend';
import { toWireEvent, toWireSnapshot } from './wireEvents';

/** Events forwarded in one batch at most; the rest of a burst is counted in a 'lost' event, so a fast bus cannot flood the UI. */
export const MAX_EVENTS_PER_BATCH = 2000;

/** The hub delivers at most one batch per 50 ms; forwarding at the same pace. */
const BATCH_INTERVAL_MS = 50;

/** Where BridgeService.subscribe delivers: each push with the data type of its channel. */
export type PushSink = <C extends PushChannel>(channel: C, data: PushData<C>) => void;

/**
 * The contract's backend side, shared by both transports (Electron IPC and the browser mode's
 * WebSocket): checks what the UI sends against the contract's channel table, runs it on the hub
 * backend and answers with CallResult; pushes hub events and snapshots to each subscriber at a bounded rate.
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
  };

  constructor(private readonly backend: HubBackend) {}

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
   * Pushes hub events (at most one batch per BATCH_INTERVAL_MS, MAX_EVENTS_PER_BATCH
   * events each) and a snapshot at once and then every SNAPSHOT_INTERVAL_MS. Returns the
   * unsubscribe function, which stops all of it.
   */
  subscribe(push: PushSink): () => void {
    let active = true;
    let pending: HubEvent[] = [];
    let lostCount = 0;
    let lastBatchAt = -Infinity;
    let batchTimer: NodeJS.Timeout | null = null;
    let snapshotInFlight = false;

    const sendBatch = (): void => {
      batchTimer = null;
      if (!active) return;
      const batch: WireEvent[] = pending.map(toWireEvent);
      pending = [];
      if (lostCount > 0) {
        batch.push({ type: 'lost', time: Date.now() * 1000, count: lostCount });
        lostCount = 0;
      }
      lastBatchAt = performance.now();
      if (batch.length > 0) push('hub:events', batch);
    };

    const unsubscribeEvents = this.backend.onEvents((events) => {
      for (const event of events) {
        if (pending.length < MAX_EVENTS_PER_BATCH) pending.push(event);
        else lostCount += event.type === 'lost' ? event.count : 1;
      }
      if (batchTimer === null) batchTimer = setTimeout(sendBatch, Math.max(0, lastBatchAt + BATCH_INTERVAL_MS - performance.now()));
    });

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
      clearInterval(snapshotTimer);
      if (batchTimer !== null) clearTimeout(batchTimer);
      pending = [];
    };
  }
}

function callError(err: unknown): { code: string; message: string } {
  if (err instanceof ContractError) return { code: 'INVALID_ARGUMENTS', message: err.message };
  if (err instanceof BackendError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL_ERROR', message: err instanceof Error ? err.message : String(err) };
}
