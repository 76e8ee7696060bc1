import type { Client } from 'pg';
import { ProviderRegistry } from '#domain';
import { startChannel, type Channel } from '../support/channel.js';
import { ownerClient } from '../support/database.js';
import { bearer, createOperator, uniq, type Comune, type Session } from '../support/factories.js';
import { envelope, messagesChange, metaJson, postWebhook, wamid } from '../support/webhooks.js';
import { waitFor } from '../support/worker.js';

/**
 * Sending and receiving end to end: the Cloud API adapter against the simulator over real HTTP,
 * signed webhooks back to the api, the worker in between, real Postgres and Redis.
 */
describe('WhatsApp channel through the simulator', () => {
  let ch: Channel;
  let db: Client;
  let amaro: Comune;
  let cavazzo: Comune;
  let operator: Session;

  beforeAll(async () => {
    ch = await startChannel();
    db = await ownerClient(ch.t.config);
    amaro = await ch.comune('amaro');
    cavazzo = await ch.comune('cavazzo');
    operator = await createOperator(ch.t);
  });
  afterAll(async () => {
    await db.end();
    await ch.close();
  });

  const citizen = (): string => `39333${Date.now().toString().slice(-7)}`;
  const http = () => ch.t.http();
  const outboundRow = async (c: Comune, id: string) =>
    (await db.query(`SELECT * FROM outbound_messages WHERE tenant_id = $1 AND id = $2`, [c.tenant.id, id])).rows[0] as Record<string, unknown>;
  const waitStatus = (c: Comune, id: string, statuses: string[], timeoutMs = 15_000) =>
    waitFor(
      async () => {
        const r = await outboundRow(c, id);
        return statuses.includes(r.status as string) ? r : null;
      },
      timeoutMs,
      `message ${id} to reach ${statuses.join('|')}`,
    );
  async function writes(c: Comune, from: string, text: string): Promise<void> {
    const res = await ch.sim.sendInbound({
      phoneNumberId: c.number.phoneNumberId,
      from,
      profileName: 'Giulia Bianchi',
      message: { type: 'text', text },
    });
    expect(res.webhookStatus).toBe(200);
    await waitFor(
      async () => (await db.query(`SELECT 1 FROM inbound_messages WHERE tenant_id = $1 AND wamid = $2`, [c.tenant.id, res.wamid])).rowCount,
    );
  }
  const send = (c: Comune, session: Session, body: Record<string, unknown>) =>
    http()
      .post(`/api/v1/tenants/${c.tenant.slug}/messages`)
      .set(...bearer(session))
      .send({ numberId: c.number.id, ...body });

  it('answers a citizen inside the window: exact request to Meta, correlation id, receipts up to read', async () => {
    const from = citizen();
    await writes(amaro, from, 'Buongiorno, c’è una buca in via Roma');
    const res = await send(amaro, amaro.editor, { to: `+${from}`, text: 'Grazie, segnalazione presa in carico 👍' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'queued', kind: 'editor_reply', category: 'service' });
    const id = res.body.id as string;
    const row = await waitStatus(amaro, id, ['read']);
    expect(row).toMatchObject({ attempts: 1, error_code: null });
    expect(row.sent_at).toBeInstanceOf(Date);
    expect(row.delivered_at).toBeInstanceOf(Date);
    const [sent] = await ch.sim.listMessages({ phoneNumberId: amaro.number.phoneNumberId, to: `+${from}` });
    expect(sent).toMatchObject({ to: `+${from}`, type: 'text', bizOpaqueCallbackData: id, wamid: row.provider_message_id });
    expect(sent.body).toMatchObject({ messaging_product: 'whatsapp', text: { body: 'Grazie, segnalazione presa in carico 👍' } });
    const got = await http()
      .get(`/api/v1/tenants/${amaro.tenant.slug}/messages/${id}`)
      .set(...bearer(amaro.editor));
    expect(got.body).toMatchObject({ status: 'read', providerMessageId: row.provider_message_id });
  });

  it('refuses free text outside the 24-hour window before anything is sent, and lets a template through', async () => {
    const to = `+${citizen()}`;
    const refused = await send(amaro, amaro.editor, { to, text: 'Ciao' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'WINDOW_CLOSED' });
    await ch.sim.createTemplate({
      wabaId: amaro.number.wabaId,
      name: 'avviso_generico',
      language: 'it',
      category: 'UTILITY',
      body: 'Avviso dal Comune: {{1}}',
    });
    const ok = await send(amaro, amaro.editor, { to, template: { name: 'avviso_generico', body: [{ text: 'strada chiusa' }] } });
    expect(ok.status).toBe(201);
    await waitStatus(amaro, ok.body.id as string, ['delivered', 'read']);
    const msgs = await ch.sim.listMessages({ phoneNumberId: amaro.number.phoneNumberId, to });
    expect(msgs).toHaveLength(1);
    expect(msgs[0].type).toBe('template');
  });

  it('refuses bad input with a reason: invalid phone number, both text and template, another comune’s number', async () => {
    expect((await send(amaro, amaro.editor, { to: '123', text: 'x' })).body).toMatchObject({ statusCode: 400, code: 'INVALID_PHONE_NUMBER' });
    expect((await send(amaro, amaro.editor, { to: '+393331234567', text: 'x', template: { name: 'a' } })).status).toBe(400);
    const foreign = await http()
      .post(`/api/v1/tenants/${amaro.tenant.slug}/messages`)
      .set(...bearer(amaro.editor))
      .send({ numberId: cavazzo.number.id, to: '+393331234567', text: 'x' });
    expect(foreign.status).toBe(404);
    const otherComune = await http()
      .get(`/api/v1/tenants/${amaro.tenant.slug}/messages`)
      .set(...bearer(cavazzo.editor));
    expect(otherComune.status).toBe(404);
  });

  it('retries 5xx bursts with backoff and sends once they pass', async () => {
    const from = citizen();
    await writes(amaro, from, 'ciao');
    await ch.sim.setFaults({ phoneNumberId: amaro.number.phoneNumberId, serverErrors: 2 });
    const res = await send(amaro, amaro.editor, { to: `+${from}`, text: 'Risposta dopo un disservizio' });
    const row = await waitStatus(amaro, res.body.id as string, ['accepted', 'sent', 'delivered', 'read'], 25_000);
    expect(row.attempts).toBe(3);
    expect(await ch.sim.listMessages({ phoneNumberId: amaro.number.phoneNumberId, to: `+${from}` })).toHaveLength(1);
  }, 40_000);

  it('records a send that timed out after Meta accepted it as unknown, never re-sends it, and settles it from the receipt', async () => {
    const from = citizen();
    await writes(amaro, from, 'ciao');
    await ch.sim.setFaults({ phoneNumberId: amaro.number.phoneNumberId, acceptThenTimeout: 1, holdMs: 5000 });
    const res = await send(amaro, amaro.editor, { to: `+${from}`, text: 'Forse arrivato' });
    const id = res.body.id as string;
    // The receipts carry our id: the row goes from unknown (or sending) straight to what Meta saw.
    const row = await waitStatus(amaro, id, ['read'], 20_000);
    expect(row.provider_message_id).toMatch(/^wamid\./);
    expect(row.error_action).toBeNull();
    await new Promise((r) => setTimeout(r, 500));
    expect(await ch.sim.listMessages({ phoneNumberId: amaro.number.phoneNumberId, to: `+${from}` })).toHaveLength(1);
    expect((await outboundRow(amaro, id)).attempts).toBe(1);
  }, 30_000);

  it('marks an undeliverable citizen (131026, asynchronous) and counts it on the contact', async () => {
    const waId = citizen();
    await ch.sim.setFaults({ phoneNumberId: amaro.number.phoneNumberId, undeliverable: [waId] });
    await ch.sim.createTemplate({
      wabaId: amaro.number.wabaId,
      name: 'avviso_generico',
      language: 'it',
      category: 'UTILITY',
      body: 'Avviso dal Comune: {{1}}',
    });
    const res = await send(amaro, amaro.editor, { to: `+${waId}`, template: { name: 'avviso_generico', body: [{ text: 'acqua' }] } });
    const row = await waitStatus(amaro, res.body.id as string, ['failed']);
    expect(row).toMatchObject({ error_code: 131026, error_action: 'recipient_permanent' });
    const contact = (await db.query(`SELECT undeliverable_count FROM contacts WHERE tenant_id = $1 AND wa_id = $2`, [amaro.tenant.id, waId])).rows[0];
    expect(contact).toEqual({ undeliverable_count: 1 });
    await ch.sim.clearFaults(amaro.number.phoneNumberId);
  });

  it('pauses the number on an expired token (190), keeps its queue, and resumes where it stopped once the token is replaced', async () => {
    const c = await ch.comune('verzegnis');
    const citizens = [citizen(), `39334${Date.now().toString().slice(-7)}`, `39335${Date.now().toString().slice(-7)}`];
    for (const from of citizens) await writes(c, from, 'ciao');
    await ch.sim.setFaults({ phoneNumberId: c.number.phoneNumberId, expiredToken: true });
    const first = await send(c, c.editor, { to: `+${citizens[0]}`, text: 'primo' });
    const number = await waitFor(async () => {
      const n = await http()
        .get(`/api/v1/tenants/${c.tenant.slug}/numbers/${c.number.id}`)
        .set(...bearer(c.editor));
      return n.body.status === 'paused' ? n.body : null;
    });
    expect(number).toMatchObject({ status: 'paused', pausedErrorCode: 190 });
    expect(number.pausedReason).toMatch(/expired|190/i);
    const audit = await http()
      .get(`/api/v1/tenants/${c.tenant.slug}/audit-events`)
      .set(...bearer(operator));
    expect(JSON.stringify(audit.body)).toContain('number.paused');

    const later = [
      await send(c, c.editor, { to: `+${citizens[1]}`, text: 'secondo' }),
      await send(c, c.editor, { to: `+${citizens[2]}`, text: 'terzo' }),
    ];
    await new Promise((r) => setTimeout(r, 300));
    for (const m of [first, ...later]) expect((await outboundRow(c, m.body.id as string)).status).toBe('queued');
    expect(await ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId })).toHaveLength(0);

    // The operator renews the token (on Meta's side and in araldo) and resumes the number.
    const newToken = `EAAG-renewed-token-${uniq()}${uniq()}`;
    await ch.sim.clearFaults(c.number.phoneNumberId);
    await ch.sim.registerNumber({
      phoneNumberId: c.number.phoneNumberId,
      wabaId: c.number.wabaId,
      displayPhoneNumber: c.number.displayNumber.slice(1),
      accessToken: newToken,
      appSecret: ch.app.plainSecret,
      webhookUrl: `${ch.t.url}/webhooks/whatsapp/${ch.app.appId}`,
    });
    const patched = await http()
      .patch(`/api/v1/tenants/${c.tenant.slug}/numbers/${c.number.id}`)
      .set(...bearer(operator))
      .send({ accessToken: newToken, status: 'active' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ status: 'active', pausedReason: null, pausedErrorCode: null });
    for (const m of [first, ...later]) await waitStatus(c, m.body.id as string, ['accepted', 'sent', 'delivered', 'read']);
    // Each queued message went exactly once (they are re-enqueued in order, and sent concurrently).
    const sent = await ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId });
    expect(sent.map((s) => (s.body as { text: { body: string } }).text.body).sort()).toEqual(['primo', 'secondo', 'terzo']);
  }, 40_000);

  it('downloads a citizen’s photo with the number’s token, checks it and serves it to the comune', async () => {
    const from = citizen();
    const res = await ch.sim.sendInbound({
      phoneNumberId: amaro.number.phoneNumberId,
      from,
      message: { type: 'image', caption: 'Buca in via Roma' },
    });
    const msg = await waitFor(
      async () =>
        (await db.query(`SELECT id FROM inbound_messages WHERE tenant_id = $1 AND wamid = $2`, [amaro.tenant.id, res.wamid])).rows[0] as
          { id: string } | undefined,
    );
    const file = await waitFor(async () => {
      const f = (await db.query(`SELECT * FROM media_files WHERE tenant_id = $1 AND inbound_message_id = $2`, [amaro.tenant.id, msg.id])).rows[0] as
        Record<string, unknown> | undefined;
      return f && f.status !== 'pending' ? f : null;
    });
    expect(file).toMatchObject({ status: 'stored', mime_type: 'image/jpeg' });
    const media = await http()
      .get(`/api/v1/tenants/${amaro.tenant.slug}/inbound-messages/${msg.id}/media`)
      .set(...bearer(amaro.editor))
      .buffer(true);
    expect(media.status).toBe(200);
    expect(media.headers['content-type']).toBe('image/jpeg');
    expect(media.headers['x-content-sha256']).toBe(file.sha256);
    const foreign = await http()
      .get(`/api/v1/tenants/${cavazzo.tenant.slug}/inbound-messages/${msg.id}/media`)
      .set(...bearer(cavazzo.editor));
    expect(foreign.status).toBe(404);
  });

  it('refuses to store media whose checksum does not match what the webhook announced', async () => {
    const provider = ch.t.app.get(ProviderRegistry).for('simulator');
    const creds = { phoneNumberId: amaro.number.phoneNumberId, accessToken: amaro.numberToken };
    const { mediaId } = await provider.uploadMedia(creds, {
      bytes: Buffer.from('%PDF-1.4 ordinanza'),
      mimeType: 'application/pdf',
      filename: 'o.pdf',
    });
    const id = wamid();
    const from = citizen();
    const body = metaJson(
      envelope(amaro.number.wabaId, [
        messagesChange(amaro.number.phoneNumberId, {
          contacts: [{ profile: { name: 'Giulia' }, wa_id: from }],
          messages: [
            {
              from,
              id,
              timestamp: String(Math.floor(Date.now() / 1000)),
              type: 'document',
              document: { id: mediaId, mime_type: 'application/pdf', sha256: Buffer.alloc(32, 9).toString('base64'), filename: 'o.pdf' },
            },
          ],
        }),
      ]),
    );
    expect((await postWebhook(ch.t, ch.app.appId, body, ch.app.plainSecret)).status).toBe(200);
    const file = await waitFor(async () => {
      const f = (
        await db.query(
          `SELECT m.* FROM media_files m JOIN inbound_messages i ON i.tenant_id = m.tenant_id AND i.id = m.inbound_message_id WHERE i.wamid = $1`,
          [id],
        )
      ).rows[0] as Record<string, unknown> | undefined;
      return f && f.status !== 'pending' ? f : null;
    });
    expect(file).toMatchObject({ status: 'failed', storage_key: null });
    expect(file.error).toMatch(/checksum/i);
  });

  it('syncs the comune’s templates from its WABA', async () => {
    await ch.sim.createTemplate({
      wabaId: cavazzo.number.wabaId,
      name: 'allerta_meteo',
      language: 'it',
      category: 'UTILITY',
      body: 'Allerta {{1}} dalle {{2}}',
    });
    await ch.sim.createTemplate({
      wabaId: cavazzo.number.wabaId,
      name: 'eventi_settimana',
      language: 'it',
      category: 'MARKETING',
      status: 'PENDING',
      body: 'Eventi: {{1}}',
    });
    const editorTry = await http()
      .post(`/api/v1/tenants/${cavazzo.tenant.slug}/whatsapp-templates/sync`)
      .set(...bearer(cavazzo.editor));
    expect(editorTry.status).toBe(403);
    const res = await http()
      .post(`/api/v1/tenants/${cavazzo.tenant.slug}/whatsapp-templates/sync`)
      .set(...bearer(cavazzo.admin));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ wabas: 1, templates: 2 });
    const list = await http()
      .get(`/api/v1/tenants/${cavazzo.tenant.slug}/whatsapp-templates`)
      .set(...bearer(cavazzo.editor));
    expect(list.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'allerta_meteo', status: 'APPROVED', category: 'utility' }),
        expect.objectContaining({ name: 'eventi_settimana', status: 'PENDING', category: 'marketing' }),
      ]),
    );
  });

  it('lists the comune’s contacts with their window, and inbound messages, to its own staff only', async () => {
    const from = citizen();
    await writes(cavazzo, from, 'Iscrivimi Mario Rossi');
    const contacts = await http()
      .get(`/api/v1/tenants/${cavazzo.tenant.slug}/contacts?limit=100`)
      .set(...bearer(cavazzo.editor));
    expect(contacts.body.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ waId: from, windowOpen: true, profileName: 'Giulia Bianchi' })]),
    );
    const inbox = await http()
      .get(`/api/v1/tenants/${cavazzo.tenant.slug}/inbound-messages`)
      .set(...bearer(cavazzo.editor));
    expect(inbox.body.items[0]).toMatchObject({ type: 'text', body: 'Iscrivimi Mario Rossi' });
    expect(
      (
        await http()
          .get(`/api/v1/tenants/${cavazzo.tenant.slug}/contacts`)
          .set(...bearer(amaro.editor))
      ).status,
    ).toBe(404);
    expect(
      (
        await http()
          .get(`/api/v1/tenants/${cavazzo.tenant.slug}/inbound-messages`)
          .set(...bearer(amaro.admin))
      ).status,
    ).toBe(404);
  });
});
