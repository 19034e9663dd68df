import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { recordHeaderLength } from '../../protocol/busRecords';
import { ErrorCode, PresenceEvent } from '../../protocol/protocol';
import type { ConnectionOrigin, HubConnection } from '../HubConnection';
import type { BusRoute } from '../HubCore';
import type { FederationStatus } from '../hubEvents';
import { peerIdentity } from '../peerIdentity';
import { answerUnconfirmed, type BatchTarget, handleBatch } from './busBatches';
import { defaultHubName, type FederationOptions } from './federationOptions';
import { claimWins } from './idClaims';
import { KeptNatsConnection } from './natsConnection';
import { type BusModule, encodePresenceMessage, type PresenceMessage, parsePresenceMessage } from './presenceMessages';
import { type Batch, RemoteHub } from './RemoteHub';

/** What a federated hub must offer besides HubCore (RelayHub). */
export interface FederatedHub extends BatchTarget {
  registerRemote(id: string, stream: Duplex, origin: ConnectionOrigin): HubConnection;
}

const DEFAULT_MAX_BATCH = 1024 * 1024;
/** Room left in a NATS message for the batch header (version, hub name). */
const BATCH_HEADER_ROOM = 2 + 64;

/**
 * The hub's membership of a bus (docs/FEDERATION.md): the NATS connection, presence (announce,
 * heartbeat, leave, the timeout of a silent hub), ID claims, and the router's route to the other
 * hubs (BusRoute) with the confirmation of every batch. Everything here runs on the hub's thread.
 */
export class Federation implements BusRoute {
  readonly hubName: string;
  readonly bus: string;
  private readonly epoch = randomBytes(8).toString('hex');
  private readonly presenceSubject: string;
  private readonly hubs = new Map<string, RemoteHub>();
  private readonly nats: KeptNatsConnection;
  private nc: NatsConnection | null = null;
  private subscribedOn: NatsConnection | null = null;
  private connected = false;
  private statusText = 'connecting';
  private readonly timer: NodeJS.Timeout;
  private readonly presenceTimeoutMs: number;
  private readonly confirmTimeoutMs: number;
  private closed = false;
  /** Batches and presence messages refused as unreadable or impossible, and lines logged for them. */
  private refusedCount = 0;

  constructor(
    private readonly hub: FederatedHub,
    private readonly options: FederationOptions,
  ) {
    this.bus = options.bus ?? 'default';
    this.hubName = options.hubName ?? defaultHubName();
    this.presenceSubject = `rs.${this.bus}.presence`;
    this.presenceTimeoutMs = options.presenceTimeoutMs ?? 5000;
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? 5000;
    this.nats = new KeptNatsConnection(
      { url: options.url, name: `relayscope ${this.bus}/${this.hubName}`, creds: options.creds, token: options.token, maxRetryMs: options.maxRetryMs ?? 10_000 },
      { up: (nc) => this.up(nc), down: (reason) => this.down(reason) },
    );
    this.timer = setInterval(() => this.beat(), options.heartbeatMs ?? 1000);
    this.timer.unref();
    this.nats.start();
  }

  get absentNote(): string {
    return this.connected ? '' : `; this hub is not federated now (${this.statusText}), so modules of other hubs cannot be reached`;
  }

  status(): FederationStatus {
    return {
      bus: this.bus,
      hub: this.hubName,
      url: this.options.url,
      connected: this.connected,
      status: this.statusText,
      hubs: [...this.hubs.values()].map((remote) => ({ name: remote.name, modules: remote.modules.size })),
    };
  }

  // ---------------------------------------------------------------- connection

