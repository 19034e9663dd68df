import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CallResult, injectSourceProblem, type WireEvent, type WireReply, type WireSnapshot } from '../../electron/bridge/contract';
import { RelayClient, type ReceivedMessage } from '../../electron/client';
import { Cleanup } from '../support/cleanup';
import { waitUntil } from '../support/waitUntil';

/** One way of reaching the contract: BridgeService in process, or the browser mode's WebSocket. */
export interface ContractDriver {
  call(channel: string, args: unknown): Promise<CallResult<unknown>>;
  /** Every event pushed so far, in order. */
  readonly events: readonly WireEvent[];
  readonly snapshots: readonly WireSnapshot[];
}

/** A hub reachable at `socket` (for the modules) with the contract in front of it. */
export interface ContractUnderTest {
  driver: ContractDriver;
  socket: string;
}

const base64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');

function value<T>(result: CallResult<unknown>): T {
  if (!result.ok) throw new Error(`the call failed: ${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

/** The contract's behaviour, the same whichever transport carries it. */
export function describeContract(name: string, start: (cleanup: Cleanup) => Promise<ContractUnderTest>): void {
  describe(name, () => {
    let cleanup: Cleanup;
    let driver: ContractDriver;
    let socket: string;

    beforeEach(async () => {
      cleanup = new Cleanup();
      ({ driver, socket } = await start(cleanup));
    });

    afterEach(() => cleanup.run());

    async function module(id: string): Promise<RelayClient> {
      const client = await RelayClient.connect({ id, socket, reconnect: false });
      cleanup.add(() => client.close());
      return client;
    }

    function messageEvent(predicate: (event: WireEvent & { type: 'message' }) => boolean): Promise<WireEvent & { type: 'message' }> {
      return waitUntil(() => driver.events.find((event): event is WireEvent & { type: 'message' } => event.type === 'message' && predicate(event)), 'the message event');
    }

    it('shows connected modules in the snapshot, both when asked and in the pushed snapshots', async () => {
      await module('alpha');
      await module('beta');
      const snapshot = value<WireSnapshot>(await driver.call('hub:snapshot', null));
      expect(snapshot.modules.map((m) => m.id)).toEqual(['alpha', 'beta']);
      expect(snapshot.listeners.length).toBeGreaterThan(0);
      await waitUntil(() => driver.snapshots.some((pushed) => pushed.modules.length === 2), 'a pushed snapshot listing both modules', 5000);
    });

    it('pushes a message sent between two modules with its source, destination and a 64-byte preview, and serves the full payload by seq', async () => {
      const sender = await module('alpha');
      const receiver = await module('beta');
      const received = new Promise<ReceivedMessage>((resolve) => receiver.once('message', resolve));
      const payload = Buffer.from('x'.repeat(60) + 'tail-of-a-hundred-byte-payload'.padEnd(40, '.'));
      sender.send('beta', payload);
      await received;
      const event = await messageEvent((e) => e.source === 'alpha');
      expect(event).toMatchObject({ kind: 'unicast', source: 'alpha', destination: 'beta', size: 100, injected: false, preview: base64(payload.subarray(0, 64)) });
      const full = value<{ payloadBase64: string } | null>(await driver.call('hub:payload', { seq: event.seq }));
      expect(full).toEqual({ payloadBase64: base64(payload) });
    });

    it('delivers an injected message to the module, with the source the UI named', async () => {
      const receiver = await module('beta');
      const received = new Promise<ReceivedMessage>((resolve) => receiver.once('message', resolve));
      expect(await driver.call('hub:inject', { source: 'operator', destination: 'beta', kind: 'unicast', payloadBase64: base64('from the UI') })).toEqual({ ok: true, value: null });
      const message = await received;
      expect({ source: message.source, text: message.text() }).toEqual({ source: 'operator', text: 'from the UI' });
      await messageEvent((e) => e.injected && e.source === 'operator');
    });

    it("refuses to inject as a reserved ID with the hub's own rule, whichever backend", async () => {
      await module('beta');
      const result = await driver.call('hub:inject', { source: '$hub', destination: 'beta', kind: 'unicast', payloadBase64: base64('not the hub') });
      expect(result).toEqual({ ok: false, error: { code: 'INVALID_ARGUMENTS', message: injectSourceProblem('$hub') } });
    });

    it('answers a request with the reply of a module that serves requests', async () => {
      const echo = await module('echo');
      echo.on('request', (request) => echo.reply(request, Buffer.concat([Buffer.from('echo: '), request.payload])));
      const reply = value<WireReply>(await driver.call('hub:request', { destination: 'echo', payloadBase64: base64('ping'), timeoutMs: 3000 }));
      expect({ source: reply.source, payload: Buffer.from(reply.payloadBase64, 'base64').toString() }).toEqual({ source: 'echo', payload: 'echo: ping' });
    });

    it('reports a request nobody answers as a failure, not a hang', async () => {
      await module('silent');
      const result = await driver.call('hub:request', { destination: 'silent', payloadBase64: base64('ping'), timeoutMs: 200 });
      expect(result.ok).toBe(false);
    });

    it('disconnects a kicked module and removes it from the snapshot', async () => {
      const victim = await module('victim');
      const closed = new Promise<void>((resolve) => victim.once('close', () => resolve()));
      expect(await driver.call('hub:kick', { id: 'victim', reason: 'maintenance' })).toEqual({ ok: true, value: null });
      await closed;
      const snapshot = value<WireSnapshot>(await driver.call('hub:snapshot', null));
      expect(snapshot.modules.map((m) => m.id)).not.toContain('victim');
    });

    it('answers an unknown destination, invalid arguments and an unknown channel with { ok: false } and a code', async () => {
      const unknown = await driver.call('hub:inject', { destination: 'nobody', kind: 'unicast', payloadBase64: '' });
      expect(unknown).toMatchObject({ ok: false, error: { code: 'NO_SUCH_MODULE' } });
      expect(await driver.call('hub:inject', { destination: 'beta', kind: 'shout', payloadBase64: '' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENTS' } });
      expect(await driver.call('hub:payload', { seq: -1 })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENTS' } });
      expect(await driver.call('hub:kick', { id: 'nobody' })).toMatchObject({ ok: false, error: { code: 'NO_SUCH_MODULE' } });
      expect(await driver.call('hub:shutdown', null)).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    });
  });
}
