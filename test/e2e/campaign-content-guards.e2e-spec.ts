import type { Client } from 'pg';
import { newId } from '#common';
import { SubscriberRepository } from '#database';
import { startChannel, type Channel } from '../support/channel.js';
import { ownerClient } from '../support/database.js';
import type { Comune } from '../support/factories.js';
import { campaignEnded, openWindow, tenantApi } from '../support/tenant-api.js';

/**
 * What a campaign says is what was written, checked and approved: the template it renders cannot
 * change under it once it is past its draft, a template it can no longer render fails it with the
 * reason (rather than leaving it sending), and a title is not blanks.
 */
describe('campaign content guards', () => {
  let ch: Channel;
  let db: Client;
  let amaro: Comune;
  let templateId: string;
  const api = (): ReturnType<typeof tenantApi> => tenantApi(ch.t);
  let seq = 0;

  /** An active subscriber with this tag, inside the 24-hour window when `inWindow`. */
  const subscriber = async (tag: string, inWindow: boolean): Promise<string> => {
    const phone = `+3933${String(Date.now() + ++seq).slice(-8)}`;
    const s = await ch.t.app
      .get(SubscriberRepository)
      .create(amaro.tenant.id, { id: newId(), phoneE164: phone, waId: null, userId: null, source: 'editor', status: 'active', firstName: 'Zoë' });
    await db.query(`UPDATE subscribers SET activated_at = now(), tags = $2 WHERE id = $1`, [s.id, [tag]]);
    if (inWindow) await openWindow(ch, db, amaro, phone);
    return phone;
  };

  beforeAll(async () => {
    ch = await startChannel();
    db = await ownerClient(ch.t.config);
    amaro = await ch.comune('guardie');
    templateId = await ch.utilityTemplate(amaro); // 'Gentile {{nome}}, {{avviso}}.', linked to the approved 'avviso'
  });
  afterAll(async () => {
    await db.end();
    await ch.close();
  });

  it("refuses a change to the text of a template that a campaign awaiting approval uses; its name may change, and a draft's template may", async () => {
    await api().put(amaro, amaro.admin, '/campaign-settings', { requiresApproval: true }).expect(200);
    try {
      const draft = await api().post(amaro, amaro.editor, '/message-templates', { name: 'Bozza', body: 'Avviso: {{avviso}}.' }).expect(201);
      await api()
        .post(amaro, amaro.editor, '/campaigns', {
          title: 'Ancora bozza',
          messageTemplateId: draft.body.id,
          variables: { avviso: 'x' },
          audience: {},
        })
        .expect(201);
      // Only a draft uses it: the text may still change.
      await api().patch(amaro, amaro.editor, `/message-templates/${draft.body.id}`, { body: 'Avviso del comune: {{avviso}}.' }).expect(200);

      const at = new Date(Date.now() + 3 * 3600_000).toISOString();
      const c = await api()
        .post(amaro, amaro.editor, '/campaigns', {
          title: 'Mercato',
          messageTemplateId: templateId,
          variables: { avviso: 'mercato spostato' },
          audience: {},
        })
        .expect(201);
      expect((await api().post(amaro, amaro.editor, `/campaigns/${c.body.id}/schedule`, { scheduledAt: at }).expect(202)).body.status).toBe(
        'awaiting_approval',
      );
      const refused = await api()
        .patch(amaro, amaro.editor, `/message-templates/${templateId}`, { body: 'Gentile {{nome}}, TESTO NON APPROVATO {{avviso}}.' })
        .expect(409);
      expect(refused.body).toMatchObject({ code: 'MESSAGE_TEMPLATE_IN_USE', message: expect.stringContaining('cannot change') });
      await api().post(amaro, amaro.admin, `/campaigns/${c.body.id}/approve`).expect(202);
      await api()
        .patch(amaro, amaro.editor, `/message-templates/${templateId}`, { body: 'Gentile {{nome}}, TESTO NON APPROVATO {{avviso}}.' })
        .expect(409);
      // The label is not what citizens read.
      await api().patch(amaro, amaro.editor, `/message-templates/${templateId}`, { name: 'Avviso generico' }).expect(200);
      const template = (await api().get(amaro, amaro.editor, `/message-templates/${templateId}`).expect(200)).body;
      expect(template).toMatchObject({ name: 'Avviso generico', body: 'Gentile {{nome}}, {{avviso}}.' });
      await api().post(amaro, amaro.editor, `/campaigns/${c.body.id}/cancel`).expect(200);
      // Cancelled: the template's text is free again.
      await api()
        .patch(amaro, amaro.editor, `/message-templates/${templateId}`, { name: 'Avviso', body: 'Gentile {{nome}}: {{avviso}}.' })
        .expect(200);
      await api().patch(amaro, amaro.editor, `/message-templates/${templateId}`, { body: 'Gentile {{nome}}, {{avviso}}.' }).expect(200);
    } finally {
      await api().put(amaro, amaro.admin, '/campaign-settings', { requiresApproval: false }).expect(200);
    }
  });

  it('fails, with the reason, a campaign whose template gained a variable it has no value for, instead of leaving it sending', async () => {
    const body = 'Avviso per {{nome}}: {{avviso}}.';
    const own = await api().post(amaro, amaro.editor, '/message-templates', { name: 'Variabile aggiunta', body }).expect(201);
    const phone = await subscriber('guardie_c', true);
    const c = await api()
      .post(amaro, amaro.editor, '/campaigns', {
        title: 'Variabile aggiunta',
        messageTemplateId: own.body.id,
        variables: { avviso: 'x' },
        audience: { tags: ['guardie_c'] },
      })
      .expect(201);
    // While the campaign is a draft, the template gains {{ora}}, which the campaign has no value for.
    await api()
      .patch(amaro, amaro.editor, `/message-templates/${own.body.id}`, { body: 'Avviso per {{nome}}: {{avviso}} alle {{ora}}.' })
      .expect(200);
    await api().post(amaro, amaro.editor, `/campaigns/${c.body.id}/send`).expect(202);
    expect(await campaignEnded(ch.t, db, amaro, c.body.id, { statuses: ['failed', 'completed'], timeoutMs: 30_000 })).toBe('failed');
    const campaign = (await api().get(amaro, amaro.editor, `/campaigns/${c.body.id}`).expect(200)).body;
    expect(campaign.failureReason).toContain('{{ora}}');
    const rows = (await db.query(`SELECT status FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2`, [amaro.tenant.id, c.body.id]))
      .rows;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r: { status: string }) => r.status === 'failed' || r.status === 'cancelled')).toBe(true);
    expect((await ch.sim.listMessages({ phoneNumberId: amaro.number.phoneNumberId, to: phone })).length).toBe(0);
  });

  it('counts as inside the window only recipients who will not be skipped: the frequency-capped ones do not hide those outside it', async () => {
    const tag = 'guardie_e';
    await subscriber(tag, true);
    await subscriber(tag, true);
    await api().put(amaro, amaro.admin, '/campaign-settings', { frequencyCapPerWeek: 1 }).expect(200);
    try {
      const first = await api()
        .post(amaro, amaro.editor, '/campaigns', { title: 'Prima', body: 'Ciao {{nome}}', audience: { tags: [tag] } })
        .expect(201);
      await api().post(amaro, amaro.editor, `/campaigns/${first.body.id}/send`).expect(202);
      await campaignEnded(ch.t, db, amaro, first.body.id);
      await subscriber(tag, false); // outside the window, not capped
      const second = await api()
        .post(amaro, amaro.editor, '/campaigns', {
          title: 'Seconda',
          messageTemplateId: templateId,
          variables: { avviso: 'x' },
          audience: { tags: [tag] },
        })
        .expect(201);
      const est = (await api().get(amaro, amaro.editor, `/campaigns/${second.body.id}/estimate`).expect(200)).body;
      expect(est.audience).toMatchObject({ total: 3, frequencyCapped: 2, inWindow: 0 });
      expect(est.outsideWindow).toBe(1);
      expect(est.category).toBe('utility');
    } finally {
      await api().put(amaro, amaro.admin, '/campaign-settings', { frequencyCapPerWeek: null }).expect(200);
    }
  });

  it('refuses a title of blanks with a 400, on create and on update', async () => {
    const res = await api()
      .post(amaro, amaro.editor, '/campaigns', { title: '   ', body: 'Ciao', audience: { tags: ['nessuno'] } })
      .expect(400);
    expect(res.body.message).toContain('title must not be blank');
    const c = await api()
      .post(amaro, amaro.editor, '/campaigns', { title: 'Titolo', body: 'Ciao', audience: { tags: ['nessuno'] } })
      .expect(201);
    await api().patch(amaro, amaro.editor, `/campaigns/${c.body.id}`, { title: ' \t ' }).expect(400);
  });
});
