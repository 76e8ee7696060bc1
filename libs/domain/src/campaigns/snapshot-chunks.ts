// How a campaign's audience snapshot is cut into chunks, each INSERTed and enqueued in turn (see
// CampaignsService.start and ADR 0009).

/** Each chunk of a snapshot is this many times the previous one (see firstChunkSize). */
export const CHUNK_GROWTH = 16;
/**
 * The first chunk of a snapshot: about a second of the number's pace (at least 100, at most
 * 5,000), so the first messages go while the next chunks, each CHUNK_GROWTH times larger, are
 * inserted: a 100,000-recipient campaign starts sending after a few milliseconds rather than after
 * the whole INSERT.
 */
export function firstChunkSize(ratePerSecond: number): number {
  return Math.max(100, Math.min(5_000, Math.round(ratePerSecond)));
}

/**
 * Rows a snapshot is counted on to write a second: a quarter of the slowest rate measured on the
 * 2-core development machine (40,000 to 90,000; docs/benchmarks.md), so a loaded machine still
 * keeps up. Sets when the rest of an audience can go in one chunk: see chunkSize.
 */
export const SNAPSHOT_ROWS_PER_S_FLOOR = 10_000;

/**
 * The next chunk's size before chunkLimit: the growing `size`, or the whole rest (`left`) once the
 * rows already written (`written`, sent at `ratePerSecond`) last longer than writing the rest takes
 * at SNAPSHOT_ROWS_PER_S_FLOOR, so the number never runs out of queued messages meanwhile. At
 * 80 msg/s, 100,000 recipients go in chunks of 100, 1,600 and the rest, which chunkLimit cuts
 * 85/15: one large statement fewer than growing to 25,600 first (each large chunk hashes the
 * comune's contacts again). At 1,000 and 10,000 msg/s the chunks are as they were.
 */
export function chunkSize(size: number, written: number, left: number, ratePerSecond: number): number {
  const coveredS = written / ratePerSecond;
  return left <= coveredS * SNAPSHOT_ROWS_PER_S_FLOOR ? Math.max(size, left) : size;
}

/** Audiences left larger than this end in two chunks, the second TAIL_SHARE of the rest (see chunkLimit). */
const TAIL_SPLIT_MIN = 20_000;
const TAIL_SHARE = 0.15;

/**
 * The next chunk's limit: `size`, unless it would take the whole of a large rest (`left`), which
 * then goes in two chunks, the second about TAIL_SHARE of it. A chunk's jobs go to Redis while the
 * next chunk is written, but the last chunk's only after it: one chunk of the last 72,700 of
 * 100,000 left 1,865 jobs (170 ms) after the last INSERT; a tail of 15 % hides the big chunk's
 * jobs behind its own INSERT and leaves a fifth of them. The count only shapes the chunks: the
 * snapshot ends with the first chunk that finds fewer rows than its limit.
 */
export function chunkLimit(size: number, left: number): number {
  if (left <= TAIL_SPLIT_MIN || size < left) return size;
  return left - Math.round(left * TAIL_SHARE);
}

/**
 * Chunks of at least this many rows are written in two pieces at once (splitChunk). Measured on
 * the 2-core machine: 100,000 rows in two concurrent statements of 50,000 took 570-616 ms against
 * 720-1,017 ms in one (docs/benchmarks.md, thirteenth pass). Below it the second connection and
 * the cut's look-up are not worth it.
 */
export const SPLIT_MIN = 16_000;

/**
 * A chunk's `limit` as two pieces written beside each other on two connections, the first half and
 * the rest, or null when the chunk is too small to be worth it (SPLIT_MIN).
 */
export function splitChunk(limit: number): [number, number] | null {
  if (limit < SPLIT_MIN) return null;
  const first = Math.ceil(limit / 2);
  return [first, limit - first];
}
