import { ClosedError, RelayError, TimeoutError } from '../client/errors';
import { RelayClient } from '../client/RelayClient';
import { monitorDroppedCount, type EventFrame, type TrafficFrame } from '../protocol/frameCodec';
import { PendingOperations } from '../protocol/PendingOperations';
import { tapChunkOfTraffic } from '../protocol/tapChunk';
import { HubEventStream, type HubEventStreamOptions } from '../hub/HubEventStream';
import { PREVIEW_BYTES, type HubEvent, type HubSnapshot } from '../hub/hubEvents';
import type { SearchablePayloads } from '../hub/PayloadStore';
import { errorName, HubEventCode, MESSAGE_KIND_NAMES, MessageKind, TrafficFlag } from '../protocol/protocol';
import type { InjectOptions, InProcessReply } from '../hub/RelayHub';
import { formatSocketAddress, parseSocketAddress, type SocketAddress } from '../sockets/socketAddress';
import type { WireHubLink } from './contract';
import { BackendError, type BackendRecording, type HubBackend, type HubBackendDescription } from './HubBackend';
import { MonitorRecording } from './MonitorRecording';
import { capturedEvent, capturedTraffic } from '../capture/monitorFrames';

export interface AttachOptions {
  /** The hub's address: a path, @name or tcp://host:port. */
  socket: string;
  token?: string;
  /** How the batched event stream is bounded; the same defaults as a hub in this process. */
  events?: HubEventStreamOptions;
}

/** The ID asked for in HELLO; the hub assigns "$monitor-N" when it is taken. */
export const ATTACHED_MONITOR_ID = 'relayscope-ui';

const RECONNECT_BACKOFF = { initialDelayMs: 100, maxDelayMs: 2000 };
/**
 * request() correlation IDs start in the upper half of the u32 range, away from the ones the
 * client allocates from 1 upwards for its own operations (an INJECT's ID is also the ID of the
 * injected request).
 */
const FIRST_REQUEST_CORRELATION = 0x8000_0000;

/**
 * A hub run by someone else, seen through a monitor connection. Traffic copies become message
 * events with a local sequence number and the full payloads are kept in a bounded store, so the
 * UI works the same as with a hub in this process.
 */
export class AttachedHubBackend implements HubBackend {
  private readonly attachedTo: string;
  private readonly transport: 'unix' | 'abstract' | 'tcp';
  private readonly events: HubEventStream;
  private recording: MonitorRecording | null = null;
  private currentLink: WireHubLink = { status: 'up', since: Date.now(), detail: '', attempts: 0 };
  private readonly linkListeners = new Set<(link: WireHubLink) => void>();

  /** Injected requests waiting for the module's reply, by the correlation ID they were injected with. */
  private readonly requests = new PendingOperations<{ destination: string }, InProcessReply>({ first: FIRST_REQUEST_CORRELATION });

  private constructor(
    private readonly client: RelayClient,
    address: SocketAddress,
    options: AttachOptions,
  ) {
    this.attachedTo = formatSocketAddress(address);
    this.transport = address.kind === 'path' ? 'unix' : address.kind;
    this.events = new HubEventStream(options.events);
    client.on('traffic', (traffic) => this.onTraffic(traffic));
    client.on('hubEvent', (event) => this.onHubEvent(event));
    client.on('disconnect', ({ error }) => this.setLink({ status: 'down', since: Date.now(), detail: error?.message ?? 'the hub closed the connection', attempts: 0 }));
    client.on('reconnecting', ({ attempt }) => {
      if (this.currentLink.status === 'down') this.setLink({ ...this.currentLink, attempts: attempt });
    });
    client.on('reconnect', () => this.setLink({ status: 'up', since: Date.now(), detail: '', attempts: 0 }));
  }

  /** Connects as a monitor (reconnecting by itself afterwards); rejects with the client's ConnectError or RelayError. */
  static async attach(options: AttachOptions): Promise<AttachedHubBackend> {
    const address = parseSocketAddress(options.socket);
    const client = await RelayClient.connect({ id: ATTACHED_MONITOR_ID, monitor: true, socket: options.socket, token: options.token, reconnect: RECONNECT_BACKOFF });
    return new AttachedHubBackend(client, address, options);
  }

  /** The monitor's ID on the hub, for the log. */
  get monitorId(): string {
    return this.client.id;
  }

  describe(): HubBackendDescription {
    return { listeners: [this.attachedTo], attachedTo: this.attachedTo };
  }

  link(): WireHubLink {
    return this.currentLink;
  }

  onLink(callback: (link: WireHubLink) => void): () => void {
    this.linkListeners.add(callback);
    return () => this.linkListeners.delete(callback);
  }

  private setLink(link: WireHubLink): void {
    this.currentLink = link;
    for (const listener of this.linkListeners) listener(link);
  }

  async snapshot(): Promise<HubSnapshot> {
    try {
      return await this.client.stats();
    } catch (err) {
      throw backendError(err);
    }
  }

  onEvents(callback: (batch: HubEvent[]) => void): () => void {
    return this.events.subscribe(callback);
  }

  async inject(options: InjectOptions): Promise<void> {
    try {
      await this.client.inject({ ...options, source: options.source ?? '' });
    } catch (err) {
      throw backendError(err);
    }
  }

  /**
   * Injects a REQUEST from this monitor's ID and resolves with the REPLY the module addresses to it.
   * The client itself drops replies it did not ask for, so the reply is taken from the TRAFFIC copy
   * the hub makes of every message delivered to a monitor (PROTOCOL.md 8.1).
   */
  request(options: { destination: string; payload: Buffer; timeoutMs: number }): Promise<InProcessReply> {
    const { destination, timeoutMs } = options;
    const { id, promise } = this.requests.start({ destination }, { timeoutMs, onTimeout: () => new BackendError('TIMEOUT', `no reply from "${destination}" within ${timeoutMs} ms`) });
    this.client.inject({ source: '', destination, kind: 'request', payload: options.payload, correlationId: id }).catch((err: unknown) => {
      this.requests.reject(id, backendError(err));
    });
    return promise;
  }

