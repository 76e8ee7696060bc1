import type { Client } from 'pg';
import { DateTime } from 'luxon';
import { CampaignsService, OutboundService, SubscriptionConfigService } from '#domain';
import { asOutboundMessageId } from '#common';
import { startChannel, type Channel } from '../support/channel.js';
import { ownerClient } from '../support/database.js';
import { bearer, type Comune } from '../support/factories.js';
import { tenantApi } from '../support/tenant-api.js';
import { waitFor } from '../support/worker.js';

/**
 * A citizen's erasure (GDPR) end to end, ADR 0008: whatever identified them goes from every table
 * of the comune (their contacts on its numbers, what they wrote, what was sent to them and to which
 * number, their web-form sign-ups), what was still to be sent to them never goes, and the anonymous
 * rows that keep the counts true stay. Another comune's data about the same phone is not touched.
 */
describe('erasure of a citizen', () => {
  let ch: Channel;
  let db: Client;
  let santaFiora: Comune;
  let conegliano: Comune;
  let seq = 0;

  const api = () => tenantApi(ch.t);
  const citizen = (): string => `3933${String(Date.now()).slice(-6)}${String(seq++ % 100).padStart(2, '0')}`;
  const erase = (c: Comune, id: string) =>
    ch.t
      .http()
      .post(`/api/v1/tenants/${c.tenant.slug}/subscribers/${id}/erase`)
      .set(...bearer(c.admin));
  const rows = async <T>(sql: string, params: unknown[]): Promise<T[]> => (await db.query(sql, params)).rows as T[];
  /** Every outbound row of the comune to the citizen has an outcome: nothing of theirs is in flight. */
  const settled = (c: Comune, e164: string) =>
    waitFor(
      async () => {
        const r = await rows<{ status: string }>(`SELECT status FROM outbound_messages WHERE tenant_id = $1 AND recipient = $2`, [c.tenant.id, e164]);
        return r.length > 0 && r.every((x) => !['queued', 'sending', 'unknown'].includes(x.status));
      },
      15_000,
      `the messages to ${e164} to settle`,
    );

  /**
   * A web-form sign-up on Conegliano's form, sent with this user agent; resolves once its confirm
   * template reached the phone, with a function that taps its Confermo button.
   */
  const webForm = async (waId: string, userAgent: string, firstName: string) => {
    const c = conegliano;
    const phone = `+${waId}`;
    const form = await ch.t
      .http()
      .post(`/public/v1/tenants/${c.tenant.slug}/subscriptions`)
      .set('x-forwarded-for', '203.0.113.9')
      .set('user-agent', userAgent)
      .send({ consent: true, firstName, lastName: 'Bianchi', phone });
    expect(form.status).toBe(202);
    const template = await waitFor(async () =>
      (await ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId, to: phone })).find((m) => m.type === 'template'),
    );
    const payload = (template.body as { template: { components: { type: string; parameters: { payload?: string }[] }[] } }).template.components.find(
      (x) => x.type === 'button',
    )!.parameters[0].payload!;
    const confirm = () =>
      ch.sim.sendInbound({
        phoneNumberId: c.number.phoneNumberId,
        from: waId,
        message: { type: 'button', payload, text: 'Confermo', contextMessageId: template.wamid },
      });
    return { phone, confirm };
  };

  beforeAll(async () => {
    ch = await startChannel();
    db = await ownerClient(ch.t.config);
    santaFiora = await ch.comune('santafiora');
    await ch.t.app.get(SubscriptionConfigService).applyPreset(null, santaFiora.tenant.id, 'santa-fiora');
    conegliano = await ch.comune('conegliano');
    await ch.t.app.get(SubscriptionConfigService).applyPreset(null, conegliano.tenant.id, 'conegliano');
    await ch.sim.createTemplate({
      wabaId: conegliano.number.wabaId,
      name: 'conferma_iscrizione',
      language: 'it',
      category: 'UTILITY',
      body: 'Hai chiesto di iscriverti al canale WhatsApp del {{1}}. Tocca Confermo.',
      buttons: [{ type: 'QUICK_REPLY', text: 'Confermo' }],
    });
  });
  afterAll(async () => {
    await db.end();
    await ch.close();
  });

  it('leaves no phone number, WhatsApp id, profile name or message text behind, and sends nothing queued for them', async () => {
    const c = santaFiora;
    const from = citizen();
    const phone = `+${from}`;
    await ch.sim.sendInbound({
      phoneNumberId: c.number.phoneNumberId,
      from,
      profileName: 'Mario Rossi',
      message: { type: 'text', text: 'ATTIVA COMUNE AMICO' },
    });
    const sub = await waitFor(async () => {
      const r = await rows<{ id: string }>(`SELECT id FROM subscribers WHERE tenant_id = $1 AND phone_e164 = $2 AND status = 'active'`, [
        c.tenant.id,
        phone,
      ]);
      return r[0];
    });
    // Santa Fiora has an inbox: a report opens a conversation that keeps the citizen's words.
    await ch.sim.sendInbound({
      phoneNumberId: c.number.phoneNumberId,
      from,
      profileName: 'Mario Rossi',
      message: { type: 'text', text: 'Buca profonda in via Roma 12, davanti a casa mia' },
    });
    const conversation = await waitFor(async () => {
      const r = await rows<{ id: string }>(
        `SELECT v.id FROM conversations v JOIN contacts k ON k.tenant_id = v.tenant_id AND k.id = v.contact_id
          WHERE v.tenant_id = $1 AND k.wa_id = $2 AND EXISTS (SELECT 1 FROM conversation_messages m WHERE m.tenant_id = v.tenant_id AND m.conversation_id = v.id)`,
        [c.tenant.id, from],
      );
      return r[0];
    });
    await settled(c, phone);
    // The same person writes to another comune, which keeps its own data about them.
    await ch.sim.sendInbound({
      phoneNumberId: conegliano.number.phoneNumberId,
      from,
      profileName: 'Mario Rossi',
      message: { type: 'text', text: 'Buongiorno' },
    });
    await waitFor(async () => (await rows(`SELECT 1 FROM contacts WHERE tenant_id = $1 AND wa_id = $2`, [conegliano.tenant.id, from])).length);

    // A campaign held by quiet hours: the citizen's message waits, queued.
    const tz = c.tenant.timezone;
    const now = DateTime.now().setZone(tz);
    await api()
      .put(c, c.admin, '/campaign-settings', {
        quietHoursStart: now.minus({ hours: 1 }).toFormat('HH:mm'),
        quietHoursEnd: now.plus({ hours: 2 }).toFormat('HH:mm'),
      })
      .expect(200);
    const list = ((await api().get(c, c.editor, '/lists').expect(200)).body as { id: string; slug: string }[]).find(
      (l) => l.slug === 'comune-amico',
    )!;
    const campaign = (
      await api()
        .post(c, c.editor, '/campaigns', { title: 'Lavori', body: 'Ciao {{nome}}, domani lavori in via Roma', audience: { listIds: [list.id] } })
        .expect(201)
    ).body.id as string;
    await api().post(c, c.editor, `/campaigns/${campaign}/send`).expect(202);
    const queued = await waitFor(async () => {
      const r = await rows<{ id: string; next_attempt_at: Date | null }>(
        `SELECT id, next_attempt_at FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2 AND subscriber_id = $3 AND status = 'queued'`,
        [c.tenant.id, campaign, sub.id],
      );
      return r[0]?.next_attempt_at && r[0].next_attempt_at.getTime() > Date.now() + 60_000 ? r[0] : null;
    });

    const inbound = await rows<{ id: string }>(
      `SELECT i.id FROM inbound_messages i JOIN contacts k ON k.tenant_id = i.tenant_id AND k.id = i.contact_id WHERE i.tenant_id = $1 AND k.wa_id = $2`,
      [c.tenant.id, from],
    );
    const outbound = await rows<{ id: string; status: string }>(
      `SELECT id, status FROM outbound_messages WHERE tenant_id = $1 AND (recipient = $2 OR subscriber_id = $3)`,
      [c.tenant.id, phone, sub.id],
    );
    expect(inbound).toHaveLength(2);
    expect(outbound.length).toBeGreaterThanOrEqual(3);
    const sentBefore = (await ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId, to: phone })).length;

    expect((await erase(c, sub.id)).status).toBe(204);

    const q = async (sql: string) => rows(sql, [c.tenant.id, from, phone]);
    const left = {
      subscribers: await q(`SELECT id FROM subscribers WHERE tenant_id = $1 AND (phone_e164 = $3 OR wa_id = $2)`),
      contacts: await q(`SELECT wa_id, profile_name FROM contacts WHERE tenant_id = $1 AND (wa_id = $2 OR $3 = $3 AND profile_name = 'Mario Rossi')`),
      inbound: await q(
        `SELECT i.body FROM inbound_messages i JOIN contacts k ON k.tenant_id = i.tenant_id AND k.id = i.contact_id WHERE i.tenant_id = $1 AND k.wa_id = $2 AND $3 = $3`,
      ),
      outbound: await q(`SELECT recipient FROM outbound_messages WHERE tenant_id = $1 AND recipient = $3 AND $2 = $2`),
    };
    expect(left).toEqual({ subscribers: [], contacts: [], inbound: [], outbound: [] });

    // The rows stay, as counts: what the citizen wrote is purged as retention purges it.
    const ids = inbound.map((i) => i.id);
    const purged = await rows<{ body: string | null; content: Record<string, unknown>; content_purged_at: Date | null }>(
      `SELECT body, content, content_purged_at FROM inbound_messages WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [c.tenant.id, ids],
    );
    expect(purged).toHaveLength(2);
    for (const p of purged) {
      expect(p).toMatchObject({ body: null, content: { type: 'text', purged: true } });
      expect(p.content_purged_at).not.toBeNull();
    }
    // What was sent keeps its outcome, without its text or its recipient; what was queued is skipped.
    const after = await rows<{
      id: string;
      status: string;
      recipient: string;
      content: unknown;
      provider_wa_id: string | null;
      content_purged_at: Date | null;
      error_action: string | null;
      error_reason: string | null;
    }>(
      `SELECT id, status, recipient, content, provider_wa_id, content_purged_at, error_action, error_reason FROM outbound_messages
        WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [c.tenant.id, outbound.map((o) => o.id)],
    );
    expect(after).toHaveLength(outbound.length);
    for (const o of after) {
      expect(o).toMatchObject({ recipient: 'erased', content: null, provider_wa_id: null });
      expect(o.content_purged_at).not.toBeNull();
      expect(o.status).toBe(o.id === queued.id ? 'skipped' : outbound.find((x) => x.id === o.id)!.status);
    }
    expect(after.find((o) => o.id === queued.id)).toMatchObject({ status: 'skipped', error_action: 'erased' });

    // The conversation stays (the inbox's figures count it), closed: nobody is left to answer.
    const [closed] = await rows<{ status: string; intake_draft: unknown }>(
      `SELECT status, intake_draft FROM conversations WHERE tenant_id = $1 AND id = $2`,
      [c.tenant.id, conversation.id],
    );
    expect(closed).toEqual({ status: 'closed', intake_draft: {} });

    // The anonymous subscriber and the ledger stay.
    const [anonymous] = await rows(
      `SELECT phone_e164, wa_id, user_id, first_name, status, erased_at IS NOT NULL AS erased FROM subscribers WHERE tenant_id = $1 AND id = $2`,
      [c.tenant.id, sub.id],
    );
    expect(anonymous).toEqual({ phone_e164: null, wa_id: null, user_id: null, first_name: null, status: 'unsubscribed', erased: true });
    expect(
      (
        await rows<{ type: string }>(`SELECT type FROM consent_events WHERE tenant_id = $1 AND subscriber_id = $2 ORDER BY occurred_at`, [
          c.tenant.id,
          sub.id,
        ])
      ).map((e) => e.type),
    ).toEqual(['opt_in', 'erased']);

    // The queued message's job comes due: it finds nothing to send, and the campaign completes without it.
    await api().put(c, c.admin, '/campaign-settings', { quietHoursStart: null, quietHoursEnd: null }).expect(200);
    await ch.worker.get(OutboundService).dispatch(c.tenant.id, asOutboundMessageId(queued.id));
    await ch.t.app.get(CampaignsService).runDue();
    expect((await api().get(c, c.editor, `/campaigns/${campaign}`).expect(200)).body.status).toBe('completed');
    const stats = (await api().get(c, c.editor, `/campaigns/${campaign}/stats`).expect(200)).body as {
      skipped: number;
      skippedByReason: { reason: string }[];
    };
    expect(stats.skipped).toBe(1);
    expect(stats.skippedByReason[0].reason).toMatch(/erased/);
    expect(await ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId, to: phone })).toHaveLength(sentBefore);

    // Only this comune's data: the other comune still knows the citizen who wrote to it.
    expect(await rows(`SELECT wa_id, profile_name FROM contacts WHERE tenant_id = $1 AND wa_id = $2`, [conegliano.tenant.id, from])).toEqual([
      { wa_id: from, profile_name: 'Mario Rossi' },
    ]);
  });

  it('deletes their web-form sign-ups (names, IP address, user agent), and a later tap on the confirm button subscribes nobody', async () => {
    const c = conegliano;
    const { phone, confirm } = await webForm(citizen(), 'Mozilla/5.0 (erasure test)', 'Giulia');
    const [sub] = await rows<{ id: string }>(`SELECT id FROM subscribers WHERE tenant_id = $1 AND phone_e164 = $2`, [c.tenant.id, phone]);
    expect(
      await rows(`SELECT first_name, ip, user_agent FROM web_signups WHERE tenant_id = $1 AND subscriber_id = $2`, [c.tenant.id, sub.id]),
    ).toEqual([{ first_name: 'Giulia', ip: expect.any(String), user_agent: 'Mozilla/5.0 (erasure test)' }]);
    await settled(c, phone);

    expect((await erase(c, sub.id)).status).toBe(204);

    expect(await rows(`SELECT id FROM web_signups WHERE tenant_id = $1 AND subscriber_id = $2`, [c.tenant.id, sub.id])).toEqual([]);
    expect(await rows(`SELECT id FROM outbound_messages WHERE tenant_id = $1 AND recipient = $2`, [c.tenant.id, phone])).toEqual([]);

    await confirm();
    const reply = await waitFor(async () =>
      (await ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId, to: phone })).find((m) => m.type === 'text'),
    );
    expect(JSON.stringify(reply.body)).not.toContain('Giulia');
    expect(
      await rows(`SELECT id FROM subscribers WHERE tenant_id = $1 AND status = 'active' AND (id = $2 OR phone_e164 = $3)`, [
        c.tenant.id,
        sub.id,
        phone,
      ]),
    ).toEqual([]);
  });

  it('takes the IP address and user agent out of a confirmed web-form opt-in in the ledger, and keeps the event', async () => {
    const c = conegliano;
    const { phone, confirm } = await webForm(citizen(), 'Mozilla/5.0 (ledger test)', 'Paola');
    await confirm();
    const [sub] = await waitFor(async () => {
      const r = await rows<{ id: string }>(`SELECT id FROM subscribers WHERE tenant_id = $1 AND phone_e164 = $2 AND status = 'active'`, [
        c.tenant.id,
        phone,
      ]);
      return r.length > 0 ? r : null;
    });
    const ledger = () =>
      rows<{ type: string; evidence: Record<string, unknown> }>(
        `SELECT type, evidence FROM consent_events WHERE tenant_id = $1 AND subscriber_id = $2 ORDER BY occurred_at`,
        [c.tenant.id, sub.id],
      );
    const [before] = await ledger();
    expect(before).toMatchObject({ type: 'opt_in', evidence: { ip: expect.any(String), userAgent: 'Mozilla/5.0 (ledger test)' } });
    await settled(c, phone);

    expect((await erase(c, sub.id)).status).toBe(204);

    const after = await ledger();
    expect(after.map((e) => e.type)).toEqual(['opt_in', 'erased']);
    const { ip: _ip, userAgent: _ua, ...kept } = before.evidence;
    expect(after[0].evidence).toEqual({ ...kept, redacted: true });
    expect(JSON.stringify(after)).not.toContain('ledger test');
    // The application still cannot rewrite the ledger itself, nor redact another comune's.
    const asApp = async (sql: string, params: unknown[]): Promise<unknown> => {
      await db.query('BEGIN');
      try {
        await db.query(`SET LOCAL ROLE araldo_app`);
        await db.query(`SELECT set_config('app.tenant_id', $1, true)`, [c.tenant.id]);
        return await db.query(sql, params);
      } finally {
        await db.query('ROLLBACK');
      }
    };
    await expect(asApp(`UPDATE consent_events SET evidence = '{}' WHERE tenant_id = $1`, [c.tenant.id])).rejects.toThrow(/permission denied/);
    await expect(asApp(`SELECT app_redact_consent_evidence($1, $2)`, [santaFiora.tenant.id, sub.id])).rejects.toThrow(/another comune/);
  });
});