  private up(nc: NatsConnection): void {
    if (this.closed) return;
    this.nc = nc;
    if (this.subscribedOn !== nc) {
      this.subscribedOn = nc;
      nc.subscribe(this.presenceSubject, {
        callback: (err, msg) => {
          if (err === null) this.guard(() => this.presence(msg));
        },
      });
      nc.subscribe(this.inboxOf(this.hubName), {
        callback: (err, msg) => {
          if (err === null) this.guard(() => this.batch(msg));
        },
      });
      nc.subscribe(`${this.noRespondersPrefix}.>`, {
        callback: (err, msg) => {
          if (err === null) this.guard(() => this.noResponders(msg));
        },
      });
    }
    const changed = !this.connected;
    this.connected = true;
    this.statusText = 'federated';
    if (changed) this.statusChanged();
    this.publishPresence({ op: 'hello', hub: this.hubName, epoch: this.epoch });
    this.announce();
  }

  private down(reason: string): void {
    if (this.closed || (!this.connected && this.statusText === reason)) return;
    const wasConnected = this.connected;
    this.connected = false;
    this.statusText = reason;
    this.statusChanged();
    if (wasConnected) for (const remote of [...this.hubs.values()]) this.dropHub(remote, `this hub lost its NATS connection: ${reason}`);
  }

  /** One line on the hub's log for each change of state (not for each retry: the reason rarely changes between them). */
  private statusChanged(): void {
    this.hub.log(this.connected ? `federated: hub ${this.hubName} on bus ${this.bus} via NATS at ${this.options.url}` : `not federated: ${this.statusText}; local modules are served, retrying`);
  }

  /** A callback of the NATS client must not throw into it: what fails is logged, the hub carries on. */
  private guard(handle: () => void): void {
    try {
      handle();
    } catch (err) {
      this.refused(`an error handling a bus message: ${(err as Error).stack ?? err}`);
    }
  }

  private refused(why: string): void {
    this.refusedCount++;
    // Bounded: a peer sending garbage fills no disk.
    if (this.refusedCount <= 100 || this.refusedCount % 1000 === 0) this.hub.log(`bus: refused ${why} (${this.refusedCount} refused so far)`);
  }

  private inboxOf(hubName: string): string {
    return `rs.${this.bus}.hub.${hubName}`;
  }

  /** Batches go with a reply subject under it (…<remote>.<link>) that nobody answers: NATS sends its "no responders" status there when no hub is subscribed to the batch's subject. */
  private get noRespondersPrefix(): string {
    return `rs.${this.bus}.noresponders.${this.hubName}`;
  }

  private get maxBatch(): number {
    return this.nc?.info?.max_payload ?? DEFAULT_MAX_BATCH;
  }

  // ---------------------------------------------------------------- presence

  private publishPresence(message: PresenceMessage): void {
    if (!this.connected || this.nc === null) return;
    try {
      this.nc.publish(this.presenceSubject, encodePresenceMessage(message));
    } catch (err) {
      this.hub.log(`bus: could not publish presence: ${(err as Error).message}`);
    }
  }

  private localModules(): HubConnection[] {
    return [...this.hub.modules.values()].filter((conn) => conn.origin.remote === undefined);
  }

  private describe(conn: HubConnection): BusModule {
    const { pid, uid, gid, exe, cmdline } = peerIdentity(conn.origin);
    const module: BusModule = { id: conn.id, claimedAt: conn.connectedAt, transport: conn.origin.transport, listener: conn.origin.listener };
    if (conn.origin.peer !== undefined) module.peer = conn.origin.peer;
    return Object.assign(module, JSON.parse(JSON.stringify({ pid, uid, gid, exe, cmdline })) as Partial<BusModule>);
  }

  private announce(): void {
    this.publishPresence({ op: 'announce', hub: this.hubName, epoch: this.epoch, modules: this.localModules().map((conn) => this.describe(conn)) });
  }

  /** RelayHub.announce: a module of this hub joined or left. */
  localPresence(conn: HubConnection, presence: number, code: number, _detail: string): void {
    if (presence === PresenceEvent.JOIN) this.publishPresence({ op: 'join', hub: this.hubName, epoch: this.epoch, module: this.describe(conn) });
    else this.publishPresence({ op: 'leave', hub: this.hubName, epoch: this.epoch, id: conn.id, reason: conn.leaveReason, code });
  }

