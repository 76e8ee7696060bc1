import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Client } from 'pg';
import { CampaignsService } from '#domain';
import { ownerClient } from '../support/database.js';
import { createComune, uniq, type Comune } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const DAY_MS = 24 * 3600_000;

/**
 * A campaign with capacityMode 'split' on a number whose portfolio's tier limits the reach: who goes
 * now is decided per recipient, by the 24-hour window, not by their place in the audience. The
 * campaigns are scheduled with no scheduled_at, so only these tests' start takes them (other test
 * files run the sweep, which starts every due campaign of the database).
 */
describe('campaign capacity split', () => {
  let t: TestApp;
  let db: Client;
  let redis: Redis;
  const prefix = `{araldo-test-capsplit-${uniq()}}`;

  beforeAll(async () => {
    t = await createTestApp({ REDIS_KEY_PREFIX: prefix });
    db = await ownerClient(t.config);
    redis = new Redis(t.config.redis.url);
  }, 60_000);
  afterAll(async () => {
    for (const key of await redis.keys(`${prefix}*`)) await redis.del(key);
    await redis.quit();
    await db.end();
    await t.close();
  });

  /** A comune whose number is in a portfolio of its own, on `tier`, keeping `reserve` for emergencies. */
  async function limitedComune(base: string, tier: string, reserve: number): Promise<Comune> {
    const c = await createComune(t, base);
    const portfolio = `capsplit-${uniq()}`;
    await db.query(`INSERT INTO business_portfolios (id, name, emergency_reserve) VALUES ($1, 'Portafoglio', $2)`, [portfolio, reserve]);
    await db.query(`UPDATE whatsapp_numbers SET business_portfolio_id = $2, messaging_tier = $3, mps_cap = 80 WHERE id = $1`, [
      c.number.id,
      portfolio,
      tier,
    ]);
    return c;
  }

  async function subscribers(c: Comune, n: number): Promise<string[]> {
    await db.query(
      `INSERT INTO subscribers (tenant_id, id, phone_e164, first_name, tags, status, source, activated_at)
       SELECT $1, gen_random_uuid(), '+39347' || lpad(i::text, 7, '0'), 'Mario', ARRAY['tutti'], 'active', 'import', now() - interval '30 days'
         FROM generate_series(1, $2::int) AS i`,
      [c.tenant.id, n],
    );
    await db.query(`ANALYZE subscribers`);
    return (await db.query(`SELECT id FROM subscribers WHERE tenant_id = $1 ORDER BY id`, [c.tenant.id])).rows.map((r: { id: string }) => r.id);
  }

  /** Contacts of the subscribers at these ranks (0-based, in the snapshot's order), with the given fields. */
  async function contacts(c: Comune, ranks: number[], fields: { lastInbound?: string; undeliverable?: number }): Promise<void> {
    await db.query(
      `INSERT INTO contacts (tenant_id, id, number_id, wa_id, last_inbound_at, undeliverable_count)
       SELECT $1, gen_random_uuid(), $2, ltrim(s.phone_e164, '+'), now() - $4::interval, $5
         FROM (SELECT phone_e164, row_number() OVER (ORDER BY id) - 1 AS rank FROM subscribers WHERE tenant_id = $1) s
        WHERE s.rank = ANY($3::int[])`,
      [c.tenant.id, c.number.id, ranks, fields.lastInbound ?? null, fields.undeliverable ?? 0],
    );
  }

  async function splitCampaign(c: Comune): Promise<string> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO campaigns (tenant_id, id, title, status, priority, number_id, body, variables, audience, category, capacity_mode, scheduled_at, requested_action)
       VALUES ($1, $2, 'Divisa', 'scheduled', 'normal', $3, 'Avviso.', '{}', '{"tags":["tutti"]}', 'utility', 'split', NULL, 'send')`,
      [c.tenant.id, id, c.number.id],
    );
    return id;
  }

  /** The campaign's rows by their subscriber's rank, with the planned time as ms after the plan's start. */
  async function rowsByRank(c: Comune, id: string, ranked: string[]) {
    const start = Date.parse((await db.query(`SELECT snapshot_plan->>'start' AS start FROM campaigns WHERE id = $1`, [id])).rows[0].start);
    const rows: { id: string; subscriber_id: string; status: string; at: number | null }[] = (
      await db.query(
        `SELECT id, subscriber_id, status, (extract(epoch FROM next_attempt_at) * 1000)::float8 AS at
           FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2`,
        [c.tenant.id, id],
      )
    ).rows;
    const rank = new Map(ranked.map((s, i) => [s, i]));
    return rows
      .map((r) => ({ ...r, rank: rank.get(r.subscriber_id)!, after: r.at === null ? null : Number(r.at) - start }))
      .sort((a, b) => a.rank - b.rank);
  }

  it('sends now exactly the in-window recipients when no capacity is left, and defers the others', async () => {
    // The reviewer's case: the first 10 by id never wrote to the comune, the last 10 did a minute ago.
    const c = await limitedComune('capsplit-zero', 'tier_250', 250);
    const ranked = await subscribers(c, 20);
    await contacts(
      c,
      ranked.map((_, i) => i).filter((i) => i >= 10),
      { lastInbound: '1 minute' },
    );
    const id = await splitCampaign(c);
    const campaigns = t.app.get(CampaignsService);
    const est = await campaigns.estimate(c.tenant.id, id);
    expect(est).toMatchObject({ sendNow: 10, deferredByCapacity: 10, outsideWindow: 10 });
    expect(est.capacity.available).toBe(0);

    await campaigns.start(c.tenant.id, id);

    const rows = await rowsByRank(c, id, ranked);
    expect(rows).toHaveLength(20);
    const now = rows.filter((r) => r.after !== null && r.after < DAY_MS).map((r) => r.rank);
    expect(now).toEqual(ranked.map((_, i) => i).filter((i) => i >= 10));
    const campaign = (await db.query(`SELECT targeted, skipped, deferred FROM campaigns WHERE id = $1`, [id])).rows[0];
    expect(campaign).toEqual({ targeted: 20, skipped: 0, deferred: 10 });
  }, 60_000);

  it('counts the capacity over every chunk, leaves skipped recipients out of it, and plans the deferred ones in their own order', async () => {
    // 20,000 recipients at 80/s: chunks of 100, 1,600 and 18,300, the last written whole (without a
    // capacity split it would go in two pieces at once). A quarter wrote within the day; some have a
    // contact whose last message is older; a few are unreachable. 250 may go now outside the window.
    const N = 20_000;
    const AVAILABLE = 250;
    const UNREACHABLE = [2, 50, 103, 1_650, 9_001, 19_999];
    const c = await limitedComune('capsplit-chunks', 'tier_250', 0);
    const ranked = await subscribers(c, N);
    const all = ranked.map((_, i) => i);
    const inWindow = new Set(all.filter((i) => i % 4 === 0));
    await contacts(c, [...inWindow], { lastInbound: '1 hour' });
    await contacts(
      c,
      all.filter((i) => i % 4 === 1 && !UNREACHABLE.includes(i)),
      { lastInbound: '2 days' },
    );
    await contacts(c, UNREACHABLE, { undeliverable: 5 });
    await db.query(`ANALYZE contacts`);
    const id = await splitCampaign(c);

    await t.app.get(CampaignsService).start(c.tenant.id, id);

    const outside = all.filter((i) => !inWindow.has(i) && !UNREACHABLE.includes(i));
    const campaign = (await db.query(`SELECT targeted, skipped, deferred, snapshot_done_at FROM campaigns WHERE id = $1`, [id])).rows[0];
    expect(campaign).toMatchObject({ targeted: N, skipped: UNREACHABLE.length, deferred: outside.length - AVAILABLE });
    expect(campaign.snapshot_done_at).not.toBeNull();

    const rows = await rowsByRank(c, id, ranked);
    expect(rows).toHaveLength(N);
    expect(rows.filter((r) => r.status === 'skipped').map((r) => r.rank)).toEqual(UNREACHABLE);
    const queued = rows.filter((r) => r.status === 'queued');
    const now = queued.filter((r) => r.after! < DAY_MS);
    const later = queued.filter((r) => r.after! >= DAY_MS);
    // Everyone in the window now; of the others, the first AVAILABLE by id, whatever chunk they fell in.
    expect(now.filter((r) => inWindow.has(r.rank))).toHaveLength(inWindow.size);
    expect(now.filter((r) => !inWindow.has(r.rank)).map((r) => r.rank)).toEqual(outside.slice(0, AVAILABLE));
    expect(later.map((r) => r.rank)).toEqual(outside.slice(AVAILABLE));

    // Those going now keep the slot of their place in the audience; the deferred ones follow each
    // other from a day after the start, in id order, across chunks.
    const interval = 1000 / (80 * t.config.whatsapp.pacingShare);
    for (const r of now) expect(r.after!).toBeCloseTo(r.rank * interval, 0);
    later.forEach((r, k) => expect(r.after!).toBeCloseTo(DAY_MS + k * interval, 0));

    // Every queued row in exactly one job, and no job mixes rows going now with deferred ones.
    const deferredIds = new Set(later.map((r) => r.id));
    const queuedIds = new Set(queued.map((r) => r.id));
    const carried: string[] = [];
    for (const key of await redis.keys(`${prefix}:outbound:*`)) {
      if ((await redis.type(key)) !== 'hash') continue;
      const data = await redis.hget(key, 'data');
      if (!data) continue;
      const ids = (JSON.parse(data) as { outboundIds: string[] }).outboundIds.filter((x) => queuedIds.has(x));
      if (ids.length === 0) continue;
      expect(new Set(ids.map((x) => deferredIds.has(x))).size).toBe(1);
      carried.push(...ids);
    }
    expect(carried).toHaveLength(queued.length);
    expect(new Set(carried)).toEqual(queuedIds);
  }, 120_000);
});
