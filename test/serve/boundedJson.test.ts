import { describe, expect, it } from 'vitest';
import { jsonLimitError } from '../../electron/serve/boundedJson';

const check = (text: string, maxDepth = 3, maxValues = 5): string | null => jsonLimitError(Buffer.from(text), maxDepth, maxValues);

describe('jsonLimitError', () => {
  it('counts nesting and values outside strings only, escaped quotes and backslashes included', () => {
    expect(check('{"a":[[1]]}')).toBeNull();
    expect(check('{"a":[[[1]]]}')).toBe('JSON nested deeper than 3');
    // Values are counted as containers and commas: [1,2,3,4,5] makes 5, one more value 6.
    expect(check('[1,2,3,4,5]')).toBeNull();
    expect(check('[1,2,3,4,5,6]')).toBe('more than 5 JSON values in one message');
    // Brackets and commas in strings, after an escaped quote and after an escaped backslash, are text.
    expect(check(String.raw`{"a":"[[[[,,,,,,", "b":"\"[[[[,,,,", "c":"\\", "d":"[[[[,,,,"}`, 3, 5)).toBeNull();
    expect(check(String.raw`["\\",[[[]]]]`)).toBe('JSON nested deeper than 3');
  });

  it('leaves what is not JSON to JSON.parse', () => {
    expect(check('{"unterminated: [[[[[[')).toBeNull();
    expect(check(']]]]')).toBeNull();
  });
});
