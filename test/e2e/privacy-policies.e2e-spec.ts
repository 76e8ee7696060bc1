import type { Client } from 'pg';
import { newId } from '#common';
import { SubscriberRepository } from '#database';
import { SubscriptionConfigService } from '#domain';
import type { OutboundRecord } from '../../apps/simulator/src/simulator-client.js';
import { startChannel, type Channel } from '../support/channel.js';
import { ownerClient } from '../support/database.js';
import type { Comune } from '../support/factories.js';
import { campaignEnded, tenantApi } from '../support/tenant-api.js';
import { waitFor } from '../support/worker.js';

interface ConsentRow {
  type: string;
  policy_version: string | null;
  channel: string;
  evidence: Record<string, unknown>;
}

/**
 * Privacy policy versions end to end: the api, the worker and the simulator as a real HTTP server.
 * An admin publishes a new version and asks the comune's subscribers to accept it; the request
 * goes through the campaign dispatch (free text with a button inside the window, the approved
 * utility template outside it); citizens accept by button or by keyword; the ledger, the counts,
 * the no-twice rule, reminders, the deadline and isolation.
 */
describe('privacy policy versions and acceptance', () => {
  let ch: Channel;
  let db: Client;
  let amaro: Comune;
  let cavazzo: Comune;
  let templateId: string;
  let marketingTemplateId: string;
  let noticeTemplateId: string;
  let v2: string;
  let firstRequest: string;
  const citizens: Record<'inWindow' | 'tapsTemplate' | 'types' | 'silent' | 'gone', { id: string; phone: string }> = {} as never;

  const post: ReturnType<typeof tenantApi>['post'] = (...args) => tenantApi(ch.t).post(...args);
  const patch: ReturnType<typeof tenantApi>['patch'] = (...args) => tenantApi(ch.t).patch(...args);
  const get: ReturnType<typeof tenantApi>['get'] = (...args) => tenantApi(ch.t).get(...args);

  let seq = 0;
  const newPhone = () => `+39334${String(1_000_000 + ++seq * 7919 + Math.floor(Math.random() * 1000)).slice(0, 7)}`;
  const subscriber = async (c: Comune, accepted: string | null, status: 'active' | 'unsubscribed' = 'active') => {
    const s = await ch.t.app.get(SubscriberRepository).create(c.tenant.id, {
      id: newId(),
      phoneE164: newPhone(),
      waId: null,
      userId: null,
      source: 'keyword',
      status,
    });
    await db.query(`UPDATE subscribers SET activated_at = now(), policy_version_accepted = $2 WHERE id = $1`, [s.id, accepted]);
    return { id: s.id, phone: s.phoneE164! };
  };
  const openWindow = async (c: Comune, e164: string) => {
    const waId = e164.slice(1);
    await ch.sim.setWindow({ phoneNumberId: c.number.phoneNumberId, waId, lastInboundAt: new Date().toISOString() });
    await db.query(
      `INSERT INTO contacts (tenant_id, id, number_id, wa_id, last_inbound_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (tenant_id, number_id, wa_id) DO UPDATE SET last_inbound_at = now()`,
      [c.tenant.id, newId(), c.number.id, waId],
    );
  };
  const messagesTo = (c: Comune, e164: string) => ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId, to: e164 });
  /** What campaigns (requests included) sent the citizen, as the simulator received it; replies left out. */
  const campaignMessagesTo = async (c: Comune, e164: string) => {
    const ids = await db.query(`SELECT id FROM outbound_messages WHERE tenant_id = $1 AND recipient = $2 AND campaign_id IS NOT NULL`, [
      c.tenant.id,
      e164,
    ]);
    const campaign = new Set(ids.rows.map((r: { id: string }) => r.id));
    return (await messagesTo(c, e164)).filter((m) => m.bizOpaqueCallbackData !== null && campaign.has(m.bizOpaqueCallbackData));
  };
  const completed = (c: Comune, id: string) => campaignEnded(ch.t, db, c, id);
  const status = async (c: Comune, id: string) => (await get(c, c.admin, `/privacy-policies/${id}`).expect(200)).body;
  const ledger = async (subscriberId: string): Promise<ConsentRow[]> =>
    (
      await db.query(`SELECT type, policy_version, channel, evidence FROM consent_events WHERE subscriber_id = $1 ORDER BY occurred_at, id`, [
        subscriberId,
      ])
    ).rows;
  const shown = (m: OutboundRecord): string => {
    const b = m.body as { type: string; text?: { body: string }; interactive?: { body: { text: string } } };
    return b.type === 'text' ? b.text!.body : b.type === 'interactive' ? b.interactive!.body.text : `[${b.type}]`;
  };
  /** The citizen writes or taps; resolves with what the comune answered. */
  const citizenSends = async (c: Comune, e164: string, message: Parameters<Channel['sim']['sendInbound']>[0]['message']): Promise<string> => {
    const before = (await messagesTo(c, e164)).length;
    await ch.sim.sendInbound({ phoneNumberId: c.number.phoneNumberId, from: e164.slice(1), message });
    await waitFor(async () => (await messagesTo(c, e164)).length > before, 15_000, 'a reply');
    return (await messagesTo(c, e164)).slice(before).map(shown).join('\n');
  };
  const quickReplyPayload = (m: OutboundRecord): string => {
    const components = (m.body as { template: { components: { type: string; sub_type?: string; parameters?: { payload?: string }[] }[] } }).template
      .components;
    return components.find((x) => x.type === 'button' && x.sub_type === 'quick_reply')!.parameters![0].payload!;
  };

  beforeAll(async () => {
    ch = await startChannel();
    db = await ownerClient(ch.t.config);
    amaro = await ch.comune('amaro');
    cavazzo = await ch.comune('cavazzo');
    // Amaro as it runs today: version 2026-01 of its policy, ATTIVA / DISATTIVA.
    await ch.t.app.get(SubscriptionConfigService).applyPreset(null, amaro.tenant.id, 'amaro');
    await ch.t.app.get(SubscriptionConfigService).applyPreset(null, cavazzo.tenant.id, 'cavazzo-carnico');
    await ch.sim.createTemplate({
      wabaId: amaro.number.wabaId,
      name: 'informativa_aggiornata',
      language: 'it',
      category: 'UTILITY',
      body: 'Il {{1}} ha aggiornato l’informativa privacy (versione {{2}}): {{3}}. Tocca Accetto o rispondi ACCETTO.',
      buttons: [{ type: 'QUICK_REPLY', text: 'Accetto' }],
    });
    await ch.sim.createTemplate({ wabaId: amaro.number.wabaId, name: 'novita_comune', language: 'it', category: 'MARKETING', body: 'Novità: {{1}}' });
    await ch.sim.createTemplate({ wabaId: amaro.number.wabaId, name: 'avviso_comune', language: 'it', category: 'UTILITY', body: 'Avviso: {{1}}' });
    await post(amaro, amaro.admin, '/whatsapp-templates/sync').expect(200);
    const mk = async (name: string, body: string, whatsappTemplate: Record<string, unknown>) =>
      (await post(amaro, amaro.admin, '/message-templates', { name, body, whatsappTemplate }).expect(201)).body.id as string;
    templateId = await mk(
      'Informativa aggiornata',
      'Il {{comune}} ha aggiornato l’informativa privacy (versione {{versione}} del {{data}}): {{informativa}}. Tocca «Accetto» o rispondi ACCETTO.',
      { name: 'informativa_aggiornata', language: 'it', bodyParameters: ['comune', 'versione', 'informativa'] },
    );
    marketingTemplateId = await mk('Novità', 'Novità: versione {{versione}}', {
      name: 'novita_comune',
      language: 'it',
      bodyParameters: ['versione'],
    });
    noticeTemplateId = await mk('Avviso', 'Avviso: {{testo}}', { name: 'avviso_comune', language: 'it', bodyParameters: ['testo'] });

    citizens.inWindow = await subscriber(amaro, '2026-01');
    citizens.tapsTemplate = await subscriber(amaro, '2026-01');
    citizens.types = await subscriber(amaro, null);
    citizens.silent = await subscriber(amaro, '2026-01');
    citizens.gone = await subscriber(amaro, '2026-01', 'unsubscribed');
    await subscriber(cavazzo, null);
    await openWindow(amaro, citizens.inWindow.phone);
  });
  afterAll(async () => {
    await db.end();
    await ch.close();
  });

  it('keeps the version set before as the first of the history, and publishes a new one (admins, audited)', async () => {
    const before = (await get(amaro, amaro.editor, '/privacy-policies').expect(200)).body as { version: string; current: boolean }[];
    expect(before.map((v) => [v.version, v.current])).toEqual([['2026-01', true]]);

    const url = 'https://www.comune.amaro.ud.it/privacy-whatsapp-2026-12';
    expect((await post(amaro, amaro.editor, '/privacy-policies', { version: '2026-12', url })).status).toBe(403);
    const future = await post(amaro, amaro.admin, '/privacy-policies', { version: '2026-12', url, publishedOn: '2999-01-01' });
    expect(future.status).toBe(400);
    expect(future.body.code).toBe('POLICY_PUBLISHED_IN_FUTURE');
    expect((await post(amaro, amaro.admin, '/privacy-policies', { version: '2026-12', url: 'not a url' })).status).toBe(400);

    const published = await post(amaro, amaro.admin, '/privacy-policies', { version: '2026-12', url, publishedOn: '2026-11-30' }).expect(201);
    v2 = published.body.id as string;
    expect(published.body).toMatchObject({ version: '2026-12', url, publishedOn: '2026-11-30', acceptanceDeadline: null });
    expect((await post(amaro, amaro.admin, '/privacy-policies', { version: '2026-12', url })).body.code).toBe('POLICY_VERSION_EXISTS');

    // The comune's current version is the one every consent quotes from now on.
    expect((await get(amaro, amaro.editor, '')).body).toMatchObject({ privacyPolicyVersion: '2026-12', privacyPolicyUrl: url });
    const list = (await get(amaro, amaro.editor, '/privacy-policies').expect(200)).body as Record<string, unknown>[];
    expect(list.map((v) => [v.version, v.current])).toEqual([
      ['2026-12', true],
      ['2026-01', false],
    ]);
    expect(list[0].subscribers).toEqual({ active: 4, accepted: 0, pending: 4, asked: 0, notAsked: 4, pausedFromBroadcasts: 0 });
    expect(list[1].subscribers).toMatchObject({ accepted: 3, pending: null });

    const audit = await db.query(`SELECT action, actor_user_id, details FROM audit_events WHERE tenant_id = $1 AND target_id = $2`, [
      amaro.tenant.id,
      v2,
    ]);
    expect(audit.rows).toEqual([
      expect.objectContaining({
        action: 'privacy_policy.published',
        actor_user_id: amaro.admin.id,
        details: expect.objectContaining({ previous: '2026-01' }),
      }),
    ]);
  });

  it('refuses a request that cannot go, with the reason, and writes nothing', async () => {
    const none = await post(amaro, amaro.admin, `/privacy-policies/${v2}/acceptance-requests`, {});
    expect(none.status).toBe(400);
    expect(none.body.code).toBe('NO_APPROVED_TEMPLATE');
    expect(none.body.message).toMatch(/3 of the 4 subscribers to ask have not written to the comune in the last 24 hours/);

    const marketing = await post(amaro, amaro.admin, `/privacy-policies/${v2}/acceptance-requests`, { messageTemplateId: marketingTemplateId });
    expect(marketing.status).toBe(400);
    expect(marketing.body.code).toBe('POLICY_TEMPLATE_NOT_UTILITY');

    await db.query(`UPDATE subscription_settings SET launch_threshold = 1000 WHERE tenant_id = $1`, [amaro.tenant.id]);
    const threshold = await post(amaro, amaro.admin, `/privacy-policies/${v2}/acceptance-requests`, { messageTemplateId: templateId });
    expect(threshold.status).toBe(409);
    expect(threshold.body.code).toBe('CAMPAIGN_BLOCKED');
    expect(threshold.body.message).toMatch(/launch threshold/);
    await db.query(`UPDATE subscription_settings SET launch_threshold = NULL WHERE tenant_id = $1`, [amaro.tenant.id]);

    expect((await post(amaro, amaro.editor, `/privacy-policies/${v2}/acceptance-requests`, { messageTemplateId: templateId })).status).toBe(403);
    const rows = await db.query(`SELECT count(*)::int AS n FROM campaigns WHERE tenant_id = $1 AND policy_version_id IS NOT NULL`, [amaro.tenant.id]);
    expect(rows.rows[0].n).toBe(0);
  });

  it('asks through the campaign dispatch: text with a button inside the window, the utility template outside, nobody else', async () => {
    const res = await post(amaro, amaro.admin, `/privacy-policies/${v2}/acceptance-requests`, { messageTemplateId: templateId }).expect(202);
    expect(res.body).toMatchObject({ reminder: false, recipients: 4, inWindow: 1, outsideWindow: 3 });
    firstRequest = res.body.campaignId as string;
    // A double click while it sends does not ask twice.
    const twice = await post(amaro, amaro.admin, `/privacy-policies/${v2}/acceptance-requests`, { messageTemplateId: templateId });
    expect([409]).toContain(twice.status);
    expect(['POLICY_REQUEST_IN_PROGRESS', 'POLICY_ALREADY_ASKED']).toContain(twice.body.code);
    await completed(amaro, firstRequest);

    const campaign = (await get(amaro, amaro.editor, `/campaigns/${firstRequest}`)).body;
    expect(campaign).toMatchObject({
      policyVersionId: v2,
      policyReminder: false,
      category: 'utility',
      title: 'Informativa privacy 2026-12: richiesta di accettazione',
    });

    const [inWindow] = await campaignMessagesTo(amaro, citizens.inWindow.phone);
    expect(inWindow.type).toBe('interactive');
    const interactive = (
      inWindow.body as { interactive: { body: { text: string }; action: { buttons: { reply: { id: string; title: string } }[] } } }
    ).interactive;
    expect(interactive.body.text).toContain('versione 2026-12 del 30 novembre 2026');
    expect(interactive.body.text).toContain('https://www.comune.amaro.ud.it/privacy-whatsapp-2026-12');
    expect(interactive.action.buttons).toEqual([{ type: 'reply', reply: { id: `POLICY:${v2}`, title: 'Accetto' } }]);

    for (const who of [citizens.tapsTemplate, citizens.types, citizens.silent]) {
      const msgs = await campaignMessagesTo(amaro, who.phone);
      expect(msgs).toHaveLength(1);
      expect(msgs[0].type).toBe('template');
      expect(JSON.stringify(msgs[0].body)).toContain('informativa_aggiornata');
      expect(JSON.stringify(msgs[0].body)).toContain('2026-12');
      expect(quickReplyPayload(msgs[0])).toBe(`POLICY:${v2}`);
    }
    expect(await campaignMessagesTo(amaro, citizens.gone.phone)).toHaveLength(0);
    // Postgres is the record: the campaign's rows, one per recipient, on the same path as any campaign.
    const rows = await db.query(`SELECT kind, category FROM outbound_messages WHERE campaign_id = $1 ORDER BY category`, [firstRequest]);
    expect(rows.rows).toEqual([
      { kind: 'campaign', category: 'service' },
      { kind: 'campaign', category: 'utility' },
      { kind: 'campaign', category: 'utility' },
      { kind: 'campaign', category: 'utility' },
    ]);

    const s = await status(amaro, v2);
    expect(s.subscribers).toMatchObject({ active: 4, accepted: 0, pending: 4, asked: 4, notAsked: 0 });
    expect(s.lastAskedAt).not.toBeNull();
    expect(s.requests).toEqual([expect.objectContaining({ campaignId: firstRequest, reminder: false, status: 'completed', targeted: 4, sent: 4 })]);
  });

  it('records an acceptance by button and by keyword with the version, the channel and the message as evidence', async () => {
    const [asked] = await campaignMessagesTo(amaro, citizens.inWindow.phone);
    const tapped = await citizenSends(amaro, citizens.inWindow.phone, { type: 'interactive_reply', id: `POLICY:${v2}` });
    expect(tapped).toBe('Grazie, hai accettato l’informativa privacy del Comune di amaro (versione 2026-12).');

    const [template] = await campaignMessagesTo(amaro, citizens.tapsTemplate.phone);
    expect(
      await citizenSends(amaro, citizens.tapsTemplate.phone, { type: 'button', payload: quickReplyPayload(template), text: 'Accetto' }),
    ).toContain('versione 2026-12');
    // Typed, in lower case with a stray accent: the comune has no ACCETTO rule of its own, every comune understands it.
    expect(await citizenSends(amaro, citizens.types.phone, { type: 'text', text: 'accettò' })).toContain('hai accettato');

    const byButton = await ledger(citizens.inWindow.id);
    expect(byButton).toHaveLength(1);
    expect(byButton[0]).toMatchObject({ type: 'policy_accepted', policy_version: '2026-12', channel: 'whatsapp' });
    expect(byButton[0].evidence).toMatchObject({ via: 'button', inReplyTo: asked.wamid, requestCampaignId: firstRequest });
    const inbound = await db.query(`SELECT id, wamid FROM inbound_messages WHERE id = $1`, [byButton[0].evidence.inboundMessageId]);
    expect(inbound.rows[0].wamid).toBe(byButton[0].evidence.wamid);
    expect((await ledger(citizens.tapsTemplate.id))[0]).toMatchObject({
      policy_version: '2026-12',
      channel: 'whatsapp',
      evidence: expect.objectContaining({ requestCampaignId: firstRequest, inReplyTo: template.wamid }),
    });
    expect((await ledger(citizens.types.id))[0]).toMatchObject({
      policy_version: '2026-12',
      channel: 'keyword',
      evidence: expect.objectContaining({ via: 'keyword', keyword: 'ACCETTÒ' }),
    });
    const accepted = await db.query(`SELECT id, policy_version_accepted FROM subscribers WHERE tenant_id = $1 AND status = 'active' ORDER BY id`, [
      amaro.tenant.id,
    ]);
    expect(accepted.rows.filter((r: { policy_version_accepted: string }) => r.policy_version_accepted === '2026-12')).toHaveLength(3);

    // Nothing pending any more: a helpful answer, and nothing recorded twice.
    expect(await citizenSends(amaro, citizens.inWindow.phone, { type: 'interactive_reply', id: `POLICY:${v2}` })).toMatch(
      /Hai già accettato l’informativa privacy in vigore .* \(versione 2026-12\): non devi fare altro/,
    );
    expect(await ledger(citizens.inWindow.id)).toHaveLength(1);

    const s = await status(amaro, v2);
    expect(s.subscribers).toMatchObject({ active: 4, accepted: 3, pending: 1, asked: 4, notAsked: 0 });
    expect(s.requests[0]).toMatchObject({ acceptedSince: 3 });
  });

  it('does not ask anyone twice for the same version; a reminder does, to those who have not accepted', async () => {
    const again = await post(amaro, amaro.admin, `/privacy-policies/${v2}/acceptance-requests`, { messageTemplateId: templateId });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('POLICY_ALREADY_ASKED');
    expect(again.body.message).toMatch(/send a reminder/);

    // Someone who subscribed after the first request is asked; the one already asked is not.
    const newcomer = await subscriber(amaro, null);
    const second = await post(amaro, amaro.admin, `/privacy-policies/${v2}/acceptance-requests`, { messageTemplateId: templateId }).expect(202);
    expect(second.body.recipients).toBe(1);
    await completed(amaro, second.body.campaignId as string);
    expect(await campaignMessagesTo(amaro, newcomer.phone)).toHaveLength(1);
    expect(await campaignMessagesTo(amaro, citizens.silent.phone)).toHaveLength(1);

    const reminder = await post(amaro, amaro.admin, `/privacy-policies/${v2}/acceptance-requests`, {
      messageTemplateId: templateId,
      reminder: true,
    }).expect(202);
    expect(reminder.body).toMatchObject({ reminder: true, recipients: 2 });
    await completed(amaro, reminder.body.campaignId as string);
    expect(await campaignMessagesTo(amaro, citizens.silent.phone)).toHaveLength(2);
    expect(await campaignMessagesTo(amaro, newcomer.phone)).toHaveLength(2);
    for (const who of [citizens.inWindow, citizens.tapsTemplate, citizens.types]) expect(await campaignMessagesTo(amaro, who.phone)).toHaveLength(1);
    expect((await get(amaro, amaro.editor, `/campaigns/${reminder.body.campaignId}`)).body).toMatchObject({
      policyReminder: true,
      title: 'Informativa privacy 2026-12: promemoria',
    });

    const s = await status(amaro, v2);
    expect(s.subscribers).toMatchObject({ active: 5, accepted: 3, pending: 2, asked: 5, notAsked: 0 });
    expect(s.requests.map((r: { reminder: boolean; targeted: number }) => [r.reminder, r.targeted])).toEqual([
      [false, 4],
      [false, 1],
      [true, 2],
    ]);
  });

  it('answers a tap on the button of a replaced version without recording it, and holds back broadcasts after a deadline', async () => {
    const url = 'https://www.comune.amaro.ud.it/privacy-whatsapp-2027-01';
    const v3 = (await post(amaro, amaro.admin, '/privacy-policies', { version: '2027-01', url }).expect(201)).body.id as string;
    const [old] = await campaignMessagesTo(amaro, citizens.silent.phone);
    const outdated = await citizenSends(amaro, citizens.silent.phone, { type: 'button', payload: quickReplyPayload(old), text: 'Accetto' });
    expect(outdated).toContain('Questa richiesta riguardava la versione 2026-12');
    expect(outdated).toContain('sostituita dalla versione 2027-01');
    expect(outdated).toContain(url);
    expect(await ledger(citizens.silent.id)).toEqual([]);
    // The older version can no longer be asked for, nor given a deadline.
    expect((await post(amaro, amaro.admin, `/privacy-policies/${v2}/acceptance-requests`, { messageTemplateId: templateId })).body.code).toBe(
      'POLICY_NOT_CURRENT',
    );
    expect((await patch(amaro, amaro.admin, `/privacy-policies/${v2}`, { acceptanceDeadline: '2999-01-01' })).body.code).toBe('POLICY_NOT_CURRENT');

    // A deadline leaves citizens at least 14 days.
    const soon = await patch(amaro, amaro.admin, `/privacy-policies/${v3}`, { acceptanceDeadline: new Date().toISOString().slice(0, 10) });
    expect(soon.status).toBe(400);
    expect(soon.body.code).toBe('POLICY_DEADLINE_TOO_SOON');
    expect((await patch(amaro, amaro.editor, `/privacy-policies/${v3}`, { acceptanceDeadline: '2999-01-01' })).status).toBe(403);
    await patch(amaro, amaro.admin, `/privacy-policies/${v3}`, { acceptanceDeadline: '2999-01-01' }).expect(200);
    expect((await status(amaro, v3)).deadlinePassed).toBe(false);

    // As if the deadline had passed: those who accepted get the news, the others only emergencies.
    await db.query(`UPDATE privacy_policy_versions SET published_on = current_date - 40, acceptance_deadline = current_date - 2 WHERE id = $1`, [v3]);
    expect(await citizenSends(amaro, citizens.inWindow.phone, { type: 'text', text: 'ACCETTO' })).toContain(
      'Da ora ricevi di nuovo tutte le comunicazioni del Comune',
    );
    const s = await status(amaro, v3);
    expect(s).toMatchObject({ deadlinePassed: true, current: true });
    expect(s.subscribers).toMatchObject({ active: 5, accepted: 1, pending: 4, pausedFromBroadcasts: 4 });

    const news = await post(amaro, amaro.editor, '/campaigns', {
      title: 'Mercato',
      messageTemplateId: noticeTemplateId,
      variables: { testo: 'mercato' },
    });
    expect(news.status).toBe(201);
    const estimate = (await get(amaro, amaro.editor, `/campaigns/${news.body.id}/estimate`)).body;
    expect(estimate.audience).toMatchObject({ total: 5, policyPaused: 4 });
    await post(amaro, amaro.editor, `/campaigns/${news.body.id}/send`).expect(202);
    await completed(amaro, news.body.id as string);
    const stats = (await get(amaro, amaro.editor, `/campaigns/${news.body.id}/stats`)).body;
    expect(stats).toMatchObject({ targeted: 5, skipped: 4 });
    expect(stats.skippedByReason).toEqual([
      { reason: expect.stringMatching(/has not accepted privacy policy version 2027-01 by its deadline/), count: 4 },
    ]);
    expect(await campaignMessagesTo(amaro, citizens.inWindow.phone)).toHaveLength(2);

    const alert = await post(amaro, amaro.admin, '/campaigns', {
      title: 'Allerta',
      messageTemplateId: noticeTemplateId,
      variables: { testo: 'esondazione' },
      priority: 'emergency',
    }).expect(201);
    await post(amaro, amaro.admin, `/campaigns/${alert.body.id}/send`).expect(202);
    await completed(amaro, alert.body.id as string);
    expect((await get(amaro, amaro.editor, `/campaigns/${alert.body.id}/stats`)).body).toMatchObject({ targeted: 5, skipped: 0 });
    await db.query(`UPDATE privacy_policy_versions SET acceptance_deadline = NULL WHERE id = $1`, [v3]);
  });

  it('another comune sees none of it: 404 on every route, nothing changes', async () => {
    const snapshot = async () => ({
      versions: (await db.query(`SELECT * FROM privacy_policy_versions WHERE tenant_id = $1 ORDER BY id`, [amaro.tenant.id])).rows,
      campaigns: (await db.query(`SELECT id, status FROM campaigns WHERE tenant_id = $1 ORDER BY id`, [amaro.tenant.id])).rows,
      tenant: (await db.query(`SELECT privacy_policy_version, privacy_policy_url FROM tenants WHERE id = $1`, [amaro.tenant.id])).rows,
    });
    const before = await snapshot();
    for (const who of [cavazzo.admin, cavazzo.editor]) {
      for (const via of [amaro, cavazzo]) {
        // An editor may not change versions even in its own comune: 403 there, whatever the id (as for any admin route).
        const writes = via === cavazzo && who === cavazzo.editor ? 403 : 404;
        expect((await get(via, who, `/privacy-policies/${v2}`)).status).toBe(404);
        expect((await patch(via, who, `/privacy-policies/${v2}`, { url: 'https://evil.example' })).status).toBe(writes);
        expect((await post(via, who, `/privacy-policies/${v2}/acceptance-requests`, { messageTemplateId: templateId })).status).toBe(writes);
      }
      expect((await get(amaro, who, '/privacy-policies')).status).toBe(404);
      expect((await post(amaro, who, '/privacy-policies', { version: 'x', url: 'https://evil.example' })).status).toBe(404);
    }
    // Cavazzo's own list holds only its own versions.
    const own = (await get(cavazzo, cavazzo.admin, '/privacy-policies').expect(200)).body as { id: string }[];
    expect(own.map((v) => v.id)).not.toContain(v2);
    expect(await snapshot()).toEqual(before);
  });
});