  private beat(): void {
    if (!this.connected) return;
    this.publishPresence({ op: 'beat', hub: this.hubName, epoch: this.epoch, count: this.localModules().length });
    const now = performance.now();
    for (const remote of [...this.hubs.values()]) {
      const oldest = remote.oldestUnconfirmed();
      if (now - remote.lastSeen > this.presenceTimeoutMs) this.dropHub(remote, `hub ${remote.name} went silent for more than ${this.presenceTimeoutMs} ms`);
      else if (oldest !== undefined && now - oldest.sentAt > this.confirmTimeoutMs) this.dropHub(remote, `no confirmation within ${this.confirmTimeoutMs} ms`);
    }
  }

  private presence(msg: Msg): void {
    let message: PresenceMessage;
    try {
      message = parsePresenceMessage(msg.data);
    } catch (err) {
      this.refused(`a presence message: ${(err as Error).message}`);
      return;
    }
    if (message.hub === this.hubName) {
      if (message.epoch !== this.epoch) this.refused(`presence from another hub named ${this.hubName} on bus ${this.bus}: hub names must differ`);
      return;
    }
    if (message.op === 'bye') {
      const remote = this.hubs.get(message.hub);
      if (remote !== undefined) this.dropHub(remote, `hub ${remote.name} closed`);
      return;
    }
    const remote = this.remoteHub(message.hub, message.epoch);
    switch (message.op) {
      case 'hello':
        this.announce();
        return;
      case 'announce': {
        const listed = new Set(message.modules.map((module) => module.id));
        for (const [id, conn] of [...remote.modules]) if (!listed.has(id)) this.removeRemote(remote, conn, `hub ${remote.name} no longer lists it`, 0);
        for (const module of message.modules) this.addRemote(remote, module);
        remote.announcedCount = message.modules.length;
        return;
      }
      case 'join':
        this.addRemote(remote, message.module);
        remote.announcedCount++;
        return;
      case 'leave': {
        const conn = remote.modules.get(message.id);
        if (conn !== undefined) this.removeRemote(remote, conn, `${message.reason} (on hub ${remote.name})`, message.code);
        remote.announcedCount = Math.max(0, remote.announcedCount - 1);
        return;
      }
      case 'beat':
        // Missed a join or leave (e.g. while it was reconnecting): its full list is asked for again.
        if (message.count !== remote.announcedCount) this.publishPresence({ op: 'hello', hub: this.hubName, epoch: this.epoch });
        return;
    }
  }

  /** The hub named `name`, made known on first hearing; a new epoch means it restarted, and its former modules go. */
  private remoteHub(name: string, epoch: string): RemoteHub {
    let remote = this.hubs.get(name);
    if (remote !== undefined && epoch !== '' && remote.epoch !== epoch) {
      if (remote.epoch !== '') {
        this.dropHub(remote, `hub ${name} restarted`);
        remote = undefined;
      } else {
        remote.epoch = epoch;
      }
    }
    if (remote === undefined) {
      remote = new RemoteHub(
        name,
        epoch,
        this.hubName,
        0,
        () => this.maxBatch,
        (hub, batch) => this.send(hub, batch),
      );
      this.hubs.set(name, remote);
    }
    remote.lastSeen = performance.now();
    return remote;
  }

