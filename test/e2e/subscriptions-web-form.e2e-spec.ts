import type { Client } from 'pg';
import { ChannelMaintenanceService, SubscriptionConfigService } from '#domain';
import { startChannel, type Channel } from '../support/channel.js';
import { ownerClient } from '../support/database.js';
import type { Comune } from '../support/factories.js';
import { waitFor } from '../support/worker.js';

/** Conegliano's web form: double opt-in confirmed from WhatsApp, expiry, honeypot, rate limits, no disclosure. */
describe('web form sign-up with double opt-in', () => {
  let ch: Channel;
  let db: Client;
  let c: Comune;
  let seq = 0;

  beforeAll(async () => {
    ch = await startChannel();
    db = await ownerClient(ch.t.config);
    c = await ch.comune('conegliano');
    await ch.t.app.get(SubscriptionConfigService).applyPreset(null, c.tenant.id, 'conegliano');
    await ch.sim.createTemplate({
      wabaId: c.number.wabaId,
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

  const citizen = (): string => `3934${String(Date.now()).slice(-6)}${String(seq++ % 100).padStart(2, '0')}`;
  const form = (body: Record<string, unknown>, ip = '203.0.113.7') =>
    ch.t
      .http()
      .post(`/public/v1/tenants/${c.tenant.slug}/subscriptions`)
      .set('x-forwarded-for', ip)
      .set('user-agent', 'Mozilla/5.0 (test)')
      .send({ consent: true, ...body });
  const messagesTo = (waId: string) => ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId, to: `+${waId}` });
  const subscriber = async (waId: string) =>
    (await db.query(`SELECT * FROM subscribers WHERE tenant_id = $1 AND phone_e164 = $2`, [c.tenant.id, `+${waId}`])).rows[0] as
      Record<string, unknown> | undefined;

  async function tapConfirm(waId: string): Promise<string> {
    const template = await waitFor(async () => (await messagesTo(waId)).find((m) => m.type === 'template'));
    const payload = (template.body as { template: { components: { type: string; parameters: { payload?: string }[] }[] } }).template.components.find(
      (x) => x.type === 'button',
    )!.parameters[0].payload!;
    const before = (await messagesTo(waId)).length;
    await ch.sim.sendInbound({
      phoneNumberId: c.number.phoneNumberId,
      from: waId,
      message: { type: 'button', payload, text: 'Confermo', contextMessageId: template.wamid },
    });
    const after = await waitFor(async () => {
      const m = await messagesTo(waId);
      return m.length > before ? m : null;
    });
    return (after[before].body as { text: { body: string } }).text.body;
  }

  it('serves the embeddable form with the comune’s lists', async () => {
    const res = await ch.t.http().get(`/public/v1/tenants/${c.tenant.slug}/form`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('Notizie da Conegliano');
    expect(res.text).toContain('name="website"');
    expect((await ch.t.http().get('/public/v1/tenants/no-such-comune/form')).status).toBe(404);
  });

  it('keeps the sign-up pending until the citizen confirms from WhatsApp, then records the form’s evidence', async () => {
    const waId = citizen();
    const res = await form({ firstName: 'Giulia', lastName: 'Rossi', phone: `${waId.slice(2, 5)} ${waId.slice(5)}` });
    expect(res.status).toBe(202);
    expect(res.body.message).toContain('WhatsApp');
    expect(await subscriber(waId)).toMatchObject({ status: 'pending', source: 'web_form', first_name: null });
    const template = await waitFor(async () => (await messagesTo(waId)).find((m) => m.type === 'template'));
    expect(template.body).toMatchObject({ template: { name: 'conferma_iscrizione' } });
    expect(await tapConfirm(waId)).toContain('Ciao Giulia');
    expect(await subscriber(waId)).toMatchObject({ status: 'active', first_name: 'Giulia', last_name: 'Rossi' });
    const { rows } = await db.query(
      `SELECT e.type, e.channel, e.evidence FROM consent_events e JOIN subscribers s ON s.tenant_id = e.tenant_id AND s.id = e.subscriber_id
        WHERE e.tenant_id = $1 AND s.phone_e164 = $2`,
      [c.tenant.id, `+${waId}`],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      type: 'opt_in',
      channel: 'web_form',
      evidence: { userAgent: 'Mozilla/5.0 (test)', confirmation: { wamid: expect.any(String) } },
    });
    expect((rows[0] as { evidence: { ip: string } }).evidence.ip).toBeTruthy();
  });

  it('lets an unconfirmed request expire', async () => {
    const waId = citizen();
    expect((await form({ firstName: 'Paolo', lastName: 'Neri', phone: `+${waId}` })).status).toBe(202);
    await waitFor(async () => (await messagesTo(waId)).find((m) => m.type === 'template'));
    await db.query(`UPDATE web_signups SET expires_at = now() - interval '1 minute' WHERE tenant_id = $1`, [c.tenant.id]);
    const report = await ch.t.app.get(ChannelMaintenanceService).sweep();
    expect(report.webSignupsExpired).toBeGreaterThanOrEqual(1);
    expect(await tapConfirm(waId)).toContain('scaduta');
    expect(await subscriber(waId)).toMatchObject({ status: 'pending' });
  });

  it('answers the same for an already subscribed number, and sends it nothing', async () => {
    const waId = citizen();
    await form({ firstName: 'Anna', lastName: 'Verdi', phone: `+${waId}` });
    await tapConfirm(waId);
    // The welcome is followed by the contact card: count once both arrived.
    await waitFor(async () => (await messagesTo(waId)).some((m) => m.type === 'contacts'));
    const count = (await messagesTo(waId)).length;
    const again = await form({ firstName: 'Anna', lastName: 'Verdi', phone: `+${waId}` });
    const fresh = await form({ firstName: 'Anna', lastName: 'Verdi', phone: `+${citizen()}` });
    expect(again.status).toBe(fresh.status);
    expect(again.body).toEqual(fresh.body);
    await new Promise((r) => setTimeout(r, 500));
    expect(await messagesTo(waId)).toHaveLength(count);
  });

  it('ignores a filled honeypot silently', async () => {
    const waId = citizen();
    const res = await form({ firstName: 'Bot', lastName: 'Bot', phone: `+${waId}`, website: 'http://spam.example' });
    expect(res.status).toBe(202);
    await new Promise((r) => setTimeout(r, 300));
    expect(await messagesTo(waId)).toHaveLength(0);
    expect(await subscriber(waId)).toBeUndefined();
  });

  it('refuses bad input with a reason', async () => {
    expect((await form({ firstName: 'A', lastName: 'B', phone: '123' })).body).toMatchObject({ statusCode: 400, code: 'INVALID_PHONE_NUMBER' });
    expect((await form({ firstName: 'A', lastName: 'B', phone: `+${citizen()}`, consent: false })).body).toMatchObject({ code: 'CONSENT_REQUIRED' });
    expect((await form({ phone: `+${citizen()}` })).body).toMatchObject({ code: 'FIELDS_REQUIRED' });
    expect((await form({ firstName: 'A', lastName: 'B', phone: `+${citizen()}`, lists: ['eventi'] })).body).toMatchObject({ code: 'UNKNOWN_LIST' });
    expect((await form({ firstName: 'A', lastName: 'B', phone: `+${citizen()}`, tenantId: 'x' })).status).toBe(400);
  });

  it('limits requests per phone number', async () => {
    const waId = citizen();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await form({ firstName: 'Rita', lastName: 'Blu', phone: `+${waId}` }, `198.51.100.${i + 1}`)).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
  });
});
