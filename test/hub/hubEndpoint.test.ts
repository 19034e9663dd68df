import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeMessage, ErrorCode, FrameType, HUB_ENDPOINT_ID, HubCommandError, MessageKind, parseMessage } from '../../electron/hub';
import { Cleanup } from '../support/cleanup';
import { startHub } from '../support/hubFixture';
import { parseBody, type RawClient } from '../support/rawClient';

let cleanup: Cleanup;
beforeEach(() => {
  cleanup = new Cleanup();
});
afterEach(async () => {
  await cleanup.run();
});

/** The REQUEST the hub's endpoint delivered to `client`, once it has arrived. */
async function requestAt(client: RawClient): Promise<{ correlationId: number }> {
  const frame = await client.waitForFrame((f) => f.type === FrameType.MESSAGE && f.body[0] === MessageKind.REQUEST, 'the request from $hub');
  return parseBody(frame, parseMessage);
}

describe('the in-process $hub endpoint', () => {
  it('rejects a request with PEER_GONE as soon as the module it went to leaves, not at its timeout', async () => {
    const h = await startHub(cleanup);
    const b = await h.register('B');
    const startedAt = performance.now();
    const reply = h.hub.request({ destination: 'B', payload: 'ping?', timeoutMs: 10_000 });
    await requestAt(b);
    await b.close();
    const error = await reply.then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(HubCommandError);
    expect((error as HubCommandError).code).toBe(ErrorCode.PEER_GONE);
    expect(performance.now() - startedAt).toBeLessThan(5_000);
  });

  it('reports a request that ran out of time as a timeout, not as PEER_GONE, while the module is still there', async () => {
    const h = await startHub(cleanup);
    const b = await h.register('B');
    const error = await h.hub.request({ destination: 'B', payload: 'ping?', timeoutMs: 200 }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(HubCommandError);
    expect((error as Error).name).toBe('HubTimeoutError');
    expect(b.closed).toBe(false);
  });

  it('takes the reply only from the module the request went to', async () => {
    const h = await startHub(cleanup);
    const b = await h.register('B');
    const c = await h.register('C');
    const reply = h.hub.request({ destination: 'B', payload: 'who?', timeoutMs: 5_000 });
    const request = await requestAt(b);
    // C answers in B's place with the right correlation ID: that must not settle the request.
    c.send(encodeMessage(MessageKind.REPLY, HUB_ENDPOINT_ID, 'from C', request.correlationId));
    b.send(encodeMessage(MessageKind.REPLY, HUB_ENDPOINT_ID, 'from B', request.correlationId));
    const answer = await reply;
    expect(answer.source).toBe('B');
    expect(answer.payload.toString()).toBe('from B');
  });
});