  /** A module of `remote` is registered here, unless an earlier claim on its ID holds (docs/FEDERATION.md). */
  private addRemote(remote: RemoteHub, module: BusModule): HubConnection | null {
    const holder = this.hub.modules.get(module.id);
    if (holder !== undefined) {
      const held = holder.origin.remote;
      if (held?.hub === remote.name) return holder;
      const heldClaim = { hub: held?.hub ?? this.hubName, claimedAt: held?.claimedAt ?? holder.connectedAt };
      if (!claimWins({ hub: remote.name, claimedAt: module.claimedAt }, heldClaim)) return null;
      const reason = `module ID "${module.id}" was claimed first on hub ${remote.name} of the bus`;
      if (held === undefined) this.hub.fail(holder, ErrorCode.ID_IN_USE, reason, module.id);
      else this.removeRemote(this.hubs.get(held.hub) as RemoteHub, holder, reason, ErrorCode.ID_IN_USE);
    }
    const idBytes = Buffer.from(module.id, 'utf8');
    const stream = new Duplex({
      read() {},
      write: (chunk: Buffer, _encoding, done) => {
        remote.appendDelivered(idBytes, chunk);
        this.hub.output.markDirty(remote.out);
        done();
      },
    });
    const origin: ConnectionOrigin = { transport: module.transport, listener: module.listener, requireToken: false, remote: { hub: remote.name, claimedAt: module.claimedAt } };
    if (module.peer !== undefined) origin.peer = module.peer;
    if (module.pid !== undefined && module.uid !== undefined && module.gid !== undefined) origin.credentials = { pid: module.pid, uid: module.uid, gid: module.gid };
    if (module.exe !== undefined || module.cmdline !== undefined) origin.process = { exe: module.exe, cmdline: module.cmdline };
    const conn = this.hub.registerRemote(module.id, stream, origin);
    remote.modules.set(module.id, conn);
    this.hub.output.flushDirty();
    return conn;
  }

  private removeRemote(remote: RemoteHub, conn: HubConnection, reason: string, code: number): void {
    if (remote.modules.get(conn.id) === conn) remote.modules.delete(conn.id);
    conn.leaveReason = reason;
    conn.leaveCode = code;
    this.hub.closeConnection(conn);
  }

  /** The hub is gone or out of reach: what it did not confirm is answered, and its modules leave. */
  private dropHub(remote: RemoteHub, reason: string): void {
    if (this.hubs.get(remote.name) === remote) this.hubs.delete(remote.name);
    for (const batch of remote.takeUnconfirmed()) answerUnconfirmed(this.hub, remote, batch, reason);
    for (const conn of [...remote.modules.values()]) this.removeRemote(remote, conn, reason, ErrorCode.PEER_GONE);
    this.hub.output.flushDirty();
  }

  // ---------------------------------------------------------------- batches

  /**
   * Publishes a batch. One with records goes with a reply subject only NATS answers, when no hub is
   * subscribed to its subject; the confirmation comes back in the other hub's batches (batch()).
   * When it cannot go, everything not confirmed is answered and the hub is taken as gone.
   */
  private send(remote: RemoteHub, batch: Batch): void {
    const nc = this.nc;
    if (batch.serial === 0) {
      if (nc !== null && this.connected) this.guard(() => nc.publish(this.inboxOf(remote.name), batch.data));
      return;
    }
    if (nc === null || !this.connected) {
      this.dropHub(remote, `this hub is not connected to NATS (${this.statusText})`);
      return;
    }
    try {
      nc.publish(this.inboxOf(remote.name), batch.data, { reply: `${this.noRespondersPrefix}.${remote.name}.${remote.link}` });
    } catch (err) {
      this.dropHub(remote, (err as Error).message);
    }
  }

  /** NATS found no hub subscribed to a batch's subject: that hub stopped, was killed or lost its connection. */
  private noResponders(msg: Msg): void {
    if (msg.headers?.code !== 503) return;
    const [name, link] = msg.subject.slice(this.noRespondersPrefix.length + 1).split('.');
    const remote = this.hubs.get(name);
    if (remote === undefined || String(remote.link) !== link) return;
    this.dropHub(remote, `no hub ${remote.name} is on the bus any more (NATS has no responders: it stopped or lost its connection)`);
  }

  private batch(msg: Msg): void {
    // Copied: payloads from it may be queued on a socket by reference (Router.deliver, large payloads).
    const data = Buffer.from(msg.data);
    const header = handleBatch(
      this.hub,
      data,
      (hubName, id) => this.sourceFor(hubName, id),
      (why) => this.refused(why),
    );
    if (header === null) return;
    // A batch of records makes its hub known (as its first message does, sourceFor); one that only confirms does not.
    const remote = header.serial === 0 ? this.hubs.get(header.hub) : this.remoteHub(header.hub, '');
    if (remote === undefined) return;
    remote.lastSeen = performance.now();
    if (header.confirmsLink !== 0) remote.confirm(header.confirmsLink, header.confirmsSerial);
    if (header.serial !== 0) remote.taken(header.link, header.serial, data.length);
  }

