import { CHUNK_GROWTH, chunkLimit, chunkSize, firstChunkSize, SPLIT_MIN, splitChunk } from './snapshot-chunks.js';

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

describe('chunkSize', () => {
  it('takes the whole rest once the rows written outlast writing it', () => {
    // 80 msg/s: 100 rows are 1.25 s of sending, 12,500 rows' writing at the floor; 1,700 are 21 s.
    expect(chunkSize(1_600, 100, 99_900, 80)).toBe(1_600);
    expect(chunkSize(25_600, 1_700, 98_300, 80)).toBe(98_300);
    // Which chunkLimit then cuts in two, the tail 15 %.
    expect(chunkLimit(chunkSize(25_600, 1_700, 98_300, 80), 98_300)).toBe(83_555);
  });

  it('keeps growing while the queue would run dry first', () => {
    // 10,000 msg/s: 5,000 rows are half a second of sending, not enough to write 95,000.
    expect(chunkSize(80_000, 5_000, 95_000, 10_000)).toBe(80_000);
    // 1,000 msg/s, a million recipients: 17,000 rows written cover 170,000 more, not the rest.
    expect(chunkSize(256_000, 17_000, 983_000, 1_000)).toBe(256_000);
    expect(chunkSize(4_096_000, 273_000, 727_000, 1_000)).toBe(4_096_000);
  });

  it('never shrinks a chunk below the growing size', () => {
    expect(chunkSize(25_600, 1_700, 900, 80)).toBe(25_600);
  });
});

describe('splitChunk', () => {
  it('leaves a chunk below SPLIT_MIN whole', () => {
    expect(splitChunk(SPLIT_MIN - 1)).toBeNull();
    expect(splitChunk(1_600)).toBeNull();
  });

  it('cuts a large chunk in two halves, the first taking the odd row', () => {
    expect(splitChunk(SPLIT_MIN)).toEqual([SPLIT_MIN / 2, SPLIT_MIN / 2]);
    expect(splitChunk(19_805)).toEqual([9_903, 9_902]);
    expect(splitChunk(83_555)).toEqual([41_778, 41_777]);
  });
});
