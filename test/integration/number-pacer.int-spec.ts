import type { Redis } from 'ioredis';
import { createRedisClient } from '#common';
import { NumberPacer, RESERVATION_HORIZON_MS, RESERVATION_LEAD_MS } from '#domain';
import { testConfig } from '../support/test-config.js';
import { uniq } from '../support/factories.js';

/** The number pacer against the real Redis: the shared schedule, lanes, refunds and slowing down. */
describe('NumberPacer', () => {
  // No warm-up here, so the schedules are exact; its own test below has a pacer with it.
  const config = testConfig({ REDIS_KEY_PREFIX: `{araldo-test-pacer-${uniq()}}`, WHATSAPP_PACING_SHARE: '1', WHATSAPP_WARM_UP_FACTOR: '1' });
  let redis: Redis;
  let pacer: NumberPacer;
  const granted = async (numberId: string, cap: number, wanted: number, lane: 'normal' | 'emergency' | 'reply' = 'normal') => {
    const r = await pacer.reserve(numberId, cap, wanted, lane);
    if (!('startAt' in r)) throw new Error(`nothing granted, retry in ${r.retryInMs} ms`);
    return r;
  };

  beforeAll(() => {
    redis = createRedisClient(config, 'pacer-test');
    pacer = new NumberPacer(redis, config);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('hands out one schedule per number: consecutive reservations follow each other at the interval, on this clock', async () => {
    // A few round trips first: the first (the connection's) gives a loose estimate of the clocks' offset.
    for (let i = 0; i < 5; i++) await granted(`warm-${uniq()}`, 10, 1);
    const n = `n-${uniq()}`;
    const before = Date.now();
    const a = await granted(n, 10, 3);
    const b = await granted(n, 10, 3);
    expect(a.intervalMs).toBe(100);
    expect(a.startAt).toBeGreaterThanOrEqual(before + RESERVATION_LEAD_MS - 5);
    // b starts where a's three slots end, whatever the time its reply took to come back (within
    // what a tighter round trip may still move the estimate).
    expect(Math.abs(b.startAt - a.startAt - 300)).toBeLessThan(5);
    // Another number has its own schedule.
    const other = await granted(`n-${uniq()}`, 10, 3);
    expect(other.startAt).toBeLessThan(b.startAt);
  });

  it('grants no more than the horizon holds, then says when to come back', async () => {
    const n = `n-${uniq()}`;
    const first = await granted(n, 10, 100);
    expect(first.granted).toBe(Math.floor((RESERVATION_HORIZON_MS - RESERVATION_LEAD_MS) / 100) + 1);
    // One slot every 2 s: the next is beyond the horizon for more than a second.
    const slow = `n-${uniq()}`;
    expect((await granted(slow, 0.5, 5)).granted).toBe(1);
    const none = await pacer.reserve(slow, 0.5, 5, 'normal');
    expect(none).toMatchObject({ granted: 0 });
    expect((none as { retryInMs: number }).retryInMs).toBeGreaterThan(0);
  });

  it('keeps a batch whole: it waits until all of it fits rather than taking the few slots free now', async () => {
    const n = `n-${uniq()}`;
    await granted(n, 10, 3);
    // Three slots from 150 ms on: four more fit within the 800 ms horizon, five do not yet.
    const refused = await pacer.reserve(n, 10, 5, 'normal');
    expect(refused).toMatchObject({ granted: 0 });
    expect((refused as { retryInMs: number }).retryInMs).toBeGreaterThan(0);
    expect((refused as { retryInMs: number }).retryInMs).toBeLessThanOrEqual(100);
    expect((await granted(n, 10, 4)).granted).toBe(4);
  });

  it('holds normal traffic while an emergency sends on the number', async () => {
    const n = `n-${uniq()}`;
    await granted(n, 100, 1, 'emergency');
    expect(await pacer.reserve(n, 100, 1, 'normal')).toMatchObject({ granted: 0 });
    expect((await granted(n, 100, 1, 'reply')).granted).toBe(1);
  });

  it('starts an idle number at the warm-up pace for two seconds, then at its full pace', async () => {
    const warm = new NumberPacer(
      redis,
      testConfig({ REDIS_KEY_PREFIX: config.redis.keyPrefix, WHATSAPP_PACING_SHARE: '1', WHATSAPP_WARM_UP_FACTOR: '1.25' }),
    );
    const n = `n-${uniq()}`;
    const first = await warm.reserve(n, 10, 1, 'normal');
    expect(first).toMatchObject({ granted: 1, intervalMs: 125 });
    // Busy since: still warming up within the two seconds.
    expect(await warm.reserve(n, 10, 1, 'normal')).toMatchObject({ granted: 1, intervalMs: 125 });
    await redis.pexpire(`pace:{${n}}:warm`, 1);
    await new Promise((r) => setTimeout(r, 5));
    // Warmed up (the flag expired) while the number kept busy: full pace.
    expect(await warm.reserve(n, 10, 1, 'normal')).toMatchObject({ granted: 1, intervalMs: 100 });
  });

  it('takes back unused slots only when no reservation came after', async () => {
    const n = `n-${uniq()}`;
    const a = await granted(n, 10, 5);
    expect(await pacer.refund(n, a, 2)).toBe(true);
    const b = await granted(n, 10, 1);
    expect(Math.abs(b.startAt - a.startAt - 300)).toBeLessThan(5);
    expect(await pacer.refund(n, a, 1)).toBe(false);
  });

  it('slows a number down on a cluster of 130429s in proportion to its rate, once per window, compounding while they go on', async () => {
    const n = `n-${uniq()}`;
    // At 1,000/s a few errors are jitter: 60 in two seconds (3 %) slow it down.
    for (let i = 0; i < 59; i++) expect(await pacer.slowDown(n, 1000, 5_000)).toBe(0);
    expect(await pacer.slowDown(n, 1000, 5_000)).toBe(1.25);
    // The rest of the same cluster does not compound it.
    for (let i = 0; i < 50; i++) expect(await pacer.slowDown(n, 1000, 5_000)).toBe(0);
    expect((await granted(n, 1000, 1)).intervalMs).toBeCloseTo(1.25, 5);
    // At 80/s, five do; another cluster in a later window slows it further.
    const small = `n-${uniq()}`;
    for (let i = 0; i < 4; i++) expect(await pacer.slowDown(small, 80, 5_000)).toBe(0);
    expect(await pacer.slowDown(small, 80, 5_000)).toBe(1.25);
    await redis.del(`pace:{${small}}:errors`);
    for (let i = 0; i < 4; i++) await pacer.slowDown(small, 80, 5_000);
    expect(await pacer.slowDown(small, 80, 5_000)).toBeCloseTo(1.5625, 5);
    expect((await granted(small, 80, 1)).intervalMs).toBeCloseTo(12.5 * 1.5625, 5);
  });

  it("counts a batch's 130429s reported together as many errors, with the same threshold and window", async () => {
    const n = `n-${uniq()}`;
    expect(await pacer.slowDown(n, 80, 5_000, 3)).toBe(0);
    expect(await pacer.slowDown(n, 80, 5_000, 2)).toBe(1.25);
    // The rest of the cluster, however many at once, does not compound it.
    expect(await pacer.slowDown(n, 80, 5_000, 40)).toBe(0);
    expect(await redis.pttl(`pace:{${n}}:errors`)).toBeGreaterThan(0);
    const big = `n-${uniq()}`;
    expect(await pacer.slowDown(big, 80, 5_000, 7)).toBe(1.25);
  });

  it('keeps what one process sends per number under the cap in any second, however late its timers fire', () => {
    const n = `n-${uniq()}`;
    const t = 1_000_000;
    for (let i = 0; i < 80; i++) expect(pacer.admit(n, 80, t + i)).toBe(0);
    expect(pacer.admit(n, 80, t + 500)).toBe(501);
    expect(pacer.admit(n, 80, t + 1_000)).toBe(0);
  });
});
