import { CHUNK_GROWTH, chunkLimit, firstChunkSize } from './snapshot-chunks.js';

describe('firstChunkSize', () => {
  it('is about a second of the pace, at least 100 and at most 5,000', () => {
    expect(firstChunkSize(80)).toBe(100);
    expect(firstChunkSize(1000)).toBe(1000);
    expect(firstChunkSize(10_000)).toBe(5000);
  });
});

describe('chunkLimit', () => {
  it('keeps the growing size while it does not take the whole rest', () => {
    expect(chunkLimit(25_600, 98_300)).toBe(25_600);
  });

  it('cuts a large rest in two, the second about 15 % of it', () => {
    const big = chunkLimit(25_600 * CHUNK_GROWTH, 72_700);
    expect(big).toBe(61_795);
    // The tail then goes with the next size: the snapshot ends when a chunk finds fewer rows than its limit.
    expect(chunkLimit(big * CHUNK_GROWTH, 72_700 - big)).toBe(big * CHUNK_GROWTH);
  });

  it('leaves a small rest in one chunk', () => {
    expect(chunkLimit(409_600, 20_000)).toBe(409_600);
    expect(chunkLimit(1_600, 900)).toBe(1_600);
  });
});
