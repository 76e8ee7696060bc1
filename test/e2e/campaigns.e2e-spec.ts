import type { Client } from 'pg';
import { Clock, newId } from '#common';
import { OutboundMessageRepository, SubscriberRepository } from '#database';
import { CampaignSchedulesService, CampaignsService, ChannelMaintenanceService, QueueReconciler } from '#domain';
import { Redis } from 'ioredis';
import { startChannel, type Channel } from '../support/channel.js';
import { ownerClient } from '../support/database.js';
import { bearer, createOperator, type Comune } from '../support/factories.js';
import { campaignEnded, openWindow as openTheWindow, tenantApi } from '../support/tenant-api.js';
import { waitFor } from '../support/worker.js';

/**
 * Campaigns end to end: the api, the worker and the simulator as a real HTTP server. Who gets a
 * campaign, as what (free text inside the window, the approved template outside), exactly once;
 * the rules around it (approval, threshold, quiet hours, cap, schedules) and isolation.
 */
describe('campaigns', () => {
  let ch: Channel;
  let db: Client;
  let amaro: Comune;
  let cavazzo: Comune;
  let templateId: string;
  let emergenze: string;
  let viabilita: string;

  const http = () => ch.t.http();
  const post: ReturnType<typeof tenantApi>['post'] = (...args) => tenantApi(ch.t).post(...args);
  const get: ReturnType<typeof tenantApi>['get'] = (...args) => tenantApi(ch.t).get(...args);
  const put: ReturnType<typeof tenantApi>['put'] = (...args) => tenantApi(ch.t).put(...args);

  let seq = 0;
  const phone = () => `+39333${String(1_000_000 + ++seq * 7919 + Math.floor(Math.random() * 1000)).slice(0, 7)}`;
  const subscriber = async (c: Comune, lists: string[], profile: { firstName?: string; status?: 'active' | 'unsubscribed' | 'blocked' } = {}) => {
    const repo = ch.t.app.get(SubscriberRepository);
    const s = await repo.create(c.tenant.id, {
      id: newId(),
      phoneE164: phone(),
      waId: null,
      userId: null,
      source: 'editor',
      status: profile.status ?? 'active',
      firstName: profile.firstName ?? null,
    });
    if (lists.length > 0) await repo.subscribe(c.tenant.id, s.id, lists);
    await db.query(`UPDATE subscribers SET activated_at = now() WHERE id = $1`, [s.id]);
    return s;
  };
  const openWindow = (c: Comune, e164: string) => openTheWindow(ch, db, c, e164);
  const received = async (c: Comune) => ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId });
  /** Cavazzo's number at `mpsCap`, and `n` new subscribers tagged `tag`, each within the 24-hour window (free text). */
  const slowAudience = async (mpsCap: number, n: number, tag: string) => {
    await db.query(`UPDATE whatsapp_numbers SET mps_cap = $2 WHERE id = $1`, [cavazzo.number.id, mpsCap]);
    const many = await Promise.all(Array.from({ length: n }, () => subscriber(cavazzo, [])));
    await Promise.all(many.map((s) => openWindow(cavazzo, s.phoneE164!)));
    await db.query(`UPDATE subscribers SET tags = ARRAY[$2] WHERE id = ANY($1::uuid[])`, [many.map((s) => s.id), tag]);
    return many;
  };
  const stats = async (c: Comune, id: string) => (await get(c, c.editor, `/campaigns/${id}/stats`)).body as Record<string, unknown>;
  const completed = (c: Comune, id: string) => campaignEnded(ch.t, db, c, id);
  const list = async (c: Comune, slug: string) =>
    (await post(c, c.admin, '/lists', { slug, hashtag: `#${slug.toUpperCase()}`, name: slug }).expect(201)).body.id as string;

  beforeAll(async () => {
    ch = await startChannel({ UNKNOWN_OUTCOME_SETTLE_SECONDS: '3', STALE_SENDING_AFTER_SECONDS: '3' });
    db = await ownerClient(ch.t.config);
    amaro = await ch.comune('amaro');
    cavazzo = await ch.comune('cavazzo');
    await ch.sim.createTemplate({
      wabaId: amaro.number.wabaId,
      name: 'avviso_viabilita',
      language: 'it',
      category: 'UTILITY',
      body: 'Gentile {{1}}, {{2}}. Comune di Amaro.',
    });
    await post(amaro, amaro.admin, '/whatsapp-templates/sync').expect(200);
    emergenze = await list(amaro, 'emergenze');
    viabilita = await list(amaro, 'viabilita');
    const t = await post(amaro, amaro.editor, '/message-templates', {
      name: 'Chiusura strada',
      body: 'Gentile {{nome}}, {{avviso}}. Il {{comune}} ringrazia per la collaborazione.',
      whatsappTemplate: { name: 'avviso_viabilita', language: 'it', bodyParameters: ['nome', 'avviso'] },
    });
    expect(t.status).toBe(201);
    templateId = t.body.id as string;
  });
  afterAll(async () => {
    await db.end();
    await ch.close();
  });

  it('reaches every active subscriber of the list exactly once: text inside the window, the template outside, nobody else', async () => {
    const inWindow = await subscriber(amaro, [viabilita], { firstName: 'Zoë' });
    const outside = await Promise.all([1, 2, 3, 4, 5].map(() => subscriber(amaro, [viabilita], { firstName: 'Mario' })));
    const both = await subscriber(amaro, [viabilita, emergenze], { firstName: 'Anna' });
    const otherList = await subscriber(amaro, [emergenze]);
    const gone = await subscriber(amaro, [viabilita], { status: 'unsubscribed' });
    const blocked = await subscriber(amaro, [viabilita], { status: 'blocked' });
    const otherComune = await subscriber(cavazzo, []);
    await openWindow(amaro, inWindow.phoneE164!);

    const created = await post(amaro, amaro.editor, '/campaigns', {
      title: 'Chiusura via Roma',
      messageTemplateId: templateId,
      variables: { avviso: 'via Roma è chiusa domani dalle 8 alle 18 per lavori 🚧' },
      audience: { listIds: [viabilita] },
    }).expect(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ status: 'draft', category: 'utility', priority: 'normal' });

    const estimate = (await get(amaro, amaro.editor, `/campaigns/${id}/estimate`).expect(200)).body;
    expect(estimate.audience).toMatchObject({ total: 7, inWindow: 1 });
    expect(estimate.outsideWindow).toBe(6);
    expect(estimate.category).toBe('utility');

    await post(amaro, amaro.editor, `/campaigns/${id}/send`).expect(202);
    await completed(amaro, id);

    const msgs = (await received(amaro)).filter((m) => m.bizOpaqueCallbackData !== null);
    const to = msgs.map((m) => m.to.replace(/^\+/, ''));
    const expected = [inWindow, ...outside, both].map((s) => s.phoneE164!.slice(1));
    expect(to.sort()).toEqual(expected.sort());
    for (const s of [otherList, gone, blocked, otherComune]) expect(to).not.toContain(s.phoneE164!.slice(1));

    const text = msgs.find((m) => m.to === inWindow.phoneE164!)!;
    expect(text.type).toBe('text');
    expect(JSON.stringify(text.body)).toContain('Gentile Zoë, via Roma è chiusa domani dalle 8 alle 18 per lavori 🚧. Il Comune di amaro ringrazia');
    const tpl = msgs.find((m) => m.to === both.phoneE164!)!;
    expect(tpl.type).toBe('template');
    expect(JSON.stringify(tpl.body)).toContain('avviso_viabilita');
    expect(JSON.stringify(tpl.body)).toContain('Anna');

    const s = await stats(amaro, id);
    expect(s).toMatchObject({ targeted: 7, pending: 0, failed: 0, skipped: 0, progressPercent: 100 });
    // The rows record what each citizen got, and the snapshot is unique per (campaign, subscriber).
    const rows = await db.query(`SELECT subscriber_id, category, content FROM outbound_messages WHERE campaign_id = $1`, [id]);
    expect(new Set(rows.rows.map((r: { subscriber_id: string }) => r.subscriber_id)).size).toBe(7);
    expect(rows.rows.filter((r: { category: string }) => r.category === 'service')).toHaveLength(1);

    // Receipts from the simulator move the campaign's counters.
    await waitFor(async () => ((await stats(amaro, id)).delivered as number) >= 7 || null, 15_000, 'delivered receipts');

    const audit = await db.query(`SELECT action FROM audit_events WHERE tenant_id = $1 AND target_id = $2 ORDER BY occurred_at`, [
      amaro.tenant.id,
      id,
    ]);
    expect(audit.rows.map((r: { action: string }) => r.action)).toEqual(
      expect.arrayContaining(['campaign.created', 'campaign.sent', 'campaign.started']),
    );
  });

  it('refuses at creation a free-text campaign with recipients outside the window, and a missing variable, with the reason', async () => {
    await subscriber(amaro, [viabilita]);
    const free = await post(amaro, amaro.editor, '/campaigns', { title: 'Solo testo', body: 'Ciao {{nome}}', audience: { listIds: [viabilita] } });
    expect(free.status).toBe(400);
    expect(free.body.code).toBe('NO_APPROVED_TEMPLATE');
    expect(free.body.message).toMatch(/have not written to the comune in the last 24 hours/);

    const missing = await post(amaro, amaro.editor, '/campaigns', { title: 'Senza avviso', messageTemplateId: templateId, variables: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/avviso/);

    const both = await post(amaro, amaro.editor, '/campaigns', { title: 'x', body: 'x', messageTemplateId: templateId });
    expect(both.status).toBe(400);
  });

  it('another comune sees none of it: 404 on every campaign route, nothing changes', async () => {
    const c = await post(amaro, amaro.editor, '/campaigns', { title: 'Riservata', messageTemplateId: templateId, variables: { avviso: 'x' } }).expect(
      201,
    );
    const id = c.body.id as string;
    for (const path of [`/campaigns/${id}`, `/campaigns/${id}/estimate`, `/campaigns/${id}/stats`]) {
      expect((await get(cavazzo, cavazzo.admin, path)).status).toBe(404);
    }
    for (const path of ['send', 'pause', 'resume', 'cancel', 'approve']) {
      expect((await post(cavazzo, cavazzo.admin, `/campaigns/${id}/${path}`)).status).toBe(404);
    }
    // Amaro's template cannot be used by Cavazzo either.
    expect(
      (await post(cavazzo, cavazzo.editor, '/campaigns', { title: 'x', messageTemplateId: templateId, variables: { avviso: 'x' } })).status,
    ).toBe(404);
    expect((await get(amaro, amaro.editor, `/campaigns/${id}`)).body.status).toBe('draft');
  });

  it('waits for an admin where the comune requires approval, and blocks sending below the launch threshold unless overridden', async () => {
    await put(amaro, amaro.admin, '/campaign-settings', { requiresApproval: true }).expect(200);
    const c = await post(amaro, amaro.editor, '/campaigns', {
      title: 'Da approvare',
      messageTemplateId: templateId,
      variables: { avviso: 'mercato spostato' },
      audience: { listIds: [emergenze] },
    }).expect(201);
    const id = c.body.id as string;
    expect((await post(amaro, amaro.editor, `/campaigns/${id}/send`).expect(202)).body.status).toBe('awaiting_approval');
    expect((await post(amaro, amaro.editor, `/campaigns/${id}/approve`)).status).toBe(403);
    await post(amaro, amaro.admin, `/campaigns/${id}/approve`).expect(202);
    await completed(amaro, id);
    await put(amaro, amaro.admin, '/campaign-settings', { requiresApproval: false }).expect(200);

    // Threshold: Cavazzo wants 1,000 subscribers before its first broadcast.
    await put(cavazzo, cavazzo.admin, '/subscription-settings', { launchThreshold: 1000 });
    await db.query(
      `INSERT INTO subscription_settings (tenant_id, welcome_text, goodbye_text, help_text, launch_threshold)
                    VALUES ($1, 'b', 'a', 'h', 1000) ON CONFLICT (tenant_id) DO UPDATE SET launch_threshold = 1000`,
      [cavazzo.tenant.id],
    );
    const other = await subscriber(cavazzo, []);
    await openWindow(cavazzo, other.phoneE164!);
    await db.query(`UPDATE subscribers SET tags = '{benvenuti}' WHERE id = $1`, [other.id]);
    const k = await post(cavazzo, cavazzo.editor, '/campaigns', {
      title: 'Benvenuti',
      body: 'Ciao da {{comune}}',
      audience: { tags: ['benvenuti'] },
    }).expect(201);
    const blocked = await post(cavazzo, cavazzo.editor, `/campaigns/${k.body.id}/send`);
    expect(blocked.status).toBe(409);
    expect(blocked.body.message).toMatch(/launch threshold: \d+ of 1000 active subscribers/);
    await db.query(`UPDATE subscription_settings SET launch_override = true WHERE tenant_id = $1`, [cavazzo.tenant.id]);
    await post(cavazzo, cavazzo.editor, `/campaigns/${k.body.id}/send`).expect(202);
    await completed(cavazzo, k.body.id);
  });

  it('holds normal campaigns in quiet hours and lets emergencies through; the weekly cap skips with the reason', async () => {
    const clock = ch.worker.get(Clock);
    const s1 = await subscriber(amaro, [emergenze]);
    await put(amaro, amaro.admin, '/campaign-settings', { quietHoursStart: '21:00', quietHoursEnd: '08:00' }).expect(200);
    // 23:30 in Rome.
    clock.travelTo(new Date('2026-11-24T22:30:00Z'));
    ch.t.app.get(Clock).travelTo(new Date('2026-11-24T22:30:00Z'));
    try {
      const normal = await post(amaro, amaro.editor, '/campaigns', {
        title: 'Notturna',
        messageTemplateId: templateId,
        variables: { avviso: 'news' },
        audience: { listIds: [emergenze] },
      }).expect(201);
      await post(amaro, amaro.editor, `/campaigns/${normal.body.id}/send`).expect(202);
      await waitFor(async () => ((await get(amaro, amaro.editor, `/campaigns/${normal.body.id}`)).body.status === 'sending' ? true : null));
      const held = await waitFor(async () => {
        const r = await db.query(
          `SELECT next_attempt_at FROM outbound_messages WHERE campaign_id = $1 AND subscriber_id = $2 AND status = 'queued'`,
          [normal.body.id, s1.id],
        );
        const at = r.rows[0]?.next_attempt_at as Date | undefined;
        return at && at.getTime() > Date.now() + 60_000 ? at : null;
      });
      // Held to 08:00 Rome time, 8.5 hours after "now".
      expect(held.getTime() - Date.now()).toBeGreaterThan(8 * 3600_000);

      const urgent = await post(amaro, amaro.editor, '/campaigns', {
        title: 'Allerta',
        messageTemplateId: templateId,
        variables: { avviso: 'allerta rossa' },
        audience: { listIds: [emergenze] },
        priority: 'emergency',
      }).expect(201);
      await post(amaro, amaro.editor, `/campaigns/${urgent.body.id}/send`).expect(202);
      await completed(amaro, urgent.body.id);
      await post(amaro, amaro.editor, `/campaigns/${normal.body.id}/cancel`).expect(200);
      expect((await stats(amaro, normal.body.id)).cancelled).toBeGreaterThan(0);
    } finally {
      clock.reset();
      ch.t.app.get(Clock).reset();
      await put(amaro, amaro.admin, '/campaign-settings', { quietHoursStart: null, quietHoursEnd: null }).expect(200);
    }

    await put(amaro, amaro.admin, '/campaign-settings', { frequencyCapPerWeek: 1 }).expect(200);
    const capped = await post(amaro, amaro.editor, '/campaigns', {
      title: 'Troppe',
      messageTemplateId: templateId,
      variables: { avviso: 'ancora' },
      audience: { listIds: [viabilita] },
    }).expect(201);
    const est = (await get(amaro, amaro.editor, `/campaigns/${capped.body.id}/estimate`)).body;
    expect(est.audience.frequencyCapped).toBeGreaterThan(0);
    await post(amaro, amaro.editor, `/campaigns/${capped.body.id}/send`).expect(202);
    await completed(amaro, capped.body.id);
    const st = await stats(amaro, capped.body.id);
    expect(st.skipped).toBe(est.audience.frequencyCapped);
    expect(JSON.stringify(st.skippedByReason)).toMatch(/weekly limit/);
    await put(amaro, amaro.admin, '/campaign-settings', { frequencyCapPerWeek: null }).expect(200);
  });

  it('pauses, resumes and cancels mid-send without losing or repeating anyone', async () => {
    const many = await slowAudience(20, 60, 'lenta');
    const c = await post(cavazzo, cavazzo.editor, '/campaigns', {
      title: 'Lenta',
      body: 'Avviso per {{comune}}',
      audience: { tags: ['lenta'] },
    }).expect(201);
    const id = c.body.id as string;
    await post(cavazzo, cavazzo.editor, `/campaigns/${id}/send`).expect(202);
    await waitFor(async () => ((await stats(cavazzo, id)).sent as number) >= 10 || null);
    await post(cavazzo, cavazzo.editor, `/campaigns/${id}/pause`).expect(200);
    await new Promise((r) => setTimeout(r, 1500));
    const paused = (await stats(cavazzo, id)).sent as number;
    await new Promise((r) => setTimeout(r, 1000));
    expect((await stats(cavazzo, id)).sent).toBe(paused);
    expect(paused).toBeLessThan(many.length + 1);
    await post(cavazzo, cavazzo.editor, `/campaigns/${id}/resume`).expect(200);
    await completed(cavazzo, id);
    const got = (await received(cavazzo)).filter((m) => m.bizOpaqueCallbackData && JSON.stringify(m.body).includes('Avviso per'));
    const counts = new Map<string, number>();
    for (const m of got) counts.set(m.to, (counts.get(m.to) ?? 0) + 1);
    for (const s of many) expect(counts.get(s.phoneE164!)).toBe(1);
  });

  it('cancels mid-send: what the workers hold slots for does not go, and nothing is left queued', async () => {
    // 10/s: a batch is ten messages, a second of the number's traffic, its slots reserved before it sends.
    const many = await slowAudience(10, 40, 'annulla');
    const c = await post(cavazzo, cavazzo.editor, '/campaigns', {
      title: 'Annullata',
      body: 'Avviso da annullare per {{comune}}',
      audience: { tags: ['annulla'] },
    }).expect(201);
    const id = c.body.id as string;
    const mine = async () => (await received(cavazzo)).filter((m) => JSON.stringify(m.body).includes('Avviso da annullare'));
    await post(cavazzo, cavazzo.editor, `/campaigns/${id}/send`).expect(202);
    // Cancelled as soon as the first message arrives: its batch holds the next nine slots, the
    // next second's. Without telling the workers, all ten (and more) would go.
    await waitFor(async () => (await mine()).length, 15_000, 'the first message');
    await post(cavazzo, cavazzo.editor, `/campaigns/${id}/cancel`).expect(200);
    await new Promise((r) => setTimeout(r, 2500));
    const got = await mine();
    expect(got.length).toBeLessThan(8);
    expect(new Set(got.map((m) => m.to)).size).toBe(got.length);
    // Every message is settled: sent, or cancelled, the ones the workers had claimed included.
    const rows = (await db.query(`SELECT status, count(*)::int AS n FROM outbound_messages WHERE campaign_id = $1 GROUP BY status`, [id])).rows as {
      status: string;
      n: number;
    }[];
    const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    expect(by.queued ?? 0).toBe(0);
    expect(by.sending ?? 0).toBe(0);
    expect(by.cancelled).toBe(many.length - got.length);
    expect((await get(cavazzo, cavazzo.editor, `/campaigns/${id}`)).body.status).toBe('cancelled');
  });

  it("starts scheduled campaigns at their time in the comune's timezone and runs recurring schedules once per slot", async () => {
    const campaigns = ch.worker.get(CampaignsService);
    const schedules = ch.worker.get(CampaignSchedulesService);
    const future = new Date(Date.now() + 3 * 3600_000);
    const local = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Rome', dateStyle: 'short', timeStyle: 'short' })
      .format(future)
      .replace(' ', 'T');
    const c = await post(amaro, amaro.editor, '/campaigns', {
      title: 'Programmata',
      messageTemplateId: templateId,
      variables: { avviso: 'x' },
      audience: { listIds: [emergenze] },
    }).expect(201);
    const scheduled = await post(amaro, amaro.editor, `/campaigns/${c.body.id}/schedule`, { scheduledAt: local }).expect(202);
    expect(Math.abs(new Date(scheduled.body.scheduledAt as string).getTime() - future.getTime())).toBeLessThan(60_000);
    // Not due yet: it stays scheduled (runDue's count would include other tests' campaigns due now).
    await campaigns.runDue();
    expect((await get(amaro, amaro.editor, `/campaigns/${c.body.id}`)).body.status).toBe('scheduled');
    ch.worker.get(Clock).travelTo(new Date(future.getTime() + 60_000));
    try {
      await campaigns.runDue();
      await completed(amaro, c.body.id);

      const sched = await post(amaro, amaro.editor, '/campaign-schedules', {
        name: 'Notiziario',
        cron: '0 10 * * 2,5',
        campaign: { title: 'Notiziario', messageTemplateId: templateId, variables: { avviso: 'le notizie' }, audience: { listIds: [emergenze] } },
      }).expect(201);
      const next = new Date(sched.body.nextRunAt as string);
      expect([2, 5]).toContain(new Date(next.getTime()).getUTCDay());
      ch.worker.get(Clock).travelTo(new Date(next.getTime() + 30_000));
      expect(await schedules.runDue()).toBe(1);
      expect(await schedules.runDue()).toBe(0);
      const after = (await get(amaro, amaro.editor, '/campaign-schedules')).body as { id: string; lastCampaignId: string; nextRunAt: string }[];
      const mine = after.find((s) => s.id === sched.body.id)!;
      expect(new Date(mine.nextRunAt).getTime()).toBeGreaterThan(next.getTime());
      await completed(amaro, mine.lastCampaignId);
    } finally {
      ch.worker.get(Clock).reset();
    }
  });

  it('survives Redis losing every key mid-campaign (a FLUSHALL): the queues are rebuilt from Postgres, each recipient gets it once', async () => {
    const many = await slowAudience(30, 300, 'flush');
    const c = await post(cavazzo, cavazzo.editor, '/campaigns', {
      title: 'Flush',
      body: 'Prova di resistenza {{comune}}',
      audience: { tags: ['flush'] },
    }).expect(201);
    const id = c.body.id as string;
    await post(cavazzo, cavazzo.editor, `/campaigns/${id}/send`).expect(202);
    await waitFor(async () => ((await stats(cavazzo, id)).sent as number) >= 50 || null);
    // A FLUSHALL limited to this test's key prefix: other suites share the Redis server.
    const redis = new Redis(ch.t.config.redis.url);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${ch.t.config.redis.keyPrefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    // Every worker checks this every few seconds; here it is called at once. The first check finds
    // PostgreSQL unreachable (as when both crash together): it fails, and leaves the rebuild to the next.
    const reconciler = ch.worker.get(QueueReconciler);
    const repo = ch.worker.get(OutboundMessageRepository);
    const listPage = repo.listQueuedPageUnscoped.bind(repo);
    repo.listQueuedPageUnscoped = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    try {
      await expect(reconciler.check()).rejects.toThrow('ECONNREFUSED');
    } finally {
      repo.listQueuedPageUnscoped = listPage;
    }
    const rebuilt = await reconciler.check();
    expect(rebuilt).toBeGreaterThan(0);
    expect(await reconciler.check()).toBe(0);
    // Rows a killed job had claimed wait for the stale-sending rule, then for the settle period.
    const maintenance = ch.worker.get(ChannelMaintenanceService);
    await waitFor(
      async () => {
        await maintenance.sweep();
        return (await get(cavazzo, cavazzo.editor, `/campaigns/${id}`)).body.status === 'completed' || null;
      },
      60_000,
      'campaign completed after the flush',
    );
    const got = (await received(cavazzo)).filter((m) => JSON.stringify(m.body).includes('Prova di resistenza'));
    const counts = new Map<string, number>();
    for (const m of got) counts.set(m.to, (counts.get(m.to) ?? 0) + 1);
    for (const s of many) expect(counts.get(s.phoneE164!)).toBe(1);
    expect((await stats(cavazzo, id)).failed).toBe(0);
  });

  it('stops a comune the consortium suspends: its campaign going out pauses, nothing new goes, a scheduled one fails at its time', async () => {
    const operator = await createOperator(ch.t);
    const c = await ch.comune('sospeso');
    await db.query(`UPDATE whatsapp_numbers SET mps_cap = 10 WHERE id = $1`, [c.number.id]);
    const many = await Promise.all(Array.from({ length: 40 }, () => subscriber(c, [])));
    await Promise.all(many.map((s) => openWindow(c, s.phoneE164!)));
    const draft = async (title: string) =>
      (await post(c, c.editor, '/campaigns', { title, body: `${title} per {{comune}}`, audience: {} }).expect(201)).body.id as string;
    const going = await draft('In corso');
    const later = await draft('Programmata');
    const waiting = await draft('Bozza');
    await post(c, c.editor, `/campaigns/${going}/send`).expect(202);
    await waitFor(async () => ((await stats(c, going)).sent as number) >= 1 || null);
    const at = new Date(Date.now() + 3600_000);
    await post(c, c.editor, `/campaigns/${later}/schedule`, { scheduledAt: at.toISOString() }).expect(202);

    const tenantPatch = (status: string) =>
      http()
        .patch(`/api/v1/tenants/${c.tenant.slug}`)
        .set(...bearer(operator))
        .send({ status })
        .expect(200);
    await tenantPatch('suspended');
    expect((await get(c, c.editor, `/campaigns/${going}`)).body.status).toBe('paused');
    await new Promise((r) => setTimeout(r, 1500));
    const sentBefore = (await stats(c, going)).sent as number;
    await new Promise((r) => setTimeout(r, 1000));
    expect((await stats(c, going)).sent).toBe(sentBefore);
    expect(sentBefore).toBeLessThan(many.length);
    const audit = await db.query(
      `SELECT actor_user_id, actor_role, details FROM audit_events WHERE tenant_id = $1 AND target_id = $2 AND action = 'campaign.paused'`,
      [c.tenant.id, going],
    );
    expect(audit.rows).toEqual([{ actor_user_id: operator.id, actor_role: 'operator', details: { reason: 'comune suspended' } }]);

    // Nothing new goes, with the reason.
    for (const res of [
      await post(c, c.editor, `/campaigns/${waiting}/send`),
      await post(c, c.editor, `/campaigns/${going}/resume`),
      await post(c, c.editor, `/campaigns/${waiting}/test`, { to: '+393331234567' }),
    ]) {
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'TENANT_SUSPENDED', message: expect.stringContaining('suspended') });
    }
    // The scheduled one, at its time: failed, with the reason. Its time is moved to now and only it
    // is started (a global runDue, or a clock moved forward, would act on other test files' rows).
    await db.query(`UPDATE campaigns SET scheduled_at = now() - interval '1 second' WHERE tenant_id = $1 AND id = $2`, [c.tenant.id, later]);
    await ch.worker.get(CampaignsService).start(c.tenant.id, later);
    expect((await get(c, c.editor, `/campaigns/${later}`)).body).toMatchObject({
      status: 'failed',
      failureReason: expect.stringContaining('suspended by the consortium'),
    });

    // Live again: the editor resumes, and everyone gets the paused campaign once.
    await tenantPatch('live');
    await post(c, c.editor, `/campaigns/${going}/resume`).expect(200);
    await completed(c, going);
    const got = (await received(c)).filter((m) => JSON.stringify(m.body).includes('In corso per'));
    expect(got.map((m) => m.to).sort()).toEqual(many.map((s) => s.phoneE164!).sort());
  });

  it('sends a consortium alert to several comuni, each from its own number, and reports a comune that cannot take it', async () => {
    const operator = await createOperator(ch.t);
    const verzegnis = await ch.comune('verzegnis');
    for (const c of [cavazzo]) {
      await ch.sim.createTemplate({
        wabaId: c.number.wabaId,
        name: 'avviso_viabilita',
        language: 'it',
        category: 'UTILITY',
        body: 'Gentile {{1}}, {{2}}. Comune di Amaro.',
      });
      await post(c, c.admin, '/whatsapp-templates/sync').expect(200);
      await post(c, c.editor, '/message-templates', {
        name: 'chiusura strada',
        body: 'Gentile {{nome}}, {{avviso}}.',
        whatsappTemplate: { name: 'avviso_viabilita', language: 'it', bodyParameters: ['nome', 'avviso'] },
      }).expect(201);
    }
    const a1 = await subscriber(amaro, [emergenze]);
    const c1 = await subscriber(cavazzo, []);
    const alert = await http()
      .post('/api/v1/consortium-alerts')
      .set(...bearer(operator))
      .send({
        title: 'Allerta meteo regionale',
        messageTemplateName: 'Chiusura Strada',
        variables: { avviso: 'allerta arancione per temporali fino alle 20' },
        tenants: [amaro.tenant.slug, cavazzo.tenant.slug, verzegnis.tenant.slug],
      })
      .expect(201);
    const shares = alert.body.shares as { tenant: string; campaignId: string | null; error: string | null }[];
    expect(shares.find((x) => x.tenant === verzegnis.tenant.slug)).toMatchObject({
      campaignId: null,
      error: expect.stringMatching(/Chiusura Strada/),
    });
    const ok = shares.filter((x) => x.campaignId);
    expect(ok).toHaveLength(2);
    await completed(amaro, ok.find((x) => x.tenant === amaro.tenant.slug)!.campaignId!);
    await completed(cavazzo, ok.find((x) => x.tenant === cavazzo.tenant.slug)!.campaignId!);
    // Each citizen got it from their own comune's number.
    expect((await received(amaro)).some((m) => m.to === a1.phoneE164 && JSON.stringify(m.body).includes('allerta arancione'))).toBe(true);
    expect((await received(cavazzo)).some((m) => m.to === c1.phoneE164 && JSON.stringify(m.body).includes('allerta arancione'))).toBe(true);
    expect((await received(amaro)).some((m) => m.to === c1.phoneE164)).toBe(false);
    const view = await http()
      .get(`/api/v1/consortium-alerts/${alert.body.id}`)
      .set(...bearer(operator))
      .expect(200);
    expect(view.body.shares).toHaveLength(2);
    for (const share of view.body.shares as { stats: { targeted: number; pending: number } }[]) expect(share.stats.pending).toBe(0);
    // Each comune sees its own share among its campaigns, and only that.
    const own = (await get(cavazzo, cavazzo.editor, '/campaigns?limit=100')).body.items as { id: string; alertId: string | null }[];
    expect(own.filter((x) => x.alertId === alert.body.id).map((x) => x.id)).toEqual([ok.find((x) => x.tenant === cavazzo.tenant.slug)!.campaignId]);
    // Editors cannot send consortium alerts.
    expect(
      (
        await http()
          .post('/api/v1/consortium-alerts')
          .set(...bearer(amaro.admin))
          .send({ title: 'x', body: 'x', tenants: [amaro.tenant.slug] })
      ).status,
    ).toBe(403);
  });

  it("counts the business portfolio's 24-hour capacity: refuses a normal campaign over it, splits on request, keeps the reserve for emergencies", async () => {
    const operator = await createOperator(ch.t);
    const verzegnis = await ch.comune('verzegnis-cap');
    await db.query(`UPDATE whatsapp_numbers SET business_portfolio_id = '9990001', messaging_tier = 'tier_250' WHERE id = $1`, [verzegnis.number.id]);
    await ch.sim.createTemplate({
      wabaId: verzegnis.number.wabaId,
      name: 'avviso_viabilita',
      language: 'it',
      category: 'UTILITY',
      body: 'Gentile {{1}}, {{2}}.',
    });
    await post(verzegnis, verzegnis.admin, '/whatsapp-templates/sync').expect(200);
    const tpl = await post(verzegnis, verzegnis.editor, '/message-templates', {
      name: 'avviso',
      body: 'Gentile {{nome}}, {{avviso}}.',
      whatsappTemplate: { name: 'avviso_viabilita', language: 'it', bodyParameters: ['nome', 'avviso'] },
    }).expect(201);
    const people = await Promise.all(Array.from({ length: 30 }, () => subscriber(verzegnis, [])));
    expect(people).toHaveLength(30);
    const portfolio = await http()
      .put('/api/v1/business-portfolios/9990001')
      .set(...bearer(operator))
      .send({ name: 'Consorzio Carnia', emergencyReserve: 230 })
      .expect(200);
    expect(portfolio.body).toMatchObject({ tier: 'tier_250', limit: 250, emergencyReserve: 230, availableForNormal: 20 });

    const normal = await post(verzegnis, verzegnis.editor, '/campaigns', {
      title: 'Tutti',
      messageTemplateId: tpl.body.id,
      variables: { avviso: 'x' },
    }).expect(201);
    const est = (await get(verzegnis, verzegnis.editor, `/campaigns/${normal.body.id}/estimate`)).body;
    expect(est.capacity).toMatchObject({ limit: 250, reserve: 230, available: 20, tier: 'tier_250', portfolioId: '9990001' });
    expect(est.deferredByCapacity).toBe(10);
    const refused = await post(verzegnis, verzegnis.editor, `/campaigns/${normal.body.id}/send`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('OVER_CAPACITY');

    await http()
      .patch(`/api/v1/tenants/${verzegnis.tenant.slug}/campaigns/${normal.body.id}`)
      .set(...bearer(verzegnis.editor))
      .send({ capacityMode: 'split' })
      .expect(200);
    await post(verzegnis, verzegnis.editor, `/campaigns/${normal.body.id}/send`).expect(202);
    const split = await waitFor(async () => {
      const c = (await get(verzegnis, verzegnis.editor, `/campaigns/${normal.body.id}`)).body;
      return c.status === 'sending' && c.targeted === 30 ? c : null;
    });
    expect(split.deferred).toBe(10);
    await waitFor(async () => ((await stats(verzegnis, normal.body.id)).sent as number) >= 20 || null);

    // The emergency may use the reserve.
    const urgent = await post(verzegnis, verzegnis.editor, '/campaigns', {
      title: 'Emergenza',
      messageTemplateId: tpl.body.id,
      variables: { avviso: 'evacuazione' },
      priority: 'emergency',
    }).expect(201);
    const eEst = (await get(verzegnis, verzegnis.editor, `/campaigns/${urgent.body.id}/estimate`)).body;
    expect(eEst.capacity.available).toBeGreaterThanOrEqual(30);
    await post(verzegnis, verzegnis.editor, `/campaigns/${urgent.body.id}/send`).expect(202);
    await completed(verzegnis, urgent.body.id);
    await post(verzegnis, verzegnis.editor, `/campaigns/${normal.body.id}/cancel`).expect(200);
  });

  it('a send whose worker died is resolved by its receipt or sent again after the settle period, never twice', async () => {
    const s = await subscriber(amaro, [emergenze]);
    await openWindow(amaro, s.phoneE164!);
    // A row left 'sending' by a dead worker, never sent: it becomes unknown, gets no receipt, and goes once.
    const c = await post(amaro, amaro.editor, '/campaigns', { title: 'Crash', body: 'dopo il crash', audience: { listIds: [emergenze] } });
    expect(c.status).toBe(400); // others in the list are outside the window: free text is refused
    const outbound = await db.query(
      `INSERT INTO outbound_messages (tenant_id, id, number_id, recipient, recipient_kind, kind, category, priority, content, status, attempts, updated_at)
       VALUES ($1, $2, $3, $4, 'phone', 'editor_reply', 'service', 0, $5, 'sending', 1, now() - interval '1 hour') RETURNING id`,
      [amaro.tenant.id, newId(), amaro.number.id, s.phoneE164, JSON.stringify({ type: 'text', body: 'messaggio orfano' })],
    );
    const id = outbound.rows[0].id as string;
    const row = async () =>
      (await db.query(`SELECT status, attempts, updated_at FROM outbound_messages WHERE tenant_id = $1 AND id = $2`, [amaro.tenant.id, id]))
        .rows[0] as { status: string; attempts: number; updated_at: Date };
    // The worker's own once-a-minute sweep may take either step before this test's calls do, so
    // the row's state is what is checked, not which sweep moved it.
    const maintenance = ch.worker.get(ChannelMaintenanceService);
    await maintenance.sweep();
    const unknown = await row();
    expect(unknown.status).toBe('unknown');
    expect((await received(amaro)).filter((m) => m.bizOpaqueCallbackData === id)).toHaveLength(0);
    // Sent again only once the 3 s settle period has passed without a receipt.
    const resent = await waitFor(
      async () => {
        await maintenance.sweep();
        const r = await row();
        return r.status !== 'unknown' ? { ...r, at: Date.now() } : null;
      },
      20_000,
      'the unknown outcome sent again',
    );
    expect(resent.at - unknown.updated_at.getTime()).toBeGreaterThanOrEqual(3000);
    await waitFor(async () => ['accepted', 'sent', 'delivered', 'read'].includes((await row()).status) || null);
    expect((await row()).attempts).toBe(2);
    const got = (await received(amaro)).filter((m) => m.bizOpaqueCallbackData === id);
    expect(got).toHaveLength(1);
  });

  it('materialises a large audience in growing chunks, and a snapshot cut short between chunks is finished by the sweep: each recipient once', async () => {
    const c = await ch.comune('tolmezzo', { simMps: 1000 });
    // 100 msg/s: a first chunk of 100 recipients, then larger ones up to the rest.
    await db.query(`UPDATE whatsapp_numbers SET mps_cap = 100, messaging_tier = 'unlimited' WHERE id = $1`, [c.number.id]);
    const templateId = await ch.utilityTemplate(c);
    const seeded = await db.query(
      `INSERT INTO subscribers (tenant_id, id, phone_e164, first_name, tags, status, source, activated_at)
       SELECT $1, gen_random_uuid(), '+39340' || lpad(i::text, 7, '0'), 'Mario', ARRAY['tutti'], 'active', 'import', now() - interval '30 days'
         FROM generate_series(1, 700) AS i RETURNING id, phone_e164`,
      [c.tenant.id],
    );
    await db.query(`ANALYZE subscribers, contacts`);
    const phones = seeded.rows.map((r: { phone_e164: string }) => r.phone_e164);
    const draft = async (title: string) =>
      (
        await post(c, c.editor, '/campaigns', {
          title,
          messageTemplateId: templateId,
          variables: { avviso: title },
          audience: { tags: ['tutti'] },
        }).expect(201)
      ).body.id as string;
    const countsAt = async (text: string) => {
      const counts = new Map<string, number>();
      for (const m of (await received(c)).filter((x) => JSON.stringify(x.body).includes(text))) counts.set(m.to, (counts.get(m.to) ?? 0) + 1);
      return counts;
    };

    // Sent normally: the first chunk commits with the start, the campaign completes only once the last is in.
    const first = await draft('Prima tornata');
    await post(c, c.editor, `/campaigns/${first}/send`).expect(202);
    await completed(c, first);
    const k = await db.query(`SELECT targeted, skipped, snapshot_done_at, snapshot_plan FROM campaigns WHERE id = $1`, [first]);
    expect(k.rows[0]).toMatchObject({ targeted: 700, skipped: 0 });
    expect(k.rows[0].snapshot_done_at).not.toBeNull();
    expect(k.rows[0].snapshot_plan).toMatchObject({ firstChunk: 100 });
    // Imported, they had never written: each got a contact on the number, and each row points at it.
    const planned = await db.query(
      `SELECT count(DISTINCT o.subscriber_id)::int AS n, count(*)::int AS rows, count(k.id)::int AS "withContact"
         FROM outbound_messages o LEFT JOIN contacts k ON k.tenant_id = o.tenant_id AND k.id = o.contact_id AND k.number_id = o.number_id
          AND k.wa_id = ltrim(o.recipient, '+')
        WHERE o.campaign_id = $1`,
      [first],
    );
    expect(planned.rows[0]).toEqual({ n: 700, rows: 700, withContact: 700 });
    let counts = await countsAt('Prima tornata');
    for (const p of phones) expect(counts.get(p)).toBe(1);

    // A start that died after its first chunk: 150 rows in, the rest never materialised, its jobs
    // lost. The sweep finds the stalled snapshot and goes on after the last subscriber in.
    const second = await draft('Seconda tornata');
    const plan = { ...k.rows[0].snapshot_plan, start: new Date().toISOString() };
    await db.query(
      `UPDATE campaigns SET status = 'sending', started_at = now(), snapshot_plan = $2, targeted = 150, updated_at = now() - interval '5 minutes'
        WHERE id = $1`,
      [second, JSON.stringify(plan)],
    );
    await db.query(
      `INSERT INTO outbound_messages (tenant_id, id, number_id, contact_id, subscriber_id, recipient, recipient_kind, kind, category, priority, campaign_id, status, next_attempt_at, created_at)
       SELECT s.tenant_id, gen_random_uuid(), $2, NULL, s.id, s.phone_e164, 'phone', 'campaign', 'utility', 0, $3, 'queued', now() - interval '5 minutes', now() - interval '5 minutes'
         FROM subscribers s WHERE s.tenant_id = $1 ORDER BY s.id LIMIT 150`,
      [c.tenant.id, c.number.id, second],
    );
    // Not complete while the snapshot is unfinished, even with nothing queued that could go.
    expect(await db.query(`SELECT status FROM campaigns WHERE id = $1`, [second]).then((r) => r.rows[0].status)).toBe('sending');
    const campaigns = ch.worker.get(CampaignsService);
    const maintenance = ch.worker.get(ChannelMaintenanceService);
    await campaigns.runDue();
    const after = await db.query(
      `SELECT count(DISTINCT subscriber_id)::int AS n, count(*)::int AS rows FROM outbound_messages WHERE campaign_id = $1`,
      [second],
    );
    expect(after.rows[0]).toEqual({ n: 700, rows: 700 });
    expect((await db.query(`SELECT targeted FROM campaigns WHERE id = $1`, [second])).rows[0].targeted).toBe(700);
    // The first chunk's lost jobs are the sweep's (due queued rows); the rest were enqueued as they
    // went in. One sweep a second, as production's is one a minute: a sweep every poll re-enqueued
    // the same lost rows dozens of times a second, and their duplicate jobs crowded the number's slots.
    let lastSweep = 0;
    await waitFor(
      async () => {
        if (Date.now() - lastSweep > 1000) {
          lastSweep = Date.now();
          await maintenance.sweep();
        }
        return (await get(c, c.editor, `/campaigns/${second}`)).body.status === 'completed' || null;
      },
      60_000,
      'resumed campaign completed',
    );
    counts = await countsAt('Seconda tornata');
    for (const p of phones) expect(counts.get(p)).toBe(1);
  }, 90_000);
});
