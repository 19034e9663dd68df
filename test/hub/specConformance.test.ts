/**
 * Where an independent client written only from docs/PROTOCOL.md found the hub and the document
 * apart, the hub now does what the document says; each case here pins one of those decisions.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  encodeHello,
  encodeInject,
  encodeKick,
  encodeList,
  encodeMessage,
  encodePing,
  ErrorCode,
  FrameType,
  HelloFlag,
  HubEventCode,
  MessageKind,
  monitorDroppedCount,
  parseCorrelationOnly,
  parseError,
  parseEvent,
  parseTrafficRun,
  parseWelcome,
} from '../../electron/hub';
import { hubSetupFromFlags } from '../../electron/serve/hubSetup';
import { FlagValues, parseCommandArgs } from '../../electron/cli/args';
import { COMMAND_SPECS } from '../../electron/cli/commandSpecs';
import { Cleanup } from '../support/cleanup';
import { startHub } from '../support/hubFixture';
import { parseBody } from '../support/rawClient';

let cleanup: Cleanup;
beforeEach(() => {
  cleanup = new Cleanup();
});
afterEach(async () => {
  await cleanup.run();
});

describe('keepalive (7.3)', () => {
  it('closes a silent peer after idleTimeoutMs: the hub sending its own PING does not restart the count', async () => {
    const idleTimeoutMs = 1000;
    const h = await startHub(cleanup, { idleTimeoutMs });
    const silent = await h.register('silent');
    const lastSentAt = performance.now();
    await silent.waitForError(ErrorCode.IDLE_TIMEOUT, 5000);
    const silentFor = performance.now() - lastSentAt;
    expect(silent.count(FrameType.PING)).toBe(1);
    // The hub checks every idle/4 = 250 ms, so the close comes between 1000 and ~1250 ms (plus
    // scheduling); counting from the PING (sent at 500–750 ms) would make it 1500 ms or more.
    expect(silentFor).toBeGreaterThanOrEqual(idleTimeoutMs);
    expect(silentFor).toBeLessThan(1450);
  });
});

describe('monitors', () => {
  it('a monitor closed with a fatal ERROR gets nothing after it (4.3), while other monitors get its EVENT', async () => {
    const h = await startHub(cleanup);
    const watcher = await h.register('', { flags: HelloFlag.MONITOR });
    const doomed = await h.register('', { flags: HelloFlag.MONITOR });
    const doomedId = parseBody(doomed.frames[0], parseWelcome).id;
    doomed.send(encodeKick(5, doomedId, 'enough'));
    await doomed.waitForClose();
    const last = doomed.frames[doomed.frames.length - 1];
    expect(last.type).toBe(FrameType.ERROR);
    expect(parseBody(last, parseError).code).toBe(ErrorCode.KICKED);
    const event = await watcher.waitForFrame((f) => f.type === FrameType.EVENT && parseBody(f, parseEvent).event === HubEventCode.ERROR, 'the EVENT about the kick');
    expect(parseBody(event, parseEvent)).toMatchObject({ id: doomedId, code: ErrorCode.KICKED });
  });

  it('assigns a fresh $monitor-N to each monitor: a number is never reused after its monitor leaves (5.3)', async () => {
    const h = await startHub(cleanup);
    const first = await h.register('', { flags: HelloFlag.MONITOR });
    expect(parseBody(first.frames[0], parseWelcome).id).toBe('$monitor-1');
    await first.close();
    await h.register('', { flags: HelloFlag.MONITOR }).then((second) => expect(parseBody(second.frames[0], parseWelcome).id).toBe('$monitor-2'));
  });

  it('refuses "$hub" and other reserved names as an INJECT source, but lets a monitor speak as itself (8.4)', async () => {
    const h = await startHub(cleanup);
    const monitor = await h.register('', { flags: HelloFlag.MONITOR });
    const ownId = parseBody(monitor.frames[0], parseWelcome).id;
    const b = await h.register('B');
    monitor.send(encodeInject({ kind: MessageKind.UNICAST, correlationId: 11, source: '$hub', destination: 'B', payload: Buffer.from('x') }));
    monitor.send(encodeInject({ kind: MessageKind.UNICAST, correlationId: 12, source: '$monitor-99', destination: 'B', payload: Buffer.from('x') }));
    monitor.send(encodeInject({ kind: MessageKind.UNICAST, correlationId: 13, source: ownId, destination: 'B', payload: Buffer.from('as myself') }));
    await monitor.waitForFrame((f) => f.type === FrameType.OK && parseBody(f, (buf, s, e) => parseCorrelationOnly(buf, s, e, 'OK')) === 13, 'OK for the INJECT as itself');
    const refused = monitor
      .errors()
      .filter((e) => e.code === ErrorCode.INVALID_ID)
      .map((e) => e.correlationId);
    expect(refused).toEqual([11, 12]);
    const delivered = await b.waitFor(() => b.messages().find((m) => m.payload.toString() === 'as myself'), 'the injected message at B');
    expect(delivered.peer).toBe(ownId);
    expect(b.messages()).toHaveLength(1);
  });

  it('reports missed copies in MONITOR_DROPPED as a decimal count a reader takes as a number (8.2)', async () => {
    const h = await startHub(cleanup, { queueLimit: 64 * 1024, idleTimeoutMs: 400 });
    const monitor = await h.register('', { flags: HelloFlag.MONITOR }, { autoPong: true });
    const a = await h.register('A', {}, { autoPong: true });
    const b = await h.register('B', {}, { autoPong: true });
    monitor.pause();
    const payload = Buffer.alloc(1024, 0x61);
    for (let i = 0; i < 2000; i++) a.send(encodeMessage(MessageKind.UNICAST, 'B', payload, i));
    await b.waitFor(() => b.count(FrameType.MESSAGE) === 2000, 'all 2000 messages at B', 10_000);
    monitor.socket.resume();
    const notice = await monitor.waitForFrame((f) => f.type === FrameType.EVENT && parseBody(f, parseEvent).event === HubEventCode.MONITOR_DROPPED, 'MONITOR_DROPPED', 10_000);
    const event = parseBody(notice, parseEvent);
    expect(event.detail).toMatch(/^[0-9]+$/);
    const dropped = monitorDroppedCount(event);
    const copies = monitor.count(FrameType.TRAFFIC);
    expect(dropped).toBeGreaterThan(0);
    // Every message is either copied or counted as missed.
    expect(copies + (dropped ?? 0)).toBe(2000);
  });
});

describe('TAKEOVER replay (5.5, 8.1)', () => {
  it('relays the messages held during the probe, sent in one write, to a TRAFFIC_RUN monitor as one run', async () => {
    const h = await startHub(cleanup, { takeoverProbeMs: 200 });
    const monitor = await h.register('', { flags: HelloFlag.MONITOR | HelloFlag.TRAFFIC_RUNS });
    const holder = await h.register('U');
    holder.pause();
    const x = await h.register('X');
    const newcomer = await h.connect();
    newcomer.send(
      encodeHello({ id: 'U', flags: HelloFlag.TAKEOVER }),
      encodeMessage(MessageKind.UNICAST, 'X', 'one'),
      encodeMessage(MessageKind.UNICAST, 'X', 'two'),
      encodeMessage(MessageKind.UNICAST, 'X', 'three'),
    );
    await x.waitFor(() => x.count(FrameType.MESSAGE) === 3, 'the three held messages at X');
    const runs = await monitor.waitFor(() => {
      const found = monitor.ofType(FrameType.TRAFFIC_RUN).map((f) => parseBody(f, parseTrafficRun));
      return found.length > 0 ? found : null;
    }, 'a TRAFFIC_RUN');
    expect(runs.map((run) => run.map((t) => t.payload.toString()))).toEqual([['one', 'two', 'three']]);
  });
});

describe('frame limits (3.2)', () => {
  it('checks frames pipelined behind an accepted HELLO against the module limit, even when it is below the pre-HELLO one', async () => {
    const h = await startHub(cleanup, { maxPayload: 100 });
    const client = await h.connect();
    // 1000 bytes fit the pre-HELLO limit (65796) but not maxPayload + 527 = 627.
    client.send(encodeHello({ id: 'P' }), encodeMessage(MessageKind.UNICAST, 'P', Buffer.alloc(1000)));
    const error = await client.waitForError(ErrorCode.FRAME_TOO_LARGE);
    expect(error.message).toMatch(/exceeds the limit of 627/);
    expect(client.ofType(FrameType.WELCOME)).toHaveLength(1);
  });
});

describe('PING (4.4)', () => {
  it('accepts a PING body longer than 8 bytes and echoes its first 8', async () => {
    const h = await startHub(cleanup);
    const client = await h.register('P');
    client.send(encodePing(FrameType.PING, Buffer.from('0123456789abcdef')));
    const pong = await client.waitForFrame((f) => f.type === FrameType.PONG, 'PONG');
    expect(pong.body.toString()).toBe('01234567');
    expect(client.closed).toBe(false);
  });
});

describe('shutdown (7.4)', () => {
  it('answers a connection still in its handshake with ERROR SHUTDOWN, and registered ones with BYE', async () => {
    const h = await startHub(cleanup);
    const registered = await h.register('R');
    const pending = await h.connect();
    await registered.waitFor(() => h.hub.snapshot().totals.connectionsAccepted === 2, 'the second connection accepted');
    await h.hub.close('maintenance', 500);
    await pending.waitForClose();
    await registered.waitForClose();
    expect(pending.frames.map((f) => f.type)).toEqual([FrameType.ERROR]);
    expect(parseBody(pending.frames[0], parseError)).toMatchObject({ code: ErrorCode.SHUTDOWN, correlationId: 0, message: 'maintenance' });
    expect(registered.frames[registered.frames.length - 1].type).toBe(FrameType.BYE);
  });
});

describe('output queue limits below the stream high-water mark (6.8)', () => {
  it('resumes reading a connection paused for its unread answers, though the stream never emits drain', async () => {
    // The answers to each small batch of LISTs are one write far below the stream's 16 KiB
    // high-water mark, so once the kernel buffer is full the write is queued without 'drain' ever
    // being owed. The hub must still resume reading once the client has read its answers.
    const h = await startHub(cleanup, { queueLimit: 1 });
    const client = await h.register('Q');
    client.pause();
    const batches = 200;
    const perBatch = 100;
    for (let batch = 0; batch < batches; batch++) {
      client.send(Buffer.concat(Array.from({ length: perBatch }, (_, i) => encodeList(batch * perBatch + i + 1))));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    client.socket.resume();
    await client.waitFor(() => client.count(FrameType.LIST_REPLY) === batches * perBatch, `all ${batches * perBatch} LIST_REPLYs`, 8000);
    expect(client.closed).toBe(false);
  });
});

describe('hub flags', () => {
  it('sets the handshake deadline and the takeover probe from --handshake-timeout and --takeover-probe', () => {
    const spec = COMMAND_SPECS.find((command) => command.name === 'hub');
    if (spec === undefined) throw new Error('no hub command');
    const flags = new FlagValues('hub', parseCommandArgs(spec, ['--handshake-timeout', '2500', '--takeover-probe', '300']));
    expect(hubSetupFromFlags(flags).hubOptions).toMatchObject({ handshakeTimeoutMs: 2500, takeoverProbeMs: 300 });
  });
});
