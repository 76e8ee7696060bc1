import type { Redis } from 'ioredis';
import { createRedisClient } from '#common';
import { NumberPacer, RESERVATION_HORIZON_MS, RESERVATION_LEAD_MS } from '#domain';
import { testConfig } from '../support/test-config.js';
import { uniq } from '../support/factories.js';
import { waitFor } from '../support/worker.js';

/** The number pacer against the real Redis: the shared schedule, lanes, refunds and slowing down. */
describe('NumberPacer', () => {
  // No warm-up here, so the schedules are exact; its own test below has a pacer with it.
  const config = testConfig({ REDIS_KEY_PREFIX: `{araldo-test-pacer-${uniq()}}`, WHATSAPP_PACING_SHARE: '1', WHATSAPP_WARM_UP_FACTOR: '1' });
  let redis: Redis;
  let pacer: NumberPacer;
  /** Just after the start of the next quarter of the slow-down window (500 ms), from now: the error counts expire in real time. */
  const quarterStart = () => Math.ceil(Date.now() / 500) * 500 + 10;
  /** A pacer on the same Redis and prefix whose warm-up is 1.25× (100 ms slots at 10/s become 125 ms). */
  const warmPacer = () =>
    new NumberPacer(redis, testConfig({ REDIS_KEY_PREFIX: config.redis.keyPrefix, WHATSAPP_PACING_SHARE: '1', WHATSAPP_WARM_UP_FACTOR: '1.25' }));
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
    await pacer.close();
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
    // Beyond the horizon: one of those waiting behind a busy number, not the next in line.
    expect(none).not.toHaveProperty('nextInLine');
    expect((none as { retryInMs: number }).retryInMs).toBeGreaterThan(0);
  });

  it('keeps a batch whole: it waits until all of it fits rather than taking the few slots free now', async () => {
    const n = `n-${uniq()}`;
    // All but four of the horizon's slots (100 ms apart from 150 ms on): four more fit, five do not yet.
    const all = Math.floor((RESERVATION_HORIZON_MS - RESERVATION_LEAD_MS) / 100) + 1;
    await granted(n, 10, all - 4);
    const refused = await pacer.reserve(n, 10, 5, 'normal');
    // It is next in line: it should come back exactly when it fits (no spread), or the number idles.
    expect(refused).toMatchObject({ granted: 0, nextInLine: true });
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

  it('takes the normal slots already handed out back for an emergency, and tells every process holding them', async () => {
    // Another process's pacer, on the same Redis: it holds the newsletter's slots.
    const other = new NumberPacer(redis, config);
    try {
      await other.listenForSignals();
      await pacer.listenForSignals();
      const n = `n-${uniq()}`;
      const newsletter = await other.reserve(n, 100, 60, 'normal');
      if (!('startAt' in newsletter)) throw new Error('nothing granted');
      // 60 slots 10 ms apart: the schedule ends about 750 ms ahead.
      expect(newsletter.startAt + 60 * newsletter.intervalMs - Date.now()).toBeGreaterThan(600);
      expect(other.preemptedSince(n, newsletter.reservedAt)).toBe(false);

      const before = Date.now();
      const urgent = await granted(n, 100, 10, 'emergency');
      // The emergency starts the lead from now, not after the newsletter's slots.
      expect(urgent.startAt - before).toBeLessThan(RESERVATION_LEAD_MS + 50);
      await waitFor(() => Promise.resolve(other.preemptedSince(n, newsletter.reservedAt) || null), 2_000, 'the pre-emption heard');
      // The newsletter's refund no longer applies: the schedule is the emergency's now.
      expect(await other.refund(n, newsletter, 30)).toBe(false);
      // Later emergency reservations follow the first, without taking anything back again.
      const next = await granted(n, 100, 10, 'emergency');
      expect(Math.abs(next.startAt - urgent.startAt - 10 * urgent.intervalMs)).toBeLessThan(5);
      // A normal reservation made after the pre-emption is not pre-empted by it (and waits for the hold).
      expect(other.preemptedSince(n, Date.now() + 1)).toBe(false);
      expect(await other.reserve(n, 100, 1, 'normal')).toMatchObject({ granted: 0 });
      // Another number is not affected.
      expect(other.preemptedSince(`n-${uniq()}`, 0)).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('tells every process a campaign stopped, for the slots reserved before they heard it', async () => {
    const other = new NumberPacer(redis, config);
    try {
      await other.listenForSignals();
      const campaign = `c-${uniq()}`;
      const n = `n-${uniq()}`;
      const before = await granted(n, 100, 20, 'emergency');
      expect(other.stoppedSince(campaign, before.reservedAt)).toBe(false);
      // Published by whichever process paused or cancelled it (the api), heard by the workers.
      await pacer.stopCampaign(campaign);
      await waitFor(() => Promise.resolve(other.stoppedSince(campaign, before.reservedAt) || null), 2_000, 'the stop heard');
      // Slots reserved after it was heard are not stopped by it (the claim finds the campaign paused), nor is another campaign.
      expect(other.stoppedSince(campaign, Date.now() + 1)).toBe(false);
      expect(other.stoppedSince(`c-${uniq()}`, 0)).toBe(false);
    } finally {
      await other.close();
    }
  });

  it("keeps the newsletter held while an emergency's refused messages wait for their retry", async () => {
    const n = `n-${uniq()}`;
    await granted(n, 100, 1, 'emergency');
    await pacer.holdForEmergency(n, 4_000);
    expect(await redis.pttl(`pace:{${n}}:emergency`)).toBeGreaterThan(3_000);
    // Never shortened.
    await pacer.holdForEmergency(n, 100);
    expect(await redis.pttl(`pace:{${n}}:emergency`)).toBeGreaterThan(3_000);
    const refused = await pacer.reserve(n, 100, 1, 'normal');
    expect((refused as { retryInMs: number }).retryInMs).toBeGreaterThan(3_000);
  });

  it('starts an idle number at the warm-up pace for two seconds, then at its full pace', async () => {
    const warm = warmPacer();
    const n = `n-${uniq()}`;
    const first = await warm.reserve(n, 10, 1, 'normal');
    expect(first).toMatchObject({ granted: 1, intervalMs: 125 });
    // Busy since: still warming up within the two seconds.
    expect(await warm.reserve(n, 10, 1, 'normal')).toMatchObject({ granted: 1, intervalMs: 125 });
    await redis.pexpire(`pace:{${n}}:warm`, 1);
    await new Promise((r) => setTimeout(r, 5));
    // Warmed up (the flag expired) while the number kept busy: full pace.
    expect(await warm.reserve(n, 10, 1, 'normal')).toMatchObject({ granted: 1, intervalMs: 100 });
    await warm.close();
  });

  it('counts the warm-up in slot time: slots from two seconds after it began go at full pace, however early reserved', async () => {
    const warm = warmPacer();
    try {
      const n = `n-${uniq()}`;
      expect(await warm.reserve(n, 10, 10, 'normal')).toMatchObject({ granted: 10, intervalMs: 125 });
      // The warm-up began 1.9 s ago (as if), and the schedule ends 200 ms from now: the next slots
      // start after its two seconds, at full pace, though they are reserved while it is still on.
      await redis.set(`pace:{${n}}:warm`, String(Date.now() - 1_900), 'PX', 5_000);
      await redis.set(`pace:{${n}}:tat`, String(Date.now() + 200), 'PX', 5_000);
      expect(await warm.reserve(n, 10, 1, 'normal')).toMatchObject({ granted: 1, intervalMs: 100 });
      // Slots still inside its two seconds go at the warm-up pace.
      await redis.set(`pace:{${n}}:warm`, String(Date.now() - 1_000), 'PX', 5_000);
      expect(await warm.reserve(n, 10, 1, 'normal')).toMatchObject({ granted: 1, intervalMs: 125 });
    } finally {
      await warm.close();
    }
  });

  it("spaces a number's slots for its pace less its citizens' messages, and its send window for its cap less them", async () => {
    for (let i = 0; i < 3; i++) await granted(`warm-${uniq()}`, 10, 1);
    const n = `n-${uniq()}`;
    expect((await granted(n, 10, 1)).intervalMs).toBe(100);
    // Four messages at once read as four a second: six of the ten are left, slots ~167 ms apart.
    const rate = await pacer.takeForInbound(n, 4);
    expect(rate).toBeCloseTo(4, 1);
    const slower = await granted(n, 10, 2);
    expect(slower.intervalMs).toBeGreaterThan(160);
    expect(slower.intervalMs).toBeLessThan(10_000 / 60 + 1);
    // This process's window admits six sends a second on the number, not ten.
    const t = Date.now();
    for (let i = 0; i < 6; i++) expect(typeof pacer.admit(n, 10, t)).toBe('object');
    expect(typeof pacer.admit(n, 10, t)).toBe('number');
    // The rate decays (time constant 1 s): two seconds later the number is nearly back to its pace.
    await new Promise((r) => setTimeout(r, 2_000));
    const later = await granted(n, 10, 1);
    expect(later.intervalMs).toBeLessThan(110);
    // Nothing to count, nothing recorded.
    expect(await pacer.takeForInbound(`n-${uniq()}`, 0)).toBe(0);
  });

  it("keeps a fifth of a number's pace for its own sends whatever its citizens write", async () => {
    const n = `n-${uniq()}`;
    await pacer.takeForInbound(n, 500);
    expect((await granted(n, 10, 1)).intervalMs).toBeCloseTo(500, 0);
  });

  it("sends a batch on its slots while the citizens' messages hold the number at its floor, instead of falling a second behind per send", async () => {
    const n = `n-${uniq()}`;
    await pacer.takeForInbound(n, 500);
    const slots = await granted(n, 10, 3);
    expect(slots).toMatchObject({ granted: 3, intervalMs: expect.closeTo(500, 0) });
    // Each send goes at its slot, or as soon as the window lets it, and is answered 10 ms later.
    // With the window at one a second (the cap less the citizens' messages, at least one), each
    // send waited for the previous one's second: the batch's rows sat in 'sending' further behind
    // their slots with every send, past the minute after which the sweep takes them for stale.
    let late = 0;
    for (let i = 0; i < slots.granted; i++) {
      let at = slots.startAt + i * slots.intervalMs;
      for (let ticket = pacer.admit(n, 10, at); ; ticket = pacer.admit(n, 10, at)) {
        if (typeof ticket === 'number') {
          at += ticket;
          continue;
        }
        pacer.answered(ticket, at + 10);
        break;
      }
      late = at - (slots.startAt + i * slots.intervalMs);
    }
    expect(late).toBeLessThan(50);
  });

  it('takes back unused slots only when no reservation came after', async () => {
    const n = `n-${uniq()}`;
    const a = await granted(n, 10, 5);
    expect(await pacer.refund(n, a, 2)).toBe(true);
    const b = await granted(n, 10, 1);
    expect(Math.abs(b.startAt - a.startAt - 300)).toBeLessThan(5);
    expect(await pacer.refund(n, a, 1)).toBe(false);
  });

  it('slows a number down when its 130429s reach a share of its rate spread over the window, once per window, compounding while they go on', async () => {
    const t0 = quarterStart();
    const n = `n-${uniq()}`;
    // At 1,000/s a few errors are jitter: 60 in two seconds (3 %), in three of its quarters, slow it down.
    expect(await pacer.slowDown(n, 1000, 5_000, 20, t0)).toBe(0);
    expect(await pacer.slowDown(n, 1000, 5_000, 20, t0 + 500)).toBe(0);
    expect(await pacer.slowDown(n, 1000, 5_000, 19, t0 + 1_000)).toBe(0);
    expect(await pacer.slowDown(n, 1000, 5_000, 1, t0 + 1_010)).toBe(1.25);
    // The rest of the same cluster does not compound it.
    for (let i = 0; i < 50; i++) expect(await pacer.slowDown(n, 1000, 5_000, 1, t0 + 1_020 + i * 20)).toBe(0);
    expect((await granted(n, 1000, 1)).intervalMs).toBeCloseTo(1.25, 5);
    // At 80/s, five do; another spread of them in a later window slows it further.
    const small = `n-${uniq()}`;
    expect(await pacer.slowDown(small, 80, 5_000, 2, t0)).toBe(0);
    expect(await pacer.slowDown(small, 80, 5_000, 2, t0 + 600)).toBe(0);
    expect(await pacer.slowDown(small, 80, 5_000, 1, t0 + 1_100)).toBe(1.25);
    expect(await pacer.slowDown(small, 80, 5_000, 3, t0 + 3_200)).toBe(0);
    expect(await pacer.slowDown(small, 80, 5_000, 1, t0 + 3_700)).toBe(0);
    expect(await pacer.slowDown(small, 80, 5_000, 1, t0 + 4_200)).toBeCloseTo(1.5625, 5);
    expect((await granted(small, 80, 1)).intervalMs).toBeCloseTo(12.5 * 1.5625, 5);
  });

  it('does not slow a number down for one cluster of 130429s, however large: sends bunched by a stall on the way', async () => {
    const t0 = quarterStart();
    const n = `n-${uniq()}`;
    // A batch's worth at once, then more of the same cluster reported by other batches.
    expect(await pacer.slowDown(n, 80, 5_000, 11, t0)).toBe(0);
    expect(await pacer.slowDown(n, 80, 5_000, 9, t0 + 100)).toBe(0);
    // Two clusters within the window: still not spread over it.
    expect(await pacer.slowDown(n, 80, 5_000, 6, t0 + 900)).toBe(0);
    expect((await granted(n, 80, 1)).intervalMs).toBeCloseTo(12.5, 5);
    // A third in the window's last quarter: the number is refused all the time, it slows down.
    expect(await pacer.slowDown(n, 80, 5_000, 1, t0 + 1_600)).toBe(1.25);
  });

  it("counts a batch's 130429s reported together as many errors, with the same threshold and window", async () => {
    const t0 = quarterStart();
    const n = `n-${uniq()}`;
    expect(await pacer.slowDown(n, 80, 5_000, 2, t0)).toBe(0);
    expect(await pacer.slowDown(n, 80, 5_000, 1, t0 + 500)).toBe(0);
    expect(await pacer.slowDown(n, 80, 5_000, 1, t0 + 1_000)).toBe(0);
    expect(await pacer.slowDown(n, 80, 5_000, 1, t0 + 1_100)).toBe(1.25);
    // The rest of the cluster, however many at once, does not compound it.
    expect(await pacer.slowDown(n, 80, 5_000, 40, t0 + 1_200)).toBe(0);
    expect(await redis.pttl(`pace:{${n}}:errors`)).toBeGreaterThan(0);
    const big = `n-${uniq()}`;
    expect(await pacer.slowDown(big, 80, 5_000, 3, t0)).toBe(0);
    expect(await pacer.slowDown(big, 80, 5_000, 3, t0 + 500)).toBe(0);
    expect(await pacer.slowDown(big, 80, 5_000, 1, t0 + 1_000)).toBe(1.25);
  });

  it('asks campaign batches to wait while this process holds more than two horizons of a number unsent', () => {
    const n = `n-${uniq()}`;
    expect(pacer.backlogWait(n, 80)).toBe(0);
    // Two horizons (1.5 s each) at 80 msg/s: 240 messages in batches under way.
    pacer.hold(n, 239);
    expect(pacer.backlogWait(n, 80)).toBe(0);
    pacer.hold(n, 41);
    // 41 over the limit: about half a second of the number's pace.
    expect(pacer.backlogWait(n, 80)).toBe(513);
    pacer.unhold(n, 41);
    expect(pacer.backlogWait(n, 80)).toBe(0);
    pacer.unhold(n, 239);
    expect(pacer.backlogWait(n, 80)).toBe(0);
  });

  it('keeps what one process sends per number under the cap in any second as Meta counts it, however late its timers fire', () => {
    const n = `n-${uniq()}`;
    const t = 1_000_000;
    for (let i = 0; i < 80; i++) {
      const ticket = pacer.admit(n, 80, t + i);
      if (typeof ticket === 'number') throw new Error(`send ${i} had to wait ${ticket} ms`);
      // Answered 20 ms after it went: it counts until a second after that.
      pacer.answered(ticket, t + i + 20);
    }
    expect(pacer.admit(n, 80, t + 500)).toBe(521);
    expect(pacer.admit(n, 80, t + 1_000)).toBe(21);
    expect(typeof pacer.admit(n, 80, t + 1_021)).toBe('object');
  });
});
