import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Client } from 'pg';
import type { UserId } from '#common';
import { CampaignsService, NumberPacer } from '#domain';
import { ownerClient } from '../support/database.js';
import { createComune, uniq, type Comune } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** Starts racing the sweep and a cancel, run in-process with no worker. */
describe('campaign lifecycle', () => {
  let t: TestApp;
  let db: Client;
  let redis: Redis;
  const prefix = `{araldo-test-lifecycle-${uniq()}}`;

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

  async function comuneWithSubscribers(base: string): Promise<Comune> {
    const c = await createComune(t, base);
    await db.query(`UPDATE whatsapp_numbers SET mps_cap = 80, messaging_tier = 'unlimited' WHERE id = $1`, [c.number.id]);
    await db.query(
      `INSERT INTO subscribers (tenant_id, id, phone_e164, first_name, tags, status, source, activated_at)
       SELECT $1, gen_random_uuid(), '+39349' || lpad(i::text, 7, '0'), 'Lucia', ARRAY['tutti'], 'active', 'import', now() - interval '30 days'
         FROM generate_series(1, 5) AS i`,
      [c.tenant.id],
    );
    return c;
  }

  /** A scheduled campaign; `scheduledAt` null keeps it out of every sweep (other test files run it too). */
  async function scheduled(c: Comune, scheduledAt: string | null): Promise<string> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO campaigns (tenant_id, id, title, status, priority, number_id, body, variables, audience, category, scheduled_at, requested_action)
       VALUES ($1, $2, 'Avviso', 'scheduled', 'normal', $3, 'Mercato spostato in piazza.', '{}', '{"tags":["tutti"]}', 'utility', $4::timestamptz, 'send')`,
      [c.tenant.id, id, c.number.id, scheduledAt],
    );
    return id;
  }

  const statusOf = async (id: string): Promise<string> => (await db.query(`SELECT status FROM campaigns WHERE id = $1`, [id])).rows[0].status;

  it('the sweep goes on past a campaign whose start throws, and logs it without recipients', async () => {
    const a = await comuneWithSubscribers('sweep-a');
    const b = await comuneWithSubscribers('sweep-b');
    // Due for an hour and two: the failing one comes first in the sweep's order.
    const failing = await scheduled(a, new Date(Date.now() - 2 * 3600_000).toISOString());
    const other = await scheduled(b, new Date(Date.now() - 3600_000).toISOString());
    const campaigns = t.app.get(CampaignsService);
    const start = campaigns.start;
    campaigns.start = async function (tenantId, id) {
      if (id === failing) throw new Error('injected start failure');
      return start.call(this, tenantId, id);
    };
    try {
      await campaigns.runDue();
    } finally {
      campaigns.start = start;
    }
    expect(await statusOf(other)).toBe('sending');
    const logged = t.logs().filter((l) => l.event === 'campaign_start_failed');
    expect(logged).toContainEqual(expect.objectContaining({ tenantId: a.tenant.id, campaignId: failing, reason: 'injected start failure' }));
    expect(JSON.stringify(t.logs())).not.toMatch(/39349\d{7}|Mercato spostato/);
  }, 60_000);

  it('a cancel that read the campaign scheduled tells the workers to stop when a start committed meanwhile', async () => {
    const c = await comuneWithSubscribers('cancel-race');
    const tenantId = c.tenant.id;
    const id = await scheduled(c, null);
    const campaigns = t.app.get(CampaignsService);
    const pacer = t.app.get(NumberPacer);
    const stopped: string[] = [];
    const stopCampaign = pacer.stopCampaign;
    pacer.stopCampaign = async function (campaignId) {
      stopped.push(campaignId);
      return stopCampaign.call(this, campaignId);
    };
    // The cancel reads the campaign scheduled; the start job commits 'sending' and its first chunk
    // (whose batches are on their way to the workers) before the cancel's update.
    const get = campaigns.get;
    campaigns.get = async function (tenant, campaignId) {
      const read = await get.call(this, tenant, campaignId);
      await campaigns.start(tenant, campaignId);
      return read;
    };
    try {
      const cancelled = await campaigns.cancel(tenantId, { userId: c.admin.id as UserId, role: 'tenant_admin', tenantId }, id);
      expect(cancelled.status).toBe('cancelled');
    } finally {
      campaigns.get = get;
      pacer.stopCampaign = stopCampaign;
    }
    expect(stopped).toEqual([id]);
    const rows = (
      await db.query(`SELECT status, count(*)::int AS n FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2 GROUP BY status`, [
        tenantId,
        id,
      ])
    ).rows;
    expect(rows).toEqual([{ status: 'cancelled', n: 5 }]);
  }, 60_000);

  it('a cancel of a campaign that never started tells the workers nothing', async () => {
    const c = await comuneWithSubscribers('cancel-draft');
    const tenantId = c.tenant.id;
    const id = await scheduled(c, null);
    const campaigns = t.app.get(CampaignsService);
    const pacer = t.app.get(NumberPacer);
    const stopped: string[] = [];
    const stopCampaign = pacer.stopCampaign;
    pacer.stopCampaign = async function (campaignId) {
      stopped.push(campaignId);
      return stopCampaign.call(this, campaignId);
    };
    try {
      await campaigns.cancel(tenantId, { userId: c.admin.id as UserId, role: 'tenant_admin', tenantId }, id);
    } finally {
      pacer.stopCampaign = stopCampaign;
    }
    expect(stopped).toEqual([]);
    expect(await statusOf(id)).toBe('cancelled');
  }, 60_000);
});
