import { type RelayClient, RelayError } from '../client';
import type { CapturedMessage } from './captureRecord';

/** INJECTs awaiting the hub's answer at once: enough to keep the socket busy at full speed. */
const MAX_IN_FLIGHT = 256;

export interface ReplayOptions {
  /** The recorded gaps are divided by this; null sends as fast as the hub takes them. */
  speed: number | null;
  /** Every message injected with this source instead of its recorded one. */
  source?: string;
  /** Checked before each message: true ends the replay early (a signal, a window closing). */
  stopped?: () => boolean;
  /** Called as each message is handed to the hub, before its answer. */
  onSent?: () => void;
  /** Called once per message with its position in the replay and the hub's answer (null: delivered). */
  onAnswer: (index: number, message: CapturedMessage, error: unknown) => void;
}

/** The failure's key (for counting by reason) and its one-line description. */
export function replayFailure(error: unknown): { key: string; reason: string } {
  if (error instanceof RelayError) return { key: error.codeName, reason: `${error.codeName}: ${error.detail}` };
  const failure = error as Error;
  return { key: failure.name, reason: failure.message };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Injects each message (INJECT, over a monitor connection) to its recorded destination, keeping the
 * recorded gaps divided by the speed. Every INJECT's answer is awaited, so each message is reported
 * to onAnswer as delivered or failed with the hub's reason. Used by `relayscope replay` and by the
 * offline view's "replay into a live hub". Returns how many messages were sent.
 */
export async function replayMessages(client: RelayClient, messages: Iterable<CapturedMessage> | AsyncIterable<CapturedMessage>, options: ReplayOptions): Promise<number> {
  // The correlation ID of an INJECT is the injected message's own, so two in flight must differ.
  const inFlight = new Map<number, Promise<void>>();
  const started = performance.now();
  let firstTime: number | null = null;
  let sent = 0;
  for await (const message of messages) {
    if (options.stopped?.() === true) break;
    const index = sent++;
    firstTime ??= message.time;
    if (options.speed !== null) {
      const due = (message.time - firstTime) / 1000 / options.speed - (performance.now() - started);
      if (due > 1) await sleep(due);
    }
    while (inFlight.size >= MAX_IN_FLIGHT || inFlight.has(message.correlationId)) await (inFlight.get(message.correlationId) ?? Promise.race(inFlight.values()));
    const answer = client
      .inject({ source: options.source ?? message.source, destination: message.destination, kind: message.kind, payload: message.payload, correlationId: message.correlationId })
      .then(
        () => options.onAnswer(index, message, null),
        (error: unknown) => options.onAnswer(index, message, error),
      )
      .finally(() => inFlight.delete(message.correlationId));
    inFlight.set(message.correlationId, answer);
    options.onSent?.();
  }
  await Promise.all(inFlight.values());
  return sent;
}
