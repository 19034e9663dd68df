import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { injectSourceProblem, moduleIdProblem } from '../../electron/protocol/moduleIdRules';

describe("an injected message's source (the hub's INJECT, the bridge and the composer share this rule)", () => {
  it('lets an empty source stand for the injector itself', () => {
    expect(injectSourceProblem('')).toBeNull();
  });

  it.each(['operator', 'sensor-1', '温度计', 'a$b', '*'])('accepts %j, an ID a module could register', (source) => {
    expect(injectSourceProblem(source)).toBeNull();
    expect(moduleIdProblem(source)).toBeNull();
  });

  it.each([
    ['$hub', /reserved for the hub/],
    ['$monitor-1', /reserved for the hub/],
    ['a b', /whitespace/],
    ['a'.repeat(65), /65 bytes/],
    ['p\u0430ypal', /mixes letters of Latin, Cyrillic/],
    ['a\u200bb', /invisible/],
  ])('refuses %j with the module ID rule, naming the field', (source, reason) => {
    const problem = injectSourceProblem(source);
    expect(problem).toMatch(/^source: /);
    expect(problem).toMatch(reason);
  });

  it('imports nothing, so the renderer (DOM-only typings) compiles it as the hub does', () => {
    const text = fs.readFileSync(path.join(__dirname, '../../electron/protocol/moduleIdRules.ts'), 'utf8');
    expect(text).not.toMatch(/^import /m);
    expect(text).not.toMatch(/\bBuffer\b/);
  });
});
