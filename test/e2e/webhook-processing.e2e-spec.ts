import type { INestApplicationContext } from '@nestjs/common';
import type { Client } from 'pg';
import { newId, type OutboundMessageId } from '#common';
import { OutboundMessageRepository, TenantDb } from '#database';
import { NumberPacer, ReceiptsService, WebhookProcessingService } from '#domain';
import { QueueProducer } from '#queue';
import { ownerClient } from '../support/database.js';
import { bearer, createComune, createOperator, createProviderApp, uniq, type Comune, type Session } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { envelope, fixture, inboundText, messagesChange, metaJson, postWebhook, statusChange, wamid, type Change } from '../support/webhooks.js';
import { startWorker, waitFor } from '../support/worker.js';

/** Webhook bodies through the real intake and the real worker, into tenant rows. */
describe('WhatsApp webhook processing', () => {
  let t: TestApp;
  let worker: INestApplicationContext;
  let db: Client;
  let app: Awaited<ReturnType<typeof createProviderApp>>;
  let amaro: Comune;
  let cavazzo: Comune;
  let operator: Session;

  beforeAll(async () => {
    const overrides = { REDIS_KEY_PREFIX: `{araldo-test-processing-${uniq()}}` };
    t = await createTestApp(overrides);
    worker = await startWorker(t.config);
    db = await ownerClient(t.config);
    app = await createProviderApp(t);
    amaro = await createComune(t, 'amaro', app);
    cavazzo = await createComune(t, 'cavazzo', app);
    operator = await createOperator(t);
  });
  afterAll(async () => {
    await db.end();
    await worker.close();
    await t.close();
  });

  const post = async (changes: Change[], waba = amaro.number.wabaId): Promise<void> => {
    const res = await postWebhook(t, app.appId, metaJson(envelope(waba, changes)), app.plainSecret);
    expect(res.status).toBe(200);
  };
  const inbound = async (tenantId: string, id: string) =>
    (await db.query(`SELECT * FROM inbound_messages WHERE tenant_id = $1 AND wamid = $2`, [tenantId, id])).rows[0] as
      Record<string, unknown> | undefined;
  const waitInbound = (tenantId: string, id: string) => waitFor(() => inbound(tenantId, id), 15_000, `inbound ${id}`);
  const pnid = (c: Comune): string => c.number.phoneNumberId;

  it('stores the reference fixtures (text, image with caption, location) with the sender and their window', async () => {
    for (const name of ['01-inbound-text-attiva.json', '03-inbound-image-segnalazione-buca.json', '04-inbound-location.json']) {
      const res = await postWebhook(t, app.appId, fixture(name, pnid(amaro), amaro.number.wabaId), app.plainSecret);
      expect(res.status).toBe(200);
    }
    const text = await waitFor(
      async () => (await db.query(`SELECT * FROM inbound_messages WHERE tenant_id = $1 AND type = 'text'`, [amaro.tenant.id])).rows[0],
    );
    expect(text).toMatchObject({ body: 'ATTIVA', number_id: amaro.number.id });
    const image = await waitFor(
      async () => (await db.query(`SELECT * FROM inbound_messages WHERE tenant_id = $1 AND type = 'image'`, [amaro.tenant.id])).rows[0],
    );
    expect(image.content).toMatchObject({ type: 'image', mimeType: 'image/jpeg' });
    const location = await waitFor(
      async () => (await db.query(`SELECT * FROM inbound_messages WHERE tenant_id = $1 AND type = 'location'`, [amaro.tenant.id])).rows[0],
    );
    expect(location.content).toMatchObject({ type: 'location', mapUrl: expect.stringContaining('openstreetmap.org') });
    const contact = (await db.query(`SELECT * FROM contacts WHERE tenant_id = $1 AND id = $2`, [amaro.tenant.id, text.contact_id])).rows[0];
    expect(contact.profile_name).toBeTruthy();
    expect(contact.last_inbound_at).toBeInstanceOf(Date);
    // The image is queued for download (the media id is Meta's, unknown here: it fails, recorded).
    const media = await waitFor(
      async () => (await db.query(`SELECT * FROM media_files WHERE tenant_id = $1 AND inbound_message_id = $2`, [amaro.tenant.id, image.id])).rows[0],
    );
    expect(media.provider_media_id).toBeTruthy();
  });

  it('handles every message type in one batch of several entries and changes', async () => {
    const from = `3933${Date.now().toString().slice(-8)}`;
    const at = String(Math.floor(Date.now() / 1000));
    const ids = Object.fromEntries(
      [
        'text',
        'image',
        'video',
        'audio',
        'document',
        'sticker',
        'location',
        'contacts',
        'button_reply',
        'list_reply',
        'button',
        'reaction',
        'unreaction',
        'unsupported',
        'system',
      ].map((k) => [k, wamid()]),
    );
    const media = (mime: string) => ({ id: `${Date.now()}${uniq()}`, mime_type: mime, sha256: 'AAAA' });
    const msg = (id: string, type: string, payload: Record<string, unknown>) => ({ from, id, timestamp: at, type, ...payload });
    const contacts = [{ profile: { name: 'Mario Rossi' }, wa_id: from }];
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: amaro.number.wabaId,
          changes: [
            messagesChange(pnid(amaro), {
              contacts,
              messages: [
                msg(ids.text, 'text', { text: { body: 'Buongiorno, c’è una buca 🚧' } }),
                msg(ids.image, 'image', { image: { ...media('image/jpeg'), caption: 'Via Roma' } }),
                msg(ids.video, 'video', { video: media('video/mp4') }),
                msg(ids.audio, 'audio', { audio: { ...media('audio/ogg; codecs=opus'), voice: true } }),
                msg(ids.document, 'document', { document: { ...media('application/pdf'), filename: 'ricevuta.pdf' } }),
              ],
            }),
            messagesChange(pnid(amaro), {
              contacts,
              messages: [
                msg(ids.sticker, 'sticker', { sticker: { ...media('image/webp'), animated: false } }),
                msg(ids.location, 'location', { location: { latitude: 46.37, longitude: 13.1, name: 'Municipio' } }),
                msg(ids.contacts, 'contacts', { contacts: [{ name: { formatted_name: 'Ufficio tecnico' }, phones: [{ phone: '+390433000000' }] }] }),
              ],
            }),
          ],
        },
        {
          id: amaro.number.wabaId,
          changes: [
            messagesChange(pnid(amaro), {
              contacts,
              messages: [
                msg(ids.button_reply, 'interactive', {
                  interactive: { type: 'button_reply', button_reply: { id: 'SUB_CONFIRM:YES', title: 'Sì, confermo' } },
                  context: { from: '393200000000', id: 'wamid.ours1' },
                }),
                msg(ids.list_reply, 'interactive', {
                  interactive: { type: 'list_reply', list_reply: { id: 'CH:EMERGENZE', title: 'Emergenze', description: 'Allerte' } },
                  context: { from: '393200000000', id: 'wamid.ours2' },
                }),
                msg(ids.button, 'button', {
                  button: { payload: 'UNSUB:EMERGENZE', text: 'Disiscrivimi' },
                  context: { from: '393200000000', id: 'wamid.ours3' },
                }),
                msg(ids.reaction, 'reaction', { reaction: { message_id: 'wamid.ours1', emoji: '👍' } }),
                msg(ids.unreaction, 'reaction', { reaction: { message_id: 'wamid.ours1' } }),
                msg(ids.unsupported, 'unsupported', {
                  errors: [{ code: 131051, title: 'Message type unknown', message: 'Message type unknown', error_data: { details: 'poll' } }],
                  unsupported: { type: 'poll' },
                }),
                msg(ids.system, 'system', { system: { body: 'User changed number', type: 'user_changed_number' } }),
              ],
            }),
          ],
        },
      ],
    };
    const res = await postWebhook(t, app.appId, metaJson(body), app.plainSecret);
    expect(res.status).toBe(200);
    const expected: Record<string, string> = {
      text: 'text',
      image: 'image',
      video: 'video',
      audio: 'audio',
      document: 'document',
      sticker: 'sticker',
      location: 'location',
      contacts: 'contacts',
      button_reply: 'interactive_reply',
      list_reply: 'interactive_reply',
      button: 'button',
      reaction: 'reaction',
      unreaction: 'reaction',
      unsupported: 'unsupported',
      system: 'other',
    };
    for (const [key, type] of Object.entries(expected)) {
      const row = await waitInbound(amaro.tenant.id, ids[key]);
      expect({ key, type: row.type }).toEqual({ key, type });
    }
    expect((await inbound(amaro.tenant.id, ids.text))!.body).toBe('Buongiorno, c’è una buca 🚧');
    expect((await inbound(amaro.tenant.id, ids.button_reply))!.context_message_id).toBe('wamid.ours1');
    expect((await inbound(amaro.tenant.id, ids.unreaction))!.content).toMatchObject({ emoji: null });
    expect((await inbound(amaro.tenant.id, ids.audio))!.content).toMatchObject({ voice: true });
    const mediaRows = await waitFor(async () => {
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM media_files WHERE tenant_id = $1 AND inbound_message_id IN (SELECT id FROM inbound_messages WHERE tenant_id = $1 AND wamid = ANY($2))`,
        [amaro.tenant.id, [ids.image, ids.video, ids.audio, ids.document, ids.sticker]],
      );
      return (rows[0] as { n: number }).n === 5 ? 5 : null;
    });
    expect(mediaRows).toBe(5);
    const contact = (await db.query(`SELECT count(*)::int AS n FROM contacts WHERE tenant_id = $1 AND wa_id = $2`, [amaro.tenant.id, from])).rows[0];
    expect(contact).toEqual({ n: 1 });
  });

  it('stores a redelivered message once', async () => {
    const id = wamid();
    const change = inboundText(pnid(amaro), '393331000001', 'ISCRIZIONE ON', { id });
    await post([change]);
    await waitInbound(amaro.tenant.id, id);
    await post([change]);
    await post([change, change]);
    await new Promise((r) => setTimeout(r, 500));
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM inbound_messages WHERE tenant_id = $1 AND wamid = $2`, [amaro.tenant.id, id]);
    expect(rows[0]).toEqual({ n: 1 });
  });

  it("counts each new citizen's message in its number's inbound rate, which its sends leave room for (Meta counts both), and a redelivery not again", async () => {
    const verzegnis = await createComune(t, 'verzegnis', app);
    const pacer = worker.get(NumberPacer);
    const interval = async (): Promise<number> => {
      const r = await pacer.reserve(verzegnis.number.id, verzegnis.number.mpsCap, 1, 'reply');
      if (!('startAt' in r)) throw new Error(`no slot: retry in ${r.retryInMs} ms`);
      return r.intervalMs;
    };
    const base = await interval();
    const changes = Array.from({ length: 5 }, (_, i) =>
      inboundText(pnid(verzegnis), `39333200000${i}`, 'Buongiorno, una segnalazione', { id: wamid() }),
    );
    await post(changes, verzegnis.number.wabaId);
    await waitFor(async () => {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM inbound_messages WHERE tenant_id = $1`, [verzegnis.tenant.id]);
      return rows[0].n === 5 ? true : undefined;
    });
    // Five messages read as up to five a second (decaying since), taken off the number's pace.
    const first = await interval();
    expect(first).toBeGreaterThan(base * 1.01);
    expect(first).toBeLessThanOrEqual(1000 / (1000 / base - 5) + 0.01);
    // The same messages again: stored once, counted once (the rate only decayed).
    await post(changes, verzegnis.number.wabaId);
    await new Promise((r) => setTimeout(r, 600));
    expect(await interval()).toBeLessThan(first);
  });

  it('keeps a sender with only a business-scoped user id, and the profile name', async () => {
    const id = wamid();
    const userId = `IT.${uniq()}${uniq()}`;
    await post([
      messagesChange(pnid(amaro), {
        contacts: [{ profile: { name: 'Utente Anonimo' }, wa_id: '', user_id: userId }],
        messages: [{ from: '', from_user_id: userId, id, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'STATO' } }],
      }),
    ]);
    const row = await waitInbound(amaro.tenant.id, id);
    const contact = (await db.query(`SELECT * FROM contacts WHERE tenant_id = $1 AND id = $2`, [amaro.tenant.id, row.contact_id])).rows[0];
    expect(contact).toMatchObject({ wa_id: null, user_id: userId, profile_name: 'Utente Anonimo' });
  });

  it('routes by phone_number_id only: each comune gets its own messages', async () => {
    const a = wamid();
    const b = wamid();
    await post([
      inboundText(pnid(amaro), '393331000002', 'per Amaro', { id: a }),
      inboundText(pnid(cavazzo), '393331000002', 'per Cavazzo', { id: b }),
    ]);
    await waitInbound(amaro.tenant.id, a);
    await waitInbound(cavazzo.tenant.id, b);
    expect(await inbound(cavazzo.tenant.id, a)).toBeUndefined();
    expect(await inbound(amaro.tenant.id, b)).toBeUndefined();
  });

  it("takes a change only for numbers of the app whose secret signed it: another app's secret cannot speak for a comune", async () => {
    const other = await createProviderApp(t);
    const quality = async () =>
      (await db.query(`SELECT last_quality_event_at, messaging_tier FROM whatsapp_numbers WHERE id = $1`, [amaro.number.id])).rows[0];
    const before = await quality();
    const id = wamid();
    const res = await postWebhook(
      t,
      other.appId,
      metaJson(
        envelope(amaro.number.wabaId, [
          inboundText(pnid(amaro), '393331000077', 'STOP', { id }),
          {
            field: 'phone_number_quality_update',
            value: { display_phone_number: amaro.number.displayNumber.slice(1), event: 'FLAGGED', current_limit: 'TIER_250' },
          },
        ]),
      ),
      other.plainSecret,
    );
    expect(res.status).toBe(200);
    const letters = await waitFor(async () => {
      const rows = (
        await db.query(`SELECT field, phone_number_id, reason FROM webhook_dead_letters WHERE provider_app_id = $1 ORDER BY field`, [other.id])
      ).rows as { field: string; phone_number_id: string | null; reason: string }[];
      return rows.length === 2 ? rows : undefined;
    });
    expect(letters).toEqual([
      { field: 'messages', phone_number_id: pnid(amaro), reason: expect.stringContaining('another provider app') },
      { field: 'phone_number_quality_update', phone_number_id: null, reason: expect.stringContaining('on this provider app') },
    ]);
    expect(await inbound(amaro.tenant.id, id)).toBeUndefined();
    expect(await quality()).toEqual(before);
  });

  describe("a citizen's message stored but not handled", () => {
    /** A webhook event stored with no job (processed by the calls below), holding one text message. */
    const storeEvent = async (id: string, text: string): Promise<string> =>
      String(
        (
          await db.query(`INSERT INTO webhook_events (provider_app_id, body) VALUES ($1, $2) RETURNING id`, [
            app.id,
            metaJson(envelope(amaro.number.wabaId, [inboundText(pnid(amaro), '393331000088', text, { id })])),
          ])
        ).rows[0].id,
      );
    const handledAt = async (id: string) => (await inbound(amaro.tenant.id, id))?.handled_at ?? null;

    it('is handled when its batch, whose first attempt stored it and failed to queue its job, is processed again', async () => {
      const producer = t.app.get(QueueProducer);
      const queue = producer.handleInbound.bind(producer);
      producer.handleInbound = () => Promise.reject(new Error('Redis away'));
      const id = wamid();
      const eventId = await storeEvent(id, 'STOP');
      const processing = t.app.get(WebhookProcessingService);
      try {
        await expect(processing.processEvents([eventId])).rejects.toThrow('Redis away');
      } finally {
        producer.handleInbound = queue;
      }
      expect(await inbound(amaro.tenant.id, id)).toMatchObject({ body: 'STOP', handled_at: null });
      // The job's retry: the message is no longer new, and is queued all the same.
      await processing.processEvents([eventId]);
      await waitFor(() => handledAt(id), 15_000, 'handled');
    });
  });

  it('keeps changes for an unknown number as dead letters, and replays them once the number is onboarded', async () => {
    const unknownPnid = `9${Date.now()}`;
    const id = wamid();
    await post([inboundText(unknownPnid, '393331000003', 'numero sconosciuto', { id })]);
    const letter = await waitFor(
      async () =>
        (await db.query(`SELECT * FROM webhook_dead_letters WHERE phone_number_id = $1`, [unknownPnid])).rows[0] as { id: string } | undefined,
    );
    const listed = await t
      .http()
      .get('/api/v1/webhook-dead-letters?open=true&limit=100')
      .set(...bearer(operator));
    expect(listed.status).toBe(200);
    const item = (listed.body.items as { id: string; reason: string; summary: Record<string, number> }[]).find((i) => i.id === String(letter.id));
    expect(item).toMatchObject({ reason: `no comune has phone_number_id ${unknownPnid}`, summary: { messages: 1, contacts: 1 } });
    expect(JSON.stringify(listed.body)).not.toContain('393331000003');

    const editorTry = await t
      .http()
      .get('/api/v1/webhook-dead-letters')
      .set(...bearer(amaro.editor));
    expect(editorTry.status).toBe(403);
    const early = await t
      .http()
      .post(`/api/v1/webhook-dead-letters/${letter.id}/replay`)
      .set(...bearer(operator));
    expect(early.status).toBe(409);

    const added = await t
      .http()
      .post(`/api/v1/tenants/${cavazzo.tenant.slug}/numbers`)
      .set(...bearer(operator))
      .send({
        providerAppId: app.id,
        phoneNumberId: unknownPnid,
        displayNumber: `+39 320 ${Date.now().toString().slice(-7)}`,
        wabaId: '555555555555555',
        accessToken: 'a-new-access-token-000000',
      });
    expect(added.status).toBe(201);
    const replay = await t
      .http()
      .post(`/api/v1/webhook-dead-letters/${letter.id}/replay`)
      .set(...bearer(operator));
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ resolution: 'replayed' });
    expect(await inbound(cavazzo.tenant.id, id)).toMatchObject({ body: 'numero sconosciuto' });
    const again = await t
      .http()
      .post(`/api/v1/webhook-dead-letters/${letter.id}/replay`)
      .set(...bearer(operator));
    expect(again.status).toBe(409);
  });

  describe('receipts', () => {
    const outbound = () => t.app.get(OutboundMessageRepository);
    /** A message being sent (claimed, no answer from Meta yet), as OutboundService leaves it. */
    async function sending(
      c: Comune,
      overrides: { contactId?: string; recipient?: string; category?: 'utility' | 'marketing' | 'service' } = {},
    ): Promise<OutboundMessageId> {
      const id = newId<OutboundMessageId>();
      await outbound().insert(c.tenant.id, {
        id,
        numberId: c.number.id,
        contactId: (overrides.contactId ?? null) as never,
        recipient: overrides.recipient ?? '+393331234567',
        recipientKind: 'phone',
        kind: 'campaign',
        category: overrides.category ?? 'utility',
        priority: 0,
        campaignId: null,
        replyToWamid: null,
        content: { type: 'text', body: 'Allerta meteo' },
      });
      await outbound().claimForSend(c.tenant.id, id);
      return id;
    }
    async function accepted(c: Comune): Promise<{ id: OutboundMessageId; pmid: string }> {
      const id = await sending(c);
      const pmid = wamid();
      await outbound().markAccepted(c.tenant.id, id, pmid, '393331234567');
      return { id, pmid };
    }
    const row = async (c: Comune, id: string) =>
      (await db.query(`SELECT * FROM outbound_messages WHERE tenant_id = $1 AND id = $2`, [c.tenant.id, id])).rows[0] as Record<string, unknown>;

    it('end at read whatever the order, duplicated, with the first time of each state', async () => {
      const m = await accepted(amaro);
      const base = Math.floor(Date.now() / 1000);
      const s = (status: string, dt: number) =>
        statusChange(pnid(amaro), { id: m.pmid, status, correlation: m.id, at: base + dt, pricing: status === 'sent' });
      await post([s('read', 3), s('sent', 1), s('read', 3)]);
      await post([s('delivered', 2), s('sent', 1)]);
      await post([s('sent', 5)]);
      const r = await waitFor(async () => {
        const x = await row(amaro, m.id);
        return x.status === 'read' &&
          (x.delivered_at as Date | null)?.getTime() === (base + 2) * 1000 &&
          (x.sent_at as Date).getTime() === (base + 1) * 1000
          ? x
          : null;
      });
      expect((r.sent_at as Date).getTime()).toBe((base + 1) * 1000);
      expect((r.delivered_at as Date).getTime()).toBe((base + 2) * 1000);
      expect((r.read_at as Date).getTime()).toBe((base + 3) * 1000);
      expect(r.pricing).toMatchObject({ category: 'utility' });
      await new Promise((res) => setTimeout(res, 300));
      expect((await row(amaro, m.id)).status).toBe('read');
    });

    it('apply a receipt that beats the send response through our correlation id', async () => {
      const id = await sending(amaro, { recipient: '+393331234568', category: 'service' });
      const pmid = wamid();
      await post([statusChange(pnid(amaro), { id: pmid, status: 'delivered', correlation: id })]);
      const r = await waitFor(async () => {
        const x = await row(amaro, id);
        return x.status === 'delivered' ? x : null;
      });
      expect(r.provider_message_id).toBe(pmid);
      // The late send response does not move it back.
      await outbound().markAccepted(amaro.tenant.id, id, pmid, null);
      expect((await row(amaro, id)).status).toBe('delivered');
    });

    it('park a receipt for an unknown message id and apply it once the message is known', async () => {
      const id = await sending(amaro, { recipient: '+393331234569', category: 'service' });
      const pmid = wamid();
      await post([statusChange(pnid(amaro), { id: pmid, status: 'sent' })]);
      await waitFor(
        async () =>
          (await db.query(`SELECT 1 FROM pending_receipts WHERE tenant_id = $1 AND provider_message_id = $2`, [amaro.tenant.id, pmid])).rowCount,
      );
      // In one transaction, as the send path records a batch: a sweep running beside the test (any
      // test app's worker applies every comune's parked receipts) cannot apply it in between.
      const applied = await t.app.get(TenantDb).forTenant(amaro.tenant.id, async () => {
        await outbound().markAccepted(amaro.tenant.id, id, pmid, null);
        return t.app.get(ReceiptsService).applyParked(amaro.tenant.id, [pmid]);
      });
      expect(applied).toBe(1);
      expect((await row(amaro, id)).status).toBe('sent');
      expect((await db.query(`SELECT 1 FROM pending_receipts WHERE provider_message_id = $1`, [pmid])).rowCount).toBe(0);
    });

    it('name, when a batch is recorded as accepted, the messages that have a receipt parked', async () => {
      const [early, plain] = [await sending(amaro, { recipient: '+393331234570' }), await sending(amaro, { recipient: '+393331234571' })];
      const [earlyPmid, plainPmid] = [wamid(), wamid()];
      await post([statusChange(pnid(amaro), { id: earlyPmid, status: 'delivered' })]);
      await waitFor(
        async () =>
          (await db.query(`SELECT 1 FROM pending_receipts WHERE tenant_id = $1 AND provider_message_id = $2`, [amaro.tenant.id, earlyPmid])).rowCount,
      );
      const record = (id: OutboundMessageId, pmid: string) => ({ id, providerMessageId: pmid, providerWaId: null, content: null, category: null });
      // In one transaction, as the send path records a batch (OutboundService.sendAtSlots): a sweep
      // running beside the test (any test app's worker applies every comune's parked receipts)
      // cannot apply the receipt between the two.
      const { parked, applied } = await t.app.get(TenantDb).forTenant(amaro.tenant.id, async (m) => {
        const named = await outbound().markAcceptedMany(amaro.tenant.id, [record(early, earlyPmid), record(plain, plainPmid)]);
        const [before] = await m.query<{ status: string }[]>(`SELECT status FROM outbound_messages WHERE tenant_id = $1 AND id = $2`, [
          amaro.tenant.id,
          early,
        ]);
        expect(before.status).toBe('accepted');
        return { parked: named, applied: await t.app.get(ReceiptsService).applyParked(amaro.tenant.id, named) };
      });
      expect(parked).toEqual([earlyPmid]);
      expect((await row(amaro, plain)).provider_message_id).toBe(plainPmid);
      expect(applied).toBe(1);
      expect((await row(amaro, early)).status).toBe('delivered');
      // Another comune's parked receipt with the same id is not named.
      const other = await sending(cavazzo, { recipient: '+393331234572' });
      const shared = wamid();
      await post([statusChange(pnid(amaro), { id: shared, status: 'sent' })]);
      await waitFor(
        async () =>
          (await db.query(`SELECT 1 FROM pending_receipts WHERE tenant_id = $1 AND provider_message_id = $2`, [amaro.tenant.id, shared])).rowCount,
      );
      expect(await outbound().markAcceptedMany(cavazzo.tenant.id, [record(other, shared)])).toEqual([]);
    });

    it('never apply one comune’s receipt to another comune’s message', async () => {
      const m = await accepted(cavazzo);
      await post([statusChange(pnid(amaro), { id: m.pmid, status: 'read', correlation: m.id })]);
      await waitFor(
        async () =>
          (await db.query(`SELECT 1 FROM pending_receipts WHERE tenant_id = $1 AND provider_message_id = $2`, [amaro.tenant.id, m.pmid])).rowCount,
      );
      expect((await row(cavazzo, m.id)).status).toBe('accepted');
    });

    it.each([
      [131026, 'recipient_permanent', { undeliverable_count: 1 }],
      [131050, 'marketing_opt_out', { marketing_opted_out_at: expect.any(Date) }],
      [131049, 'hold_recipient', { held_until: expect.any(Date) }],
      [131047, 'template', { undeliverable_count: 0 }],
    ])('turn a failed receipt with %i into %s and its effect on the citizen', async (code, action, effect) => {
      const waId = `39333${Date.now().toString().slice(-7)}`;
      await post([inboundText(pnid(amaro), waId, 'ciao')]);
      const contact = await waitFor(
        async () =>
          (await db.query(`SELECT id FROM contacts WHERE tenant_id = $1 AND wa_id = $2`, [amaro.tenant.id, waId])).rows[0] as
            { id: string } | undefined,
      );
      const id = await sending(amaro, { contactId: contact.id, recipient: `+${waId}`, category: 'marketing' });
      const pmid = wamid();
      await outbound().markAccepted(amaro.tenant.id, id, pmid, waId);
      await post([
        statusChange(pnid(amaro), {
          id: pmid,
          status: 'failed',
          correlation: id,
          errors: [{ code, title: 'error', message: 'error', error_data: { details: 'details' } }],
        }),
      ]);
      const r = await waitFor(async () => {
        const x = await row(amaro, id);
        return x.status === 'failed' ? x : null;
      });
      expect(r).toMatchObject({ error_code: code, error_action: action });
      const after = (await db.query(`SELECT * FROM contacts WHERE tenant_id = $1 AND id = $2`, [amaro.tenant.id, contact.id])).rows[0];
      expect(after).toMatchObject(effect);
    });
  });

  describe('account webhooks', () => {
    it('update template approval and category, number quality and marketing preferences', async () => {
      const waba = amaro.number.wabaId;
      await post(
        [
          {
            field: 'message_template_status_update',
            value: {
              event: 'APPROVED',
              message_template_id: 12345,
              message_template_name: 'allerta_meteo',
              message_template_language: 'it',
              reason: 'NONE',
            },
          },
          {
            field: 'template_category_update',
            value: {
              message_template_id: 12345,
              message_template_name: 'allerta_meteo',
              message_template_language: 'it',
              previous_category: 'MARKETING',
              new_category: 'UTILITY',
            },
          },
          {
            field: 'phone_number_quality_update',
            value: { display_phone_number: amaro.number.displayNumber.slice(1), event: 'FLAGGED', current_limit: 'TIER_2K' },
          },
        ],
        waba,
      );
      const tpl = await waitFor(
        async () =>
          (await db.query(`SELECT * FROM whatsapp_templates WHERE tenant_id = $1 AND name = 'allerta_meteo'`, [amaro.tenant.id])).rows[0] as
            Record<string, unknown> | undefined,
      );
      await waitFor(
        async () =>
          (
            (await db.query(`SELECT category FROM whatsapp_templates WHERE tenant_id = $1 AND name = 'allerta_meteo'`, [amaro.tenant.id]))
              .rows[0] as { category: string }
          ).category === 'utility',
      );
      expect(tpl).toMatchObject({ status: 'APPROVED', waba_id: waba });
      const list = await t
        .http()
        .get(`/api/v1/tenants/${amaro.tenant.slug}/whatsapp-templates`)
        .set(...bearer(amaro.editor));
      expect(list.body.items).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'allerta_meteo', status: 'APPROVED', category: 'utility' })]),
      );
      const number = await waitFor(async () => {
        const n = (await db.query(`SELECT * FROM whatsapp_numbers WHERE tenant_id = $1 AND id = $2`, [amaro.tenant.id, amaro.number.id]))
          .rows[0] as Record<string, unknown>;
        return n.last_quality_event === 'FLAGGED' ? n : null;
      });
      expect(number).toMatchObject({ quality_rating: 'RED', messaging_tier: 'tier_2k' });
      // Cavazzo shares nothing of it.
      expect((await db.query(`SELECT 1 FROM whatsapp_templates WHERE tenant_id = $1`, [cavazzo.tenant.id])).rowCount).toBe(0);

      const waId = `39334${Date.now().toString().slice(-7)}`;
      await post([inboundText(pnid(amaro), waId, 'ciao')]);
      await waitFor(async () => (await db.query(`SELECT 1 FROM contacts WHERE tenant_id = $1 AND wa_id = $2`, [amaro.tenant.id, waId])).rowCount);
      await post([
        {
          field: 'user_preferences',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '393200000000', phone_number_id: pnid(amaro) },
            contacts: [{ wa_id: waId, profile: { name: 'X' } }],
            user_preferences: [
              {
                wa_id: waId,
                detail: 'User requested to stop marketing messages',
                category: 'marketing_messages',
                value: 'stop',
                timestamp: Math.floor(Date.now() / 1000),
              },
            ],
          },
        },
      ]);
      await waitFor(
        async () =>
          (
            await db.query(`SELECT 1 FROM contacts WHERE tenant_id = $1 AND wa_id = $2 AND marketing_opted_out_at IS NOT NULL`, [
              amaro.tenant.id,
              waId,
            ])
          ).rowCount,
      );
    });
  });

  it('marks every processed event and records what it could not read', async () => {
    const body = metaJson(envelope(amaro.number.wabaId, [messagesChange(pnid(amaro), { messages: [{ id: wamid(), type: 'text' }] })]));
    await postWebhook(t, app.appId, body, app.plainSecret);
    const ev = await waitFor(
      async () =>
        (await db.query(`SELECT * FROM webhook_events WHERE body = $1 AND status = 'processed'`, [body])).rows[0] as
          { problems: string[] } | undefined,
    );
    expect(ev.problems.length).toBeGreaterThan(0);
  });
});
