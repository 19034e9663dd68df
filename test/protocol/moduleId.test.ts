import { describe, expect, it } from 'vitest';
import { decodeModuleId, MAX_MODULE_ID_BYTES, moduleIdProblem } from '../../electron/hub';

describe('module ID rules', () => {
  it.each(['A', 'sensor-1', 'camera.front/left', 'Ünïcødé', '温度计', 'a'.repeat(64), '€'.repeat(21)])('accepts %j', (id) => {
    expect(moduleIdProblem(id)).toBeNull();
  });

  it('rejects an empty ID', () => {
    expect(moduleIdProblem('')).toMatch(/empty/);
  });

  it('rejects an ID of 65 bytes, counting UTF-8 bytes rather than characters', () => {
    expect(moduleIdProblem('a'.repeat(MAX_MODULE_ID_BYTES + 1))).toMatch(/65 bytes/);
    // 22 euro signs are 22 characters but 66 bytes.
    expect(moduleIdProblem('€'.repeat(22))).toMatch(/66 bytes/);
  });

  it.each([
    ['a space', 'a b'],
    ['a leading tab', '\tA'],
    ['a trailing newline', 'A\n'],
    ['a no-break space', 'a\u00a0b'],
    ['an ideographic space', 'a\u3000b'],
  ])('rejects whitespace: %s', (_, id) => {
    expect(moduleIdProblem(id)).toMatch(/whitespace/);
  });

  it.each([
    ['NUL', 'a\u0000'],
    ['ESC', '\u001bA'],
    ['DEL', 'A\u007f'],
    ['a C1 control', 'A\u0085B'],
    ['U+009F', 'A\u009f'],
    ['the replacement character', 'A\ufffd'],
  ])('rejects %s', (_, id) => {
    expect(moduleIdProblem(id)).not.toBeNull();
  });

  it("reserves the '$' prefix for the hub unless explicitly allowed", () => {
    expect(moduleIdProblem('$hub')).toMatch(/reserved/);
    expect(moduleIdProblem('$hub', { allowReserved: true })).toBeNull();
    expect(moduleIdProblem('a$b')).toBeNull();
  });
});

describe('decoding module IDs from the wire', () => {
  it('decodes valid UTF-8 within the given range', () => {
    const buf = Buffer.from('xx温度计yy');
    expect(decodeModuleId(buf, 2, buf.length - 2)).toBe('温度计');
  });

  it.each([
    ['a lone continuation byte', [0x41, 0x80]],
    ['a truncated 3-byte sequence', [0xe6, 0xb8]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['a UTF-16 surrogate encoded as UTF-8', [0xed, 0xa0, 0x80]],
    ['0xFF', [0xff]],
  ])('returns null for invalid UTF-8: %s', (_, bytes) => {
    const buf = Buffer.from(bytes);
    expect(decodeModuleId(buf, 0, buf.length)).toBeNull();
  });
});
