import { encodeEvent } from '../protocol/frameCodec';
import { TAP_OFFSET_BYTES, trafficHeaderLength, trafficRunHeaderLength, writeMessagePrefix, writeTappedTrafficHeader, writeTrafficHeader, writeTrafficRunHeader } from '../protocol/frameWriters';
import { HubEventCode, LENGTH_PREFIX_BYTES, MAX_RUN_BYTES, MESSAGE_KIND_NAMES, TrafficFlag } from '../protocol/protocol';
import { tapChunkOf } from '../protocol/tapChunk';
import type { HubClock } from './HubClock';
import { ZERO_COPY_THRESHOLD, type HubConnection } from './HubConnection';
import type { HubEventStream } from './HubEventStream';
import { PREVIEW_BYTES, type MessageEvent } from './hubEvents';
import type { HubOutput } from './HubOutput';

/**
 * Where an in-process recording takes its copies (electron/capture/RecordingBuffer.ts): runs of
 * relayed frames as they were read, injected messages one by one, and events. It must cost the
 * relay no more than a memcpy per run.
 */
export interface TapRecorder {
  run(source: Buffer, time: { hi: number; lo: number }, count: number, buf: Buffer, start: number, end: number): void;
  message(time: { hi: number; lo: number }, kind: number, injected: boolean, buf: Buffer, corrAt: number, source: Buffer, destination: Buffer | null, payloadStart: number, payloadEnd: number): void;
  event(micros: number, event: number, code: number, id: string, detail: string): void;
  /** A chunk a tap passed on: TrafficFlag bits (TAPPED set), its stream offset and its bytes. */
  tapped(time: { hi: number; lo: number }, flags: number, source: Buffer, destination: Buffer, offset: number, payload: Buffer): void;
}

/** The MESSAGE frame header before its body: length prefix and type byte. */
const FRAME_PREFIX_BYTES = LENGTH_PREFIX_BYTES + 1;

/**
 * Copies of relayed traffic for monitors and the in-process event stream. Monitors that asked for
 * TRAFFIC_RUN get runs of the source's MESSAGE frames forwarded verbatim; the others get one TRAFFIC
 * frame per message. A monitor that falls behind misses copies, counted and reported to it, and is
 * never buffered for beyond the queue limit: watching must not cost the modules anything.
 */
export class MonitorTap {
  /** Every monitor; and split by the form of copy it takes. */
  monitors: HubConnection[] = [];
  private frameMonitors: HubConnection[] = [];
  private runMonitors: HubConnection[] = [];
  /**
   * The run of relayed MESSAGE frames, contiguous in one buffer from one source, not yet copied to
   * the run monitors: [runStart, runEnd) of runBuffer.
   */
  private runSource: HubConnection | null = null;
  private runBuffer: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  private runCount = 0;
  private recorder: TapRecorder | null = null;
  /** Whether a relayed message needs extendRun(): checked by the router before the call. */
  wantsRuns = false;

  constructor(
    private readonly queueLimit: number,
    private readonly output: HubOutput,
    private readonly clock: HubClock,
    private readonly events: HubEventStream,
  ) {}

  add(monitor: HubConnection): void {
    this.setMonitors([...this.monitors, monitor]);
  }

  remove(monitor: HubConnection): void {
    this.setMonitors(this.monitors.filter((m) => m !== monitor));
  }

  private setMonitors(monitors: HubConnection[]): void {
    this.monitors = monitors;
    this.frameMonitors = monitors.filter((m) => !m.wantsRuns);
    this.runMonitors = monitors.filter((m) => m.wantsRuns);
    this.wantsRuns = this.runMonitors.length > 0 || this.recorder !== null;
  }

  /** Starts (or, with null, stops) handing copies to an in-process recording; what is pending goes first. */
  setRecorder(recorder: TapRecorder | null): void {
    this.flushRun();
    this.recorder = recorder;
    this.setMonitors(this.monitors);
  }

