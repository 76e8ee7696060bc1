import { toMetaJson } from './meta-json.js';

describe('toMetaJson', () => {
  it('writes compact JSON with non-ASCII escaped as lowercase \\uXXXX, emoji as surrogate pairs', () => {
    expect(toMetaJson({ body: 'Città è già 👍', n: 1 })).toBe('{"body":"Citt\\u00e0 \\u00e8 gi\\u00e0 \\ud83d\\udc4d","n":1}');
  });

  it('parses back to the same value', () => {
    const value = { text: 'Perché? «Sì» – ok 🚧', list: [1, 'ü'] };
    expect(JSON.parse(toMetaJson(value))).toEqual(value);
  });
});
