/** Who gets in (issue 8, break 12): IDs that could pose as others, and connections that never say HELLO. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, moduleIdProblem } from '../../electron/hub';
import { Cleanup } from '../support/cleanup';
import { startHub } from '../support/hubFixture';

let cleanup: Cleanup;
beforeEach(() => {
  cleanup = new Cleanup();
});
afterEach(() => cleanup.run());

describe('module IDs that could pose as others', () => {
  it.each([
    ['a Cyrillic а among Latin letters', 'p\u0430ypal', /mixes letters of Latin, Cyrillic/],
    ['a right-to-left override', 'invoice\u202Etxt.exe', /text-direction/],
    ['a zero-width space', 'ad\u200Bmin', /invisible/],
    ['a zero-width joiner', 'ad\u200Dmin', /invisible/],
    ['a Greek ο among Latin letters', 'r\u03BFot', /mixes letters of Latin, Greek/],
  ])('refuses %s', (_what, id, reason) => {
    expect(moduleIdProblem(id)).toMatch(reason);
  });

  it.each(['sensor-1', 'Привет', 'Ελληνικά', '東京センサー', '東京-sensor', '한국-hub', 'café', 'naïve'])('accepts %s (one script, or a highly restrictive mix)', (id) => {
    expect(moduleIdProblem(id)).toBeNull();
  });

  it('refuses such an ID at HELLO with INVALID_ID', async () => {
    const h = await startHub(cleanup);
    const client = await h.connect();
    const result = await client.hello('p\u0430ypal');
    expect(result.error?.code).toBe(ErrorCode.INVALID_ID);
  });
});

describe('connections that never say HELLO', () => {
  it('cannot lock registrations out: past the pending cap the one waiting longest is closed', async () => {
    const h = await startHub(cleanup, { maxConnections: 40 });
    const idle = [];
    for (let i = 0; i < 40; i++) idle.push(await h.connect());
    const legit = await h.connect();
    const result = await legit.hello('legit');
    expect(result.error).toBeUndefined();
    expect(result.welcome?.id).toBe('legit');
    // The cap is max(8, 40 / 8) = 8: all but the 8 newest idle connections were closed with HELLO_REQUIRED.
    await idle[0].waitForClose();
    expect(idle.filter((c) => c.errors().some((e) => e.code === ErrorCode.HELLO_REQUIRED)).length).toBeGreaterThanOrEqual(32);
  });
});