  /** The remote module a batch's message comes from; one whose join has not arrived yet is registered now. */
  private sourceFor(hubName: string, id: string): HubConnection | null {
    const conn = this.hub.modules.get(id);
    if (conn !== undefined) return conn.origin.remote?.hub === hubName ? conn : null;
    return this.addRemote(this.remoteHub(hubName, ''), { id, claimedAt: Date.now(), transport: 'stream', listener: `hub ${hubName}` });
  }

  // ---------------------------------------------------------------- BusRoute

  forward(source: HubConnection, target: HubConnection, buf: Buffer, start: number, end: number): boolean {
    const remote = this.hubs.get((target.origin.remote as { hub: string }).hub);
    const correlationId = buf.readUInt32BE(start + 2);
    if (remote === undefined || !this.connected) {
      this.hub.sendError(source, ErrorCode.NO_SUCH_MODULE, correlationId, target.id, `"${target.id}" is on a hub this one cannot reach${this.absentNote}`);
      return false;
    }
    if (!this.fits(source, target.id, correlationId, end - start) || !this.hasRoom(source, remote, target.stats, target.id, correlationId)) return false;
    remote.appendRelay(source.idBytes, buf, start, end);
    this.hub.output.markDirty(remote.out);
    return true;
  }

  broadcast(source: HubConnection, buf: Buffer, start: number, end: number): void {
    if (!this.connected) return;
    const correlationId = buf.readUInt32BE(start + 2);
    if (!this.fits(source, '', correlationId, end - start)) return;
    for (const remote of this.hubs.values()) {
      if (remote.modules.size === 0 || !this.hasRoom(source, remote, null, '', correlationId)) continue;
      remote.appendRelay(source.idBytes, buf, start, end);
      this.hub.output.markDirty(remote.out);
    }
  }

  /** A message must fit in one NATS message with its record and batch headers. */
  private fits(source: HubConnection, ref: string, correlationId: number, bodyLength: number): boolean {
    const size = bodyLength + 5 + recordHeaderLength(source.idBytes.length) + BATCH_HEADER_ROOM;
    if (size <= this.maxBatch) return true;
    this.hub.sendError(
      source,
      ErrorCode.NOT_PERMITTED,
      correlationId,
      ref,
      `a message of ${bodyLength} bytes does not fit in one NATS message (the server's max_payload is ${this.maxBatch} bytes); it was not sent`,
    );
    return false;
  }

  /** The link's queue (sent, not yet confirmed) is bounded by the queue limit like a socket's. */
  private hasRoom(source: HubConnection, remote: RemoteHub, stats: HubConnection['stats'] | null, ref: string, correlationId: number): boolean {
    const limit = this.hub.limits.queueLimit;
    if (remote.queuedBytes <= limit) return true;
    if (stats !== null) stats.drops++;
    this.hub.statistics.totals.drops++;
    this.hub.sendError(
      source,
      ErrorCode.DESTINATION_OVERLOADED,
      correlationId,
      ref,
      `more than ${limit} bytes sent to hub ${remote.name} are not yet confirmed; the message${ref === '' ? ` did not reach the modules of hub ${remote.name}` : ' was not delivered'}`,
    );
    return false;
  }

  /** Says goodbye on the bus (the other hubs drop this one's modules at once) and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.publishPresence({ op: 'bye', hub: this.hubName, epoch: this.epoch });
    this.closed = true;
    clearInterval(this.timer);
    this.connected = false;
    this.statusText = 'closed';
    await this.nats.close();
    for (const remote of [...this.hubs.values()]) this.dropHub(remote, 'the hub is shutting down');
  }
}