  async setListeners(): Promise<string[]> {
    throw new BackendError('NOT_SUPPORTED', 'this window is attached to a hub that runs elsewhere: its sockets are set where it runs');
  }

  /**
   * Records from this monitor connection, in this process: the hub drops copies towards a monitor
   * that falls behind, so the recording counts those (MONITOR_DROPPED) as missed.
   */
  async startRecording(file: string): Promise<BackendRecording> {
    if (this.recording !== null) throw new BackendError('RECORDING_FAILED', 'already recording; stop that recording first');
    try {
      return await MonitorRecording.start(
        file,
        this.attachedTo,
        () => this.client.stats(),
        (recording) => {
          this.recording = recording;
          return () => {
            if (this.recording === recording) this.recording = null;
          };
        },
      );
    } catch (err) {
      throw new BackendError('RECORDING_FAILED', (err as Error).message);
    }
  }

  async kick(id: string, reason?: string): Promise<void> {
    try {
      await this.client.kick(id, reason);
    } catch (err) {
      throw backendError(err);
    }
  }

  async payload(seq: number): Promise<Buffer | undefined> {
    return this.events.payload(seq);
  }

  /** The payloads of the traffic copies this monitor received, in its own store: the hub's is in its process. */
  searchablePayloads(): SearchablePayloads {
    return this.events.searchable;
  }

  async close(): Promise<void> {
    await this.recording?.stop();
    this.events.flush();
    this.requests.rejectAll(new BackendError('NOT_CONNECTED', 'the UI detached from the hub before the reply came'));
    await this.client.close();
  }

  // ---------------------------------------------------------------- from the monitor connection

  private onTraffic(traffic: TrafficFrame): void {
    if (traffic.kind === MessageKind.REPLY && traffic.destination === this.client.id) this.resolveRequest(traffic);
    const kind = MESSAGE_KIND_NAMES[traffic.kind];
    if (kind === undefined) return;
    const injected = (traffic.flags & TrafficFlag.INJECTED) !== 0;
    const destination = traffic.destination === '' ? null : traffic.destination;
    if (this.recording !== null) this.recordTraffic(this.recording, traffic);
    if (!this.events.active) return;
    const seq = this.events.nextMessageSeq();
    if (seq === null) return;
    this.events.storePayload(seq, traffic.payload);
    this.events.emit({
      type: 'message',
      seq,
      time: traffic.timestampMicros,
      kind,
      source: traffic.source,
      destination,
      correlationId: traffic.correlationId,
      size: traffic.payload.length,
      preview: Uint8Array.prototype.slice.call(traffic.payload, 0, PREVIEW_BYTES),
      injected,
      tap: tapChunkOfTraffic(traffic),
    });
  }

  private resolveRequest(traffic: TrafficFrame): void {
    const reply = { source: traffic.source, payload: traffic.payload, correlationId: traffic.correlationId };
    this.requests.resolve(traffic.correlationId, reply, (request) => request.destination === traffic.source);
  }

  private onHubEvent(frame: EventFrame): void {
    // The hub sends a module's reply before its LEAVE, so a request still waiting then gets none.
    if (frame.event === HubEventCode.LEAVE) {
      this.requests.rejectWhere(
        (request) => request.destination === frame.id,
        () => new BackendError('PEER_GONE', `"${frame.id}" left before replying: ${frame.detail}`),
      );
    }
    if (this.recording !== null) this.recordEvent(this.recording, frame);
    if (!this.events.active) return;
    const event = this.hubEvent(frame);
    if (event !== null) this.events.emit(event);
  }

  private recordTraffic(recording: MonitorRecording, traffic: TrafficFrame): void {
    const record = capturedTraffic(traffic);
    if (record !== null) recording.record(record);
  }

  private recordEvent(recording: MonitorRecording, frame: EventFrame): void {
    const record = capturedEvent(frame);
    if (record === null) return;
    if (record.event === 'monitor-dropped') recording.countMissed(monitorDroppedCount(frame) ?? 1);
    recording.record(record);
  }

  private hubEvent(frame: EventFrame): HubEvent | null {
    const time = frame.timestampMicros;
    switch (frame.event) {
      case HubEventCode.JOIN:
        // EVENT carries no transport or listener; the address this monitor reached the hub on is the best guess, and the snapshot has the truth.
        return { type: 'join', time, id: frame.id, role: 'module', transport: this.transport, listener: this.attachedTo };
      case HubEventCode.LEAVE:
        return { type: 'leave', time, id: frame.id, role: 'module', reason: frame.detail, code: frame.code };
      case HubEventCode.ERROR:
        return { type: 'error', time, id: frame.id, code: frame.code, codeName: errorName(frame.code), message: frame.detail };
      case HubEventCode.MONITOR_DROPPED: {
        // A detail that is not a count (a hub speaking a later revision) still means copies were missed.
        return { type: 'lost', time, count: monitorDroppedCount(frame) ?? 1 };
      }
      default:
        return null;
    }
  }
}

function backendError(err: unknown): Error {
  if (err instanceof RelayError) return new BackendError(err.codeName, err.detail);
  if (err instanceof TimeoutError) return new BackendError('TIMEOUT', err.message);
  if (err instanceof ClosedError) return new BackendError('NOT_CONNECTED', err.message);
  if (err instanceof RangeError) return new BackendError('INVALID_ARGUMENTS', err.message);
  return err instanceof Error ? err : new Error(String(err));
}
