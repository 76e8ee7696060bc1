import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Client } from 'pg';
import { CampaignRepository } from '#database';
import { CampaignsService } from '#domain';
import { ownerClient } from '../support/database.js';
import { createComune, uniq, type Comune } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const RECIPIENTS = 25_000;
/** Subscribers whose contact is flagged unreachable: skipped rows in the first, second, big and last chunks. */
const UNREACHABLE = [50, 1_650, 10_000, 21_000, 24_990];

/**
 * A snapshot large enough that its rest ends in two chunks (chunkLimit), started in-process with
 * no worker: the rows and the jobs it leaves in Redis are what is checked. The campaigns are
 * scheduled with no scheduled_at: the sweep (CampaignsService.runDue) starts every due campaign
 * of the database, and other test files run it at the same time; only these tests' start may.
 */
describe('campaign snapshot', () => {
  let t: TestApp;
  let db: Client;
  let redis: Redis;
  let c: Comune;
  const prefix = `{araldo-test-snapshot-${uniq()}}`;

  beforeAll(async () => {
    t = await createTestApp({ REDIS_KEY_PREFIX: prefix });
    db = await ownerClient(t.config);
    redis = new Redis(t.config.redis.url);
    c = await createComune(t, 'snapshot');
  }, 60_000);
  afterAll(async () => {
    for (const key of await redis.keys(`${prefix}*`)) await redis.del(key);
    await redis.quit();
    await db.end();
    await t.close();
  });

  it('writes 25,000 recipients in chunks of 100, 1,600, 19,805 (two pieces at once) and 3,495, each once, and enqueues every queued row in exactly one job', async () => {
    const tenantId = c.tenant.id;
    await db.query(`UPDATE whatsapp_numbers SET mps_cap = 80, messaging_tier = 'unlimited' WHERE id = $1`, [c.number.id]);
    await db.query(
      `INSERT INTO subscribers (tenant_id, id, phone_e164, first_name, tags, status, source, activated_at)
       SELECT $1, gen_random_uuid(), '+39347' || lpad(i::text, 7, '0'), 'Mario', ARRAY['tutti'], 'active', 'import', now() - interval '30 days'
         FROM generate_series(1, $2::int) AS i`,
      [tenantId, RECIPIENTS],
    );
    // The audience goes by subscriber id: the unreachable ones are picked by their rank in it.
    await db.query(
      `INSERT INTO contacts (tenant_id, id, number_id, wa_id, undeliverable_count)
       SELECT $1, gen_random_uuid(), $2, ltrim(s.phone_e164, '+'), 5
         FROM (SELECT phone_e164, row_number() OVER (ORDER BY id) AS rn FROM subscribers WHERE tenant_id = $1) s
        WHERE s.rn = ANY($3::int[])`,
      [tenantId, c.number.id, UNREACHABLE],
    );
    await db.query(`ANALYZE subscribers, contacts`);
    const id = randomUUID();
    await db.query(
      `INSERT INTO campaigns (tenant_id, id, title, status, priority, number_id, body, variables, audience, category, scheduled_at, requested_action)
       VALUES ($1, $2, 'Grande', 'scheduled', 'normal', $3, 'Via Roma chiusa domani.', '{}', '{"tags":["tutti"]}', 'utility', NULL, 'send')`,
      [tenantId, id, c.number.id],
    );

    await t.app.get(CampaignsService).start(tenantId, id);

    const campaign = (await db.query(`SELECT status, targeted, skipped, snapshot_done_at FROM campaigns WHERE id = $1`, [id])).rows[0];
    expect(campaign).toMatchObject({ status: 'sending', targeted: RECIPIENTS, skipped: UNREACHABLE.length });
    expect(campaign.snapshot_done_at).not.toBeNull();
    const rows: { id: string; subscriber_id: string; status: string; error_action: string | null; at: string | null }[] = (
      await db.query(
        `SELECT id, subscriber_id, status, error_action, (extract(epoch FROM next_attempt_at) * 1000)::float8 AS at
           FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2`,
        [tenantId, id],
      )
    ).rows;
    expect(rows).toHaveLength(RECIPIENTS);
    expect(new Set(rows.map((r) => r.subscriber_id)).size).toBe(RECIPIENTS);
    const skipped = rows.filter((r) => r.status === 'skipped');
    expect(skipped.map((r) => r.error_action)).toEqual(UNREACHABLE.map(() => 'unreachable'));
    const queued = rows.filter((r) => r.status === 'queued');
    expect(queued).toHaveLength(RECIPIENTS - UNREACHABLE.length);

    // Each chunk (or piece of one) is a run of ids with one prefix; in planned order the runs are the
    // chunks, the 19,805 one written as two pieces of 9,903 and 9,902 on two connections.
    const runs = new Map<string, { first: number; size: number }>();
    for (const r of rows) {
      const run = runs.get(r.id.slice(0, 24)) ?? { first: Infinity, size: 0 };
      run.size++;
      if (r.at !== null) run.first = Math.min(run.first, Number(r.at));
      runs.set(r.id.slice(0, 24), run);
    }
    expect([...runs.values()].sort((a, b) => a.first - b.first).map((r) => r.size)).toEqual([100, 1_600, 9_903, 9_902, 3_495]);
    // One planned slot per row of the audience, skipped ones included, never two rows on one.
    const times = queued.map((r) => Number(r.at)).sort((a, b) => a - b);
    expect(new Set(times).size).toBe(times.length);
    const interval = 1000 / (80 * t.config.whatsapp.pacingShare);
    expect(times[times.length - 1] - times[0]).toBeCloseTo((RECIPIENTS - 1) * interval, -1);

    // The jobs in Redis carry every queued row exactly once, and no skipped one.
    const carried: string[] = [];
    for (const key of await redis.keys(`${prefix}:outbound:*`)) {
      if ((await redis.type(key)) !== 'hash') continue;
      const data = await redis.hget(key, 'data');
      if (data) carried.push(...(JSON.parse(data) as { outboundIds: string[] }).outboundIds);
    }
    expect(carried).toHaveLength(queued.length);
    expect(new Set(carried)).toEqual(new Set(queued.map((r) => r.id)));
  }, 120_000);

  it('cuts a chunk at the n-th subscriber of the audience', async () => {
    const tenantId = c.tenant.id;
    const campaigns = t.app.get(CampaignRepository);
    const id = randomUUID();
    await db.query(
      `INSERT INTO campaigns (tenant_id, id, title, status, priority, number_id, body, variables, audience, category, requested_action)
       VALUES ($1, $2, 'Pezzi', 'sending', 'normal', $3, 'Via Roma chiusa.', '{}', '{"tags":["tutti"]}', 'utility', 'send')`,
      [tenantId, id, c.number.id],
    );
    const campaign = await campaigns.findById(tenantId, id);
    if (!campaign) throw new Error('campaign not found');
    const ids: string[] = (
      await db.query(`SELECT id FROM subscribers WHERE tenant_id = $1 AND status = 'active' ORDER BY id LIMIT 12`, [tenantId])
    ).rows.map((r: { id: string }) => r.id);
    expect(await campaigns.audienceSubscriberAt(tenantId, campaign, null, 1)).toBe(ids[0]);
    expect(await campaigns.audienceSubscriberAt(tenantId, campaign, ids[1], 10)).toBe(ids[11]);
    expect(await campaigns.audienceSubscriberAt(tenantId, campaign, null, RECIPIENTS + 1)).toBeNull();
  });

  it('creates the contacts it lacks in the order of their unique key', async () => {
    // Two statements creating the same contacts in different orders (the two pieces of a chunk, two
    // campaigns on one number) can deadlock; in one order they wait for each other instead. The
    // phones go in an order of their own, neither the subscribers' ids nor their insertion.
    const comune = await createComune(t, 'contacts-order');
    const tenantId = comune.tenant.id;
    await db.query(`UPDATE whatsapp_numbers SET mps_cap = 80, messaging_tier = 'unlimited' WHERE id = $1`, [comune.number.id]);
    await db.query(
      `INSERT INTO subscribers (tenant_id, id, phone_e164, first_name, tags, status, source, activated_at)
       SELECT $1, gen_random_uuid(), '+39346' || lpad(((i * 7919) % 100003)::text, 7, '0'), 'Paolo', ARRAY['tutti'], 'active', 'import', now() - interval '30 days'
         FROM generate_series(1, 100) AS i`,
      [tenantId],
    );
    const log = `araldo_test_contacts_${uniq()}`;
    await db.query(`CREATE TABLE ${log} (n bigserial PRIMARY KEY, wa_id text)`);
    await db.query(
      `CREATE FUNCTION ${log}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
       BEGIN
         IF NEW.tenant_id = '${tenantId}' THEN INSERT INTO ${log} (wa_id) VALUES (NEW.wa_id); END IF;
         RETURN NEW;
       END $$`,
    );
    await db.query(`CREATE TRIGGER ${log} BEFORE INSERT ON contacts FOR EACH ROW EXECUTE FUNCTION ${log}()`);
    try {
      const id = randomUUID();
      await db.query(
        `INSERT INTO campaigns (tenant_id, id, title, status, priority, number_id, body, variables, audience, category, scheduled_at, requested_action)
         VALUES ($1, $2, 'Contatti', 'scheduled', 'normal', $3, 'Via Roma chiusa.', '{}', '{"tags":["tutti"]}', 'utility', NULL, 'send')`,
        [tenantId, id, comune.number.id],
      );
      await t.app.get(CampaignsService).start(tenantId, id);
      // One chunk of 100: one statement created them all.
      const created: string[] = (await db.query(`SELECT wa_id FROM ${log} ORDER BY n`)).rows.map((r: { wa_id: string }) => r.wa_id);
      expect(created).toHaveLength(100);
      expect(created).toEqual([...created].sort());
      const unattached = await db.query(`SELECT 1 FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2 AND contact_id IS NULL`, [
        tenantId,
        id,
      ]);
      expect(unattached.rowCount).toBe(0);
    } finally {
      await db.query(`DROP TRIGGER IF EXISTS ${log} ON contacts`);
      await db.query(`DROP FUNCTION IF EXISTS ${log}()`);
      await db.query(`DROP TABLE IF EXISTS ${log}`);
    }
  });

  describe('a chunk written in two pieces, when one of them fails', () => {
    const FAIL_FN = `araldo_test_fail_${uniq().replace(/\W/g, '_')}`;

    /** 20,000 recipients at 80/s: chunks of 100 and 1,600, then the rest, 18,300, as two pieces of 9,150. */
    async function comuneWithAudience(base: string): Promise<{ comune: Comune; ranked: string[]; campaignId: string }> {
      const comune = await createComune(t, base);
      const tenantId = comune.tenant.id;
      await db.query(`UPDATE whatsapp_numbers SET mps_cap = 80, messaging_tier = 'unlimited' WHERE id = $1`, [comune.number.id]);
      await db.query(
        `INSERT INTO subscribers (tenant_id, id, phone_e164, first_name, tags, status, source, activated_at)
         SELECT $1, gen_random_uuid(), '+39348' || lpad(i::text, 7, '0'), 'Anna', ARRAY['tutti'], 'active', 'import', now() - interval '30 days'
           FROM generate_series(1, 20000) AS i`,
        [tenantId],
      );
      await db.query(`ANALYZE subscribers`);
      const ranked = (await db.query(`SELECT id FROM subscribers WHERE tenant_id = $1 ORDER BY id`, [tenantId])).rows.map(
        (r: { id: string }) => r.id,
      );
      const campaignId = randomUUID();
      await db.query(
        `INSERT INTO campaigns (tenant_id, id, title, status, priority, number_id, body, variables, audience, category, scheduled_at, requested_action)
         VALUES ($1, $2, 'Pezzi', 'scheduled', 'normal', $3, 'Via Roma chiusa domani.', '{}', '{"tags":["tutti"]}', 'utility', NULL, 'send')`,
        [tenantId, campaignId, comune.number.id],
      );
      return { comune, ranked, campaignId };
    }

    /** The INSERT of this subscriber's row fails once (a sequence, not rolled back with it). */
    async function failOnce(subscriberId: string): Promise<void> {
      await db.query(`CREATE SEQUENCE IF NOT EXISTS ${FAIL_FN}_seq`);
      await db.query(
        `CREATE OR REPLACE FUNCTION ${FAIL_FN}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
         BEGIN
           IF NEW.subscriber_id = '${subscriberId}' AND nextval('${FAIL_FN}_seq') = 1 THEN RAISE EXCEPTION 'injected failure'; END IF;
           RETURN NEW;
         END $$`,
      );
      await db.query(`CREATE TRIGGER ${FAIL_FN} BEFORE INSERT ON outbound_messages FOR EACH ROW EXECUTE FUNCTION ${FAIL_FN}()`);
    }

    afterEach(async () => {
      await db.query(`DROP TRIGGER IF EXISTS ${FAIL_FN} ON outbound_messages`);
      await db.query(`DROP FUNCTION IF EXISTS ${FAIL_FN}()`);
      await db.query(`DROP SEQUENCE IF EXISTS ${FAIL_FN}_seq`);
    });

    async function snapshotOf(tenantId: string, campaignId: string) {
      const campaign = (await db.query(`SELECT status, targeted, snapshot_done_at FROM campaigns WHERE id = $1`, [campaignId])).rows[0];
      const rows: { id: string; subscriber_id: string; at: string }[] = (
        await db.query(
          `SELECT id, subscriber_id, (extract(epoch FROM next_attempt_at) * 1000)::float8 AS at FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2`,
          [tenantId, campaignId],
        )
      ).rows;
      const runs = new Map<string, { first: number; size: number }>();
      for (const r of rows) {
        const run = runs.get(r.id.slice(0, 24)) ?? { first: Infinity, size: 0 };
        run.size++;
        run.first = Math.min(run.first, Number(r.at));
        runs.set(r.id.slice(0, 24), run);
      }
      const sizes = [...runs.values()].sort((a, b) => a.first - b.first).map((r) => r.size);
      const times = rows.map((r) => Number(r.at));
      return { campaign, rows, sizes, distinctSubscribers: new Set(rows.map((r) => r.subscriber_id)).size, distinctTimes: new Set(times).size };
    }

    /** The whole audience written: complete, every subscriber once, one planned slot per row. */
    async function expectWholeSnapshot(tenantId: string, campaignId: string) {
      const snap = await snapshotOf(tenantId, campaignId);
      expect(snap.campaign).toMatchObject({ status: 'sending', targeted: 20_000 });
      expect(snap.campaign.snapshot_done_at).not.toBeNull();
      expect(snap.rows).toHaveLength(20_000);
      expect(snap.distinctSubscribers).toBe(20_000);
      expect(snap.distinctTimes).toBe(20_000);
      return snap;
    }

    it('the second piece rolls back and the next chunk writes its subscribers', async () => {
      const { comune, ranked, campaignId } = await comuneWithAudience('pezzo-b');
      await failOnce(ranked[1_700 + 9_150 + 4_000]);
      await t.app.get(CampaignsService).start(comune.tenant.id, campaignId);
      // The failure did happen (in the second piece: the start went through).
      expect((await db.query(`SELECT is_called FROM ${FAIL_FN}_seq`)).rows[0].is_called).toBe(true);
      // One planned slot per row: the rewritten rows are numbered after the first piece's.
      const snap = await expectWholeSnapshot(comune.tenant.id, campaignId);
      expect(snap.sizes).toEqual([100, 1_600, 9_150, 9_150]);
    }, 60_000);

    it('a subscriber who joins before the cut once it is found takes a row and leaves none out', async () => {
      const { comune, ranked, campaignId } = await comuneWithAudience('pezzo-c');
      const tenantId = comune.tenant.id;
      // An id between two subscribers of the first piece (the next after ranked[1,705]).
      const before = ranked[1_705];
      const joinerId = `${before.slice(0, 24)}${(BigInt(`0x${before.slice(24)}`) + 1n).toString(16).padStart(12, '0')}`;
      expect(joinerId > before && joinerId < ranked[1_706]).toBe(true);
      // The subscriber commits just after the cut is found, before the pieces' INSERTs read the
      // audience: the real look-up, with the join put in its way.
      const repo = t.app.get(CampaignRepository);
      const cutAt = repo.audienceSubscriberAt;
      let cuts = 0;
      repo.audienceSubscriberAt = async function (...args) {
        const cut = await cutAt.apply(this, args);
        if (cuts++ === 0) {
          await db.query(
            `INSERT INTO subscribers (tenant_id, id, phone_e164, first_name, tags, status, source, activated_at)
             VALUES ($1, $2, '+393499999999', 'Nuovo', ARRAY['tutti'], 'active', 'keyword', now())`,
            [tenantId, joinerId],
          );
        }
        return cut;
      };
      try {
        await t.app.get(CampaignsService).start(tenantId, campaignId);
      } finally {
        repo.audienceSubscriberAt = cutAt;
      }
      expect(cuts).toBe(1);
      const snap = await snapshotOf(tenantId, campaignId);
      expect(snap.campaign).toMatchObject({ status: 'sending', targeted: 20_001 });
      expect(snap.campaign.snapshot_done_at).not.toBeNull();
      expect(snap.rows).toHaveLength(20_001);
      // Everyone, the subscriber at the cut included, exactly once, each on a slot of their own.
      expect(new Set(snap.rows.map((r) => r.subscriber_id))).toEqual(new Set([...ranked, joinerId]));
      expect(snap.distinctTimes).toBe(20_001);
    }, 60_000);

    it('the first piece fails, the second does not commit, and the next start goes on from the last chunk', async () => {
      const { comune, ranked, campaignId } = await comuneWithAudience('pezzo-a');
      await failOnce(ranked[1_700 + 4_000]);
      const campaigns = t.app.get(CampaignsService);
      await expect(campaigns.start(comune.tenant.id, campaignId)).rejects.toThrow('injected failure');
      const stopped = await snapshotOf(comune.tenant.id, campaignId);
      expect(stopped.campaign).toMatchObject({ status: 'sending', targeted: 1_700, snapshot_done_at: null });
      expect(stopped.rows).toHaveLength(1_700);

      // As the retried start job or the sweep would.
      await campaigns.start(comune.tenant.id, campaignId);
      await expectWholeSnapshot(comune.tenant.id, campaignId);
    }, 60_000);
  });
});
