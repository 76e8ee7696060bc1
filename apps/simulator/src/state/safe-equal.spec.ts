import { safeEqual } from './safe-equal.js';

describe('safeEqual', () => {
  it('is true for the same string only, whatever the lengths', () => {
    expect(safeEqual('EAAG-token-àè', 'EAAG-token-àè')).toBe(true);
    expect(safeEqual('EAAG-token', 'EAAG-token ')).toBe(false);
    expect(safeEqual('EAAG-token', 'EAAG')).toBe(false);
    expect(safeEqual('EAAG-token', '')).toBe(false);
  });

  it('keeps answering right once more strings were compared than it keeps digests of', () => {
    for (let i = 0; i < 2_500; i++) {
      expect(safeEqual('secret', `guess-${i}`)).toBe(false);
      if (i % 500 === 0) expect(safeEqual('secret', 'secret')).toBe(true);
    }
    expect(safeEqual('secret', 'guess-0')).toBe(false);
    expect(safeEqual('guess-2499', 'guess-2499')).toBe(true);
  });
});
