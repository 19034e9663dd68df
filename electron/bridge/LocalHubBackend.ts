import type { HubEvent, HubSnapshot } from '../hub/hubEvents';
import type { SearchablePayloads } from '../hub/PayloadStore';
import { listen, reachableByOthers, type HubListener, type ListenOptions } from '../hub/listeners';
import { listenPlain, type PlainListenerSpec } from '../hub/plain/plainListener';
import { addInPlaceTap, type InPlaceTap, type InPlaceTapSpec, type TapHandle, type TapSpec } from '../hub/tap';
import { errorName } from '../protocol/protocol';
import { HubCommandError, HubTimeoutError, RelayHub, type InjectOptions, type InProcessReply, type RelayHubOptions } from '../hub/RelayHub';
import { formatSocketAddress, parseSocketAddress, type SocketAddress } from '../sockets/socketAddress';
import { BackendError, type BackendRecording, type HubBackend, type HubBackendDescription } from './HubBackend';

/** What a hub listens on besides its own addresses (`--plain`, `--tap`, `--tap-in-place`). */
export interface ExtraListeners {
  plain?: readonly PlainListenerSpec[];
  taps?: readonly TapSpec[];
  inPlace?: readonly InPlaceTapSpec[];
}

/** A hub running in this process, with the listeners that feed it. */
export class LocalHubBackend implements HubBackend {
  private listeners: HubListener[];
  /** `--plain` listeners (electron/hub/plain/): fixed for the hub's life, apart from the ones setListeners changes. */
  readonly plainListeners: HubListener[] = [];
  /** `--tap` taps (electron/hub/tap/), closed with the hub. */
  readonly taps: TapHandle[] = [];
  /** `--tap-in-place` taps: each server's socket is put back when the backend closes. */
  readonly inPlaceTaps: InPlaceTap[] = [];

  constructor(
    readonly hub: RelayHub,
    listeners: readonly HubListener[],
    private readonly listenOptions: ListenOptions = {},
  ) {
    this.listeners = [...listeners];
  }

  /**
   * Starts a hub listening on every address, with its plain listeners and taps. When one cannot be
   * opened (ListenError, e.g. a live hub already serves it; InPlaceError for a path that cannot be
   * taken over) everything opened so far is closed again, in-place sockets put back, and the error is rethrown.
   */
  static async start(
    addresses: readonly SocketAddress[],
    hubOptions: RelayHubOptions = {},
    listenOptions: ListenOptions = {},
    { plain = [], taps = [], inPlace = [] }: ExtraListeners = {},
  ): Promise<LocalHubBackend> {
    const hub = new RelayHub(hubOptions);
    const listeners: HubListener[] = [];
    const backend = new LocalHubBackend(hub, listeners, listenOptions);
    try {
      for (const address of addresses) listeners.push(await listen(hub, address, listenOptions));
      // A line client's /nick wait stays under the handshake deadline, which also runs for it.
      const nickWaitMs = Math.min(5000, (hubOptions.handshakeTimeoutMs ?? 10_000) / 2);
      for (const spec of plain) backend.plainListeners.push(await listenPlain(hub, spec, { ...listenOptions, nickWaitMs }));
      for (const spec of taps) backend.taps.push(await hub.addTap({ ...spec, mode: listenOptions.mode, warn: listenOptions.warn }));
      for (const spec of inPlace) backend.inPlaceTaps.push(await addInPlaceTap(hub, spec.path, spec.framing, listenOptions.warn));
    } catch (err) {
      backend.listeners = [...listeners];
      await backend.close();
      throw err;
    }
    backend.listeners = [...listeners];
    return backend;
  }

  /**
   * New addresses are bound before old ones are closed, so the hub is never unreachable; if one
   * cannot be bound, those bound in this call are closed again and nothing changes.
   */
  async setListeners(addresses: string[]): Promise<string[]> {
    let wanted: SocketAddress[];
    try {
      wanted = addresses.map((address) => parseSocketAddress(address.trim()));
    } catch (err) {
      throw new BackendError('INVALID_ADDRESS', (err as Error).message);
    }
    const wantedNames = new Set(wanted.map(formatSocketAddress));
    const current = new Set(this.listeners.map((listener) => listener.description));
    // A page or window that can call hub:listen must not be able to open the bus to other users: an
    // address they can reach needs a token, which every HELLO there must then carry. A path holding
    // another user's socket is refused by listen() itself.
    for (const address of this.hub.hasToken ? [] : wanted) {
      const reason = current.has(formatSocketAddress(address)) ? null : reachableByOthers(address, this.listenOptions.mode);
      if (reason !== null)
        throw new BackendError('NOT_PERMITTED', `refusing to listen on ${formatSocketAddress(address)} without a token: ${reason} (start the hub with --token-file or $RELAYSCOPE_TOKEN to allow it)`);
    }
    const opened: HubListener[] = [];
    try {
      for (const address of wanted) if (!current.has(formatSocketAddress(address))) opened.push(await listen(this.hub, address, this.listenOptions));
    } catch (err) {
      await Promise.all(opened.map((listener) => listener.close()));
      throw new BackendError('LISTEN_FAILED', (err as Error).message);
    }
    const dropped = this.listeners.filter((listener) => !wantedNames.has(listener.description));
    this.listeners = [...this.listeners.filter((listener) => wantedNames.has(listener.description)), ...opened];
    await Promise.all(dropped.map((listener) => listener.close()));
    return this.describe().listeners;
  }

  describe(): HubBackendDescription {
    return { listeners: this.listeners.map((listener) => listener.description), attachedTo: null };
  }

  async snapshot(): Promise<HubSnapshot> {
    return this.hub.snapshot();
  }

  onEvents(callback: (batch: HubEvent[]) => void): () => void {
    return this.hub.onEvents(callback);
  }

  async inject(options: InjectOptions): Promise<void> {
    hubCommand(() => this.hub.inject(options));
  }

  async request(options: { destination: string; payload: Buffer; timeoutMs: number }): Promise<InProcessReply> {
    try {
      return await this.hub.request(options);
    } catch (err) {
      throw backendError(err);
    }
  }

  async kick(id: string, reason?: string): Promise<void> {
    hubCommand(() => this.hub.kick(id, reason));
  }

  async payload(seq: number): Promise<Buffer | undefined> {
    return this.hub.payload(seq);
  }

  searchablePayloads(): SearchablePayloads {
    return this.hub.events.searchable;
  }

  /** In the hub's own process (RelayHub.startRecording): no copy crosses a socket, and only a full buffer can miss one. */
  async startRecording(file: string): Promise<BackendRecording> {
    try {
      const recording = await this.hub.startRecording(file, { sockets: this.describe().listeners });
      return { status: () => recording.status(), stop: () => recording.stop(), missedPossible: false };
    } catch (err) {
      throw new BackendError('RECORDING_FAILED', (err as Error).message);
    }
  }

  /** Says BYE to every connection and lets it drain, then stops listening and removes the socket files. */
  async close(): Promise<void> {
    // The servers' sockets go back first, so their new clients reach them rather than a closing hub.
    await Promise.all(this.inPlaceTaps.map((held) => held.close()));
    await this.hub.close();
    await Promise.all([...this.listeners, ...this.plainListeners].map((listener) => listener.close()));
  }
}

function hubCommand(command: () => void): void {
  try {
    command();
  } catch (err) {
    throw backendError(err);
  }
}

function backendError(err: unknown): unknown {
  if (err instanceof HubCommandError) return new BackendError(errorName(err.code), err.message);
  if (err instanceof HubTimeoutError) return new BackendError('TIMEOUT', err.message);
  return err;
}