  /**
   * Copies one message to the monitors that take per-message TRAFFIC (all monitors when it was
   * injected: injected messages never come as runs) and, when subscribed, to the event stream.
   * The correlation ID is the four bytes at buf[corrAt], the payload buf[payloadStart, payloadEnd).
   */
  copy(sourceId: Buffer, destinationId: Buffer | null, kind: number, buf: Buffer, corrAt: number, payloadStart: number, payloadEnd: number, sourceName: string, injected: boolean): void {
    if (injected) {
      this.flushRun();
      // Relayed messages reach the recorder in runs (extendRun); injected ones never come as runs.
      if (this.recorder !== null) this.recorder.message(this.clock.chunkHalves, kind, true, buf, corrAt, sourceId, destinationId, payloadStart, payloadEnd);
    }
    const monitors = injected ? this.monitors : this.frameMonitors;
    if (monitors.length > 0) {
      const payloadLength = payloadEnd - payloadStart;
      const headerLength = trafficHeaderLength(sourceId.length, destinationId === null ? 0 : destinationId.length);
      const zeroCopy = payloadLength >= ZERO_COPY_THRESHOLD;
      const flags = injected ? TrafficFlag.INJECTED : 0;
      for (let m = 0; m < monitors.length; m++) {
        const monitor = monitors[m];
        if (monitor.role === 'closed') continue;
        if (monitor.queuedBytes > this.queueLimit) {
          monitor.monitorDropped++;
          monitor.stats.drops++;
          continue;
        }
        const [slab, o] = monitor.reserve(zeroCopy ? headerLength : headerLength + payloadLength);
        const p = writeTrafficHeader(slab, o, this.clock.chunkHalves, kind, flags, buf, corrAt, sourceId, destinationId, payloadLength);
        if (zeroCopy) monitor.writeBuffer(buf.subarray(payloadStart, payloadEnd));
        else if (payloadLength > 0) buf.copy(slab, p, payloadStart, payloadEnd);
        monitor.stats.messagesOut++;
        monitor.stats.bytesOut += payloadLength;
        this.output.markDirty(monitor);
      }
    }
    if (this.events.active) this.record(sourceName, destinationId, kind, buf, corrAt, payloadStart, payloadEnd, injected);
  }

  /**
   * Copies a chunk a tap passed on (electron/hub/tap/) to every monitor as a TRAFFIC frame flagged
   * TAPPED with its stream offset, to the recorder and to the event stream. Taps pass bytes on before
   * they call this, so a monitor that falls behind only misses copies (counted as for any traffic).
   */
  copyTapped(sourceId: Buffer, destinationId: Buffer, flags: number, offset: number, payload: Buffer, sourceName: string): void {
    this.flushRun();
    if (this.recorder !== null) this.recorder.tapped(this.clock.chunkHalves, flags, sourceId, destinationId, offset, payload);
    const payloadLength = payload.length;
    const headerLength = trafficHeaderLength(sourceId.length, destinationId.length) + TAP_OFFSET_BYTES;
    const zeroCopy = payloadLength >= ZERO_COPY_THRESHOLD;
    for (const monitor of this.monitors) {
      if (monitor.role === 'closed') continue;
      if (monitor.queuedBytes > this.queueLimit) {
        monitor.monitorDropped++;
        monitor.stats.drops++;
        continue;
      }
      const [slab, o] = monitor.reserve(zeroCopy ? headerLength : headerLength + payloadLength);
      const p = writeTappedTrafficHeader(slab, o, this.clock.chunkHalves, flags, sourceId, destinationId, offset, payloadLength);
      if (zeroCopy) monitor.writeBuffer(payload);
      else payload.copy(slab, p);
      monitor.stats.messagesOut++;
      monitor.stats.bytesOut += payloadLength;
      this.output.markDirty(monitor);
    }
    if (!this.events.active) return;
    const seq = this.events.nextMessageSeq();
    if (seq === null) return;
    this.events.storePayload(seq, Buffer.from(payload));
    this.events.emit({
      type: 'message',
      seq,
      time: this.clock.chunkMicros,
      kind: 'unicast',
      source: sourceName,
      destination: destinationId.toString('utf8'),
      correlationId: 0,
      size: payloadLength,
      preview: Uint8Array.prototype.slice.call(payload, 0, PREVIEW_BYTES),
      injected: false,
      tap: tapChunkOf(flags, offset),
    });
  }

  /**
   * Adds a relayed MESSAGE (body buf[start, end)) to the pending run for TRAFFIC_RUN monitors. A frame
   * that directly follows the run in the same buffer just extends it; anything else starts a new run.
   */
  extendRun(source: HubConnection, buf: Buffer, start: number, end: number): void {
    const frameStart = start - FRAME_PREFIX_BYTES;
    if (frameStart >= 0 && this.runBuffer === buf && this.runSource === source && this.runEnd === frameStart && end - this.runStart <= MAX_RUN_BYTES) {
      this.runEnd = end;
      this.runCount++;
      return;
    }
    this.flushRun();
    if (frameStart < 0) {
      // The frame was reassembled across chunks, so its length prefix is not in `buf`: rebuild it.
      const frame = Buffer.allocUnsafe(end - start + FRAME_PREFIX_BYTES);
      writeMessagePrefix(frame, 0, end - start);
      buf.copy(frame, FRAME_PREFIX_BYTES, start, end);
      buf = frame;
      start = FRAME_PREFIX_BYTES;
      end = frame.length;
    }
    this.runSource = source;
    this.runBuffer = buf;
    this.runStart = start - FRAME_PREFIX_BYTES;
    this.runEnd = end;
    this.runCount = 1;
  }

