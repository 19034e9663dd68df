import { describe, expect, it } from 'vitest';
import { contractApi, INVOKE_CHANNELS, isInvokeChannel, type ContractCarrier, type PushChannel } from '../../electron/bridge/contract';

/** A carrier that records what the derived API asks of it, and lets the test push. */
function recordingCarrier() {
  const invoked: { channel: string; args: unknown }[] = [];
  const listeners = new Map<PushChannel, (data: unknown) => void>();
  const carrier: ContractCarrier = {
    invoke: async (channel, args) => {
      invoked.push({ channel, args });
      return { ok: true, value: null as never };
    },
    on: (channel, callback) => {
      listeners.set(channel, callback as (data: unknown) => void);
      return () => listeners.delete(channel);
    },
  };
  return { carrier, invoked, push: (channel: PushChannel, data: unknown) => listeners.get(channel)?.(data), listeners };
}

describe('the UI API derived from the channel tables', () => {
  it('has one method per invoke channel and one listener per push channel, named after them', () => {
    const api = contractApi(recordingCarrier().carrier);
    expect(Object.keys(api).sort()).toEqual([
      'export',
      'inject',
      'kick',
      'listen',
      'onEvents',
      'onLink',
      'onSearch',
      'onSnapshot',
      'payload',
      'recordStart',
      'recordStatus',
      'recordStop',
      'replay',
      'replayStatus',
      'request',
      'search',
      'searchCancel',
      'seek',
      'snapshot',
    ]);
  });

  it('calls the carrier with the channel name and the arguments, null for a channel that takes none', async () => {
    const { carrier, invoked } = recordingCarrier();
    const api = contractApi(carrier);
    await api.kick({ id: 'sensor' });
    await api.snapshot();
    expect(invoked).toEqual([
      { channel: 'hub:kick', args: { id: 'sensor' } },
      { channel: 'hub:snapshot', args: null },
    ]);
  });

  it('hands on pushes that pass their channel shape check and drops the rest, and unsubscribes', () => {
    const { carrier, push, listeners } = recordingCarrier();
    const batches: unknown[] = [];
    const stop = contractApi(carrier).onEvents((batch) => batches.push(batch));
    push('hub:events', [{ type: 'lost', time: 1, count: 3 }]);
    push('hub:events', 'not a batch');
    expect(batches).toEqual([[{ type: 'lost', time: 1, count: 3 }]]);
    stop();
    expect(listeners.has('hub:events')).toBe(false);
  });

  it('knows its own channels and nothing inherited', () => {
    expect(isInvokeChannel('hub:listen')).toBe(true);
    expect(isInvokeChannel('hub:events')).toBe(false);
    expect(isInvokeChannel('toString')).toBe(false);
  });
});

describe('the argument checks in the channel table', () => {
  it('returns checked arguments typed, and names what is wrong otherwise', () => {
    expect(INVOKE_CHANNELS['hub:inject'].validate({ destination: null, kind: 'broadcast', payloadBase64: 'aGk=' })).toEqual({ destination: null, kind: 'broadcast', payloadBase64: 'aGk=' });
    expect(() => INVOKE_CHANNELS['hub:inject'].validate({ destination: 'B', kind: 'broadcast', payloadBase64: '' })).toThrow('a broadcast has no destination');
    expect(() => INVOKE_CHANNELS['hub:request'].validate({ destination: 'B', payloadBase64: '', timeoutMs: 0 })).toThrow('timeoutMs');
    expect(() => INVOKE_CHANNELS['hub:listen'].validate({ addresses: [] })).toThrow('addresses');
  });
});
