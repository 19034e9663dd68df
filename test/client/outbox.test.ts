import { describe, expect, it } from 'vitest';
import { BackpressureError } from '../../electron/client/errors';
import { Outbox } from '../../electron/client/Outbox';

describe('Outbox', () => {
  it('hands back what it holds in order, with the operation each frame starts, and is empty afterwards', () => {
    const outbox = new Outbox(100);
    outbox.add(Buffer.from('a'));
    outbox.add(Buffer.from('b'), 0);
    outbox.add(Buffer.from('c'), 7);
    expect(outbox.takeAll()).toEqual([{ frame: Buffer.from('a') }, { frame: Buffer.from('b'), operation: 0 }, { frame: Buffer.from('c'), operation: 7 }]);
    expect(outbox.takeAll()).toEqual([]);
  });

  it('throws BackpressureError for a frame that would take it past its bound, and takes frames again once emptied', () => {
    const outbox = new Outbox(10);
    outbox.add(Buffer.alloc(6));
    let error: unknown;
    try {
      outbox.add(Buffer.alloc(5));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BackpressureError);
    expect(error).toMatchObject({ bufferedBytes: 6, maxBufferedBytes: 10 });
    outbox.add(Buffer.alloc(4));
    outbox.clear();
    outbox.add(Buffer.alloc(10));
    expect(outbox.takeAll()).toHaveLength(1);
  });
});