  /** Copies the pending run to every TRAFFIC_RUN monitor; called before anything else reaches monitors, keeping order. */
  flushRun(): void {
    const count = this.runCount;
    if (count === 0) return;
    const source = (this.runSource as HubConnection).idBytes;
    const buf = this.runBuffer as Buffer;
    const runStart = this.runStart;
    const runEnd = this.runEnd;
    this.runCount = 0;
    this.runSource = null;
    this.runBuffer = null;
    const runBytes = runEnd - runStart;
    if (this.recorder !== null) this.recorder.run(source, this.clock.chunkHalves, count, buf, runStart, runEnd);
    const headerLength = trafficRunHeaderLength(source.length);
    const zeroCopy = runBytes >= ZERO_COPY_THRESHOLD;
    for (const monitor of this.runMonitors) {
      if (monitor.role === 'closed') continue;
      if (monitor.queuedBytes > this.queueLimit) {
        monitor.monitorDropped += count;
        monitor.stats.drops += count;
        continue;
      }
      const [slab, o] = monitor.reserve(zeroCopy ? headerLength : headerLength + runBytes);
      const p = writeTrafficRunHeader(slab, o, this.clock.chunkHalves, source, count, runBytes);
      if (zeroCopy) monitor.writeBuffer(buf.subarray(runStart, runEnd));
      else buf.copy(slab, p, runStart, runEnd);
      monitor.stats.messagesOut += count;
      monitor.stats.bytesOut += runBytes;
      this.output.markDirty(monitor);
    }
  }

  /**
   * Sends an EVENT to every monitor but `except` (a monitor being closed with a fatal ERROR gets
   * nothing after that ERROR: PROTOCOL.md 4.3). A monitor that does not keep up misses events the
   * same way it misses traffic: counted, never buffered without bound.
   */
  event(event: number, code: number, id: string, detail: string, except: HubConnection | null = null): void {
    if (this.monitors.length === 0 && this.recorder === null) return;
    this.flushRun();
    const timestampMicros = this.clock.nowMicros();
    if (this.recorder !== null) this.recorder.event(timestampMicros, event, code, id, detail);
    if (this.monitors.length === 0) return;
    const frame = encodeEvent({ timestampMicros, event, code, id, detail });
    for (const monitor of this.monitors) {
      if (monitor === except || monitor.role === 'closed') continue;
      if (monitor.queuedBytes > this.queueLimit) monitor.monitorDropped++;
      else this.output.sendControl(monitor, frame);
    }
  }

  /**
   * Tells a monitor how many copies it missed, once its queue has room again. The count is the
   * EVENT's detail, in decimal digits only, so readers take it as a number (PROTOCOL.md 5.4).
   */
  reportDrops(monitor: HubConnection): void {
    if (monitor.monitorDropped === 0 || monitor.queuedBytes >= this.queueLimit / 2) return;
    const dropped = monitor.monitorDropped;
    monitor.monitorDropped = 0;
    this.output.sendControl(monitor, encodeEvent({ timestampMicros: this.clock.nowMicros(), event: HubEventCode.MONITOR_DROPPED, code: 0, id: monitor.id, detail: String(dropped) }));
  }

  private record(source: string, destinationId: Buffer | null, kind: number, buf: Buffer, corrAt: number, payloadStart: number, payloadEnd: number, injected: boolean): void {
    const seq = this.events.nextMessageSeq();
    if (seq === null) return;
    const event: MessageEvent = {
      type: 'message',
      seq,
      time: this.clock.chunkMicros,
      kind: MESSAGE_KIND_NAMES[kind],
      source,
      destination: destinationId === null ? null : destinationId.toString('utf8'),
      correlationId: buf.readUInt32BE(corrAt),
      size: payloadEnd - payloadStart,
      preview: Uint8Array.prototype.slice.call(buf, payloadStart, Math.min(payloadEnd, payloadStart + PREVIEW_BYTES)),
      injected,
    };
    // A copy, not a subarray: a subarray would pin the whole 64 KiB read chunk it came from.
    this.events.storePayload(seq, Buffer.from(buf.subarray(payloadStart, payloadEnd)));
    this.events.emit(event);
  }
}
