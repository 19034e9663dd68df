import { afterEach, describe, expect, it, vi } from 'vitest';
import { PendingOperations } from '../../electron/protocol/PendingOperations';

afterEach(() => {
  vi.useRealTimers();
});

describe('PendingOperations', () => {
  it('allocates distinct IDs from the start of its range, wrapping past the end and skipping waiting ones', () => {
    const ops = new PendingOperations<string, number>({ first: 10, last: 12 });
    const never = { timeoutMs: 60_000, onTimeout: () => new Error('timeout'), ref: false };
    const a = ops.start('a', never);
    const b = ops.start('b', never);
    expect([a.id, b.id]).toEqual([10, 11]);
    expect(ops.resolve(a.id, 1)).toBe(true);
    const c = ops.start('c', never);
    const d = ops.start('d', never);
    // 12 is next, then the range wraps to 10 (free again) and skips 11 (still waiting).
    expect([c.id, d.id]).toEqual([12, 10]);
    expect(() => ops.start('e', never)).toThrow(/all 3 correlation IDs/);
    ops.rejectAll(new Error('closed'));
    return Promise.all([expect(b.promise).rejects.toThrow('closed'), expect(c.promise).rejects.toThrow('closed'), expect(d.promise).rejects.toThrow('closed')]);
  });

  it('settles only through an accept check that agrees, once', async () => {
    const ops = new PendingOperations<{ peer: string }, string>();
    const { id, promise } = ops.start({ peer: 'B' }, { timeoutMs: 60_000, onTimeout: () => new Error('timeout'), ref: false });
    expect(ops.resolve(id, 'from C', (meta) => meta.peer === 'C')).toBe(false);
    expect(ops.has(id)).toBe(true);
    expect(ops.resolve(id, 'from B', (meta) => meta.peer === 'B')).toBe(true);
    expect(ops.resolve(id, 'again')).toBe(false);
    await expect(promise).resolves.toBe('from B');
    expect(ops.size).toBe(0);
  });

  it('rejects with the timeout error after timeoutMs and forgets the operation', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const ops = new PendingOperations<string, string>();
    const { id, promise } = ops.start('x', { timeoutMs: 500, onTimeout: () => new Error('no answer in 500 ms') });
    const settled = expect(promise).rejects.toThrow('no answer in 500 ms');
    await vi.advanceTimersByTimeAsync(499);
    expect(ops.has(id)).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    await settled;
    expect(ops.has(id)).toBe(false);
  });

  it('rejects exactly the operations whose meta matches', async () => {
    const ops = new PendingOperations<{ peer: string }, string>();
    const never = { timeoutMs: 60_000, onTimeout: () => new Error('timeout'), ref: false };
    const toB = ops.start({ peer: 'B' }, never);
    const toC = ops.start({ peer: 'C' }, never);
    expect(
      ops.rejectWhere(
        (meta) => meta.peer === 'B',
        (meta) => new Error(`${meta.peer} left`),
      ),
    ).toBe(1);
    await expect(toB.promise).rejects.toThrow('B left');
    expect(ops.has(toC.id)).toBe(true);
    expect(ops.resolve(toC.id, 'ok')).toBe(true);
    await expect(toC.promise).resolves.toBe('ok');
  });

  it('takes a chosen ID only when it is a free u32', async () => {
    const ops = new PendingOperations<string, string>();
    const never = { timeoutMs: 60_000, onTimeout: () => new Error('timeout'), ref: false };
    const { id, promise } = ops.start('x', { ...never, id: 77 });
    expect(id).toBe(77);
    expect(() => ops.start('y', { ...never, id: 77 })).toThrow(/already used/);
    expect(() => ops.start('y', { ...never, id: 2 ** 32 })).toThrow(RangeError);
    ops.rejectAll(new Error('closed'));
    await expect(promise).rejects.toThrow('closed');
  });
});
