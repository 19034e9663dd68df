import { ContractError, EVENT_BATCHES_PER_SECOND, isInvokeChannel, SNAPSHOT_INTERVAL_MS, validateInvoke, type CallResult, type InvokeChannel, type PushChannel, type WireEvent } from './contract';
import type { HubEvent } from '../hub/hubEvents';
import { BackendError, type HubBackend } from './HubBackend';
import { toWireEvent, toWireSnapshot } from './wireEvents';

/** Events forwarded in one batch at most; the rest of a burst is counted in a 'lost' event, so a fast bus cannot flood the UI. */
export const MAX_EVENTS_PER_BATCH = 2000;

const BATCH_INTERVAL_MS = 1000 / EVENT_BATCHES_PER_SECOND;

/**
 * The contract's backend side, shared by both transports (Electron IPC and the browser mode's
 * WebSocket): checks what the UI sends, runs it on the hub backend and answers with CallResult;
 * pushes hub events and snapshots to each subscriber at a bounded rate.
 */
export class BridgeService {
  constructor(private readonly backend: HubBackend) {}

  /** Runs one call from the UI. Never throws: bad arguments and hub refusals come back as { ok: false }. */
  async call(channel: string, args: unknown): Promise<CallResult<unknown>> {
    if (!isInvokeChannel(channel)) return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `unknown channel ${JSON.stringify(channel)}` } };
    try {
      return { ok: true, value: await this.dispatch(channel, args) };
    } catch (err) {
      return { ok: false, error: callError(err) };
    }
  }

  private async dispatch(channel: InvokeChannel, args: unknown): Promise<unknown> {
    switch (channel) {
      case 'hub:snapshot':
        validateInvoke('hub:snapshot', args);
        return toWireSnapshot(await this.backend.snapshot(), this.backend.describe());
      case 'hub:inject': {
        const inject = validateInvoke('hub:inject', args);
        await this.backend.inject({ source: inject.source, destination: inject.destination, kind: inject.kind, payload: Buffer.from(inject.payloadBase64, 'base64') });
        return null;
      }
      case 'hub:request': {
        const request = validateInvoke('hub:request', args);
        const reply = await this.backend.request({ destination: request.destination, payload: Buffer.from(request.payloadBase64, 'base64'), timeoutMs: request.timeoutMs });
        return { source: reply.source, payloadBase64: reply.payload.toString('base64'), correlationId: reply.correlationId };
      }
      case 'hub:kick': {
        const kick = validateInvoke('hub:kick', args);
        await this.backend.kick(kick.id, kick.reason);
        return null;
      }
      case 'hub:payload': {
        const { seq } = validateInvoke('hub:payload', args);
        const payload = await this.backend.payload(seq);
        return payload === undefined ? null : { payloadBase64: payload.toString('base64') };
      }
      case 'hub:listen': {
        const { addresses } = validateInvoke('hub:listen', args);
        return { listeners: await this.backend.setListeners(addresses) };
      }
    }
  }

  /**
   * Pushes hub events (at most EVENT_BATCHES_PER_SECOND batches a second, MAX_EVENTS_PER_BATCH
   * events each) and a snapshot at once and then every SNAPSHOT_INTERVAL_MS. Returns the
   * unsubscribe function, which stops all of it.
   */
  subscribe(push: (channel: PushChannel, data: unknown) => void): () => void {
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
