import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Client } from 'pg';
import { SMTPServer } from 'smtp-server';
import { Clock } from '#common';
import { SubscriptionConfigService } from '#domain';
import type { InboundInput } from '../../apps/simulator/src/simulator-client.js';
import { startChannel, type Channel } from '../support/channel.js';
import { ownerClient } from '../support/database.js';
import { bearer, type Comune } from '../support/factories.js';
import { waitFor } from '../support/worker.js';

interface Mail {
  to: string[];
  raw: string;
}

/**
 * The inbox end to end with San Romano in Garfagnana's and Santa Fiora's configurations: citizens
 * write on the simulator, signed webhooks reach the api, the worker files each message in the
 * citizen's conversation and answers by office hours (the platform clock is moved, not waited
 * for), editors work the conversations over the API, and what the citizens and the on-duty
 * contact receive is read back at the simulator and at a real SMTP server.
 */
describe('inbox: conversations of two-way comuni', () => {
  let ch: Channel;
  let db: Client;
  let smtp: SMTPServer;
  const mails: Mail[] = [];
  let seq = 0;

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, done) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          done();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    ch = await startChannel({ SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_FROM: 'araldo <noreply@araldo.test>' });
    db = await ownerClient(ch.t.config);
  });
  afterAll(async () => {
    travelTo(null);
    await db.end();
    await ch.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  const http = () => ch.t.http();
  const citizen = (): string => `3934${String(Date.now()).slice(-6)}${String(seq++ % 100).padStart(2, '0')}`;

  /** Moves the platform's clock (api and worker) to a local time in Rome; null: back to the real time. */
  function travelTo(iso: string | null): void {
    for (const clock of [ch.t.app.get(Clock), ch.worker.get(Clock)]) {
      if (iso) clock.travelTo(new Date(iso));
      else clock.reset();
    }
  }

  async function twoWayComune(base: string, preset: string): Promise<Comune> {
    const c = await ch.comune(base);
    await ch.t.app.get(SubscriptionConfigService).applyPreset(null, c.tenant.id, preset);
    const res = await http()
      .post(`/api/v1/tenants/${c.tenant.slug}/inbox-settings/preset`)
      .set(...bearer(c.admin))
      .send({ preset });
    expect(res.status).toBe(200);
    // The notice template every demo comune has, approved at the provider and synced.
    await ch.sim.createTemplate({
      wabaId: c.number.wabaId,
      name: 'avviso_generico',
      language: 'it',
      category: 'UTILITY',
      body: 'Avviso dal Comune: {{1}}',
    });
    expect(
      (
        await http()
          .post(`/api/v1/tenants/${c.tenant.slug}/whatsapp-templates/sync`)
          .set(...bearer(c.admin))
      ).status,
    ).toBe(200);
    return c;
  }

  function shown(body: unknown): string {
    const b = body as {
      type: string;
      text?: { body: string };
      interactive?: {
        body: { text: string };
        action: { sections?: { rows: { id: string; title: string }[] }[]; buttons?: { reply: { id: string; title: string } }[] };
      };
      template?: { name: string; components?: { parameters: { text: string }[] }[] };
    };
    if (b.type === 'text') return b.text!.body;
    if (b.type === 'interactive') {
      const rows = (b.interactive!.action.sections ?? []).flatMap((s) => s.rows.map((r) => `[${r.id}] ${r.title}`));
      const buttons = (b.interactive!.action.buttons ?? []).map((x) => `[${x.reply.id}] ${x.reply.title}`);
      return [b.interactive!.body.text, ...rows, ...buttons].join('\n');
    }
    if (b.type === 'template')
      return `[template ${b.template!.name}] ${(b.template!.components ?? []).flatMap((c) => c.parameters.map((p) => p.text)).join(' ')}`;
    return `[${b.type}]`;
  }

  const received = async (c: Comune, to: string): Promise<string[]> =>
    (await ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId, to })).map((m) => shown(m.body));

  /** Waits until the worker has handled the citizen's message (in a thread, or dropped for a blocked citizen). */
  async function handled(c: Comune, wamid: string): Promise<void> {
    await waitFor(
      async () =>
        (
          await db.query(
            `SELECT 1 FROM inbound_messages i
              WHERE i.tenant_id = $1 AND i.wamid = $2
                AND (i.content_purged_at IS NOT NULL
                     OR EXISTS (SELECT 1 FROM conversation_messages cm WHERE cm.tenant_id = i.tenant_id AND cm.inbound_message_id = i.id))`,
            [c.tenant.id, wamid],
          )
        ).rowCount,
      15_000,
      `message ${wamid} handled`,
    );
  }

  /** The citizen writes (or taps, or sends a photo or a location); resolves with the replies as the phone shows them. */
  async function say(c: Comune, from: string, message: InboundInput['message'] | string, replies = 1): Promise<string[]> {
    const before = (await received(c, `+${from}`)).length;
    const res = await ch.sim.sendInbound({
      phoneNumberId: c.number.phoneNumberId,
      from,
      profileName: 'Giulia Bianchi',
      message: typeof message === 'string' ? { type: 'text', text: message } : message,
    });
    await handled(c, res.wamid);
    if (replies === 0) {
      // Handled without an answer: give a stray reply the time to show up before asserting there is none.
      await new Promise((r) => setTimeout(r, 500));
      expect(await received(c, `+${from}`)).toHaveLength(before);
      return [];
    }
    await waitFor(async () => (await received(c, `+${from}`)).length >= before + replies, 15_000, `a reply to ${JSON.stringify(message)}`);
    return (await received(c, `+${from}`)).slice(before);
  }

  const api = (c: Comune, who: 'editor' | 'admin' = 'editor') => ({
    get: (path: string) =>
      http()
        .get(`/api/v1/tenants/${c.tenant.slug}${path}`)
        .set(...bearer(c[who])),
    post: (path: string, body: object = {}) =>
      http()
        .post(`/api/v1/tenants/${c.tenant.slug}${path}`)
        .set(...bearer(c[who]))
        .send(body),
    patch: (path: string, body: object) =>
      http()
        .patch(`/api/v1/tenants/${c.tenant.slug}${path}`)
        .set(...bearer(c[who]))
        .send(body),
    put: (path: string, body: object) =>
      http()
        .put(`/api/v1/tenants/${c.tenant.slug}${path}`)
        .set(...bearer(c[who]))
        .send(body),
    del: (path: string) =>
      http()
        .delete(`/api/v1/tenants/${c.tenant.slug}${path}`)
        .set(...bearer(c[who])),
  });

  async function conversationOf(c: Comune, from: string): Promise<Record<string, unknown> & { id: string; contactId: string }> {
    const list = await api(c).get('/conversations?limit=100');
    expect(list.status).toBe(200);
    const found = (list.body.items as { id: string; contactId: string; contact: { waId: string }; status: string }[]).find(
      (x) => x.contact.waId === from && x.status !== 'closed',
    );
    if (!found) throw new Error(`no conversation for ${from}`);
    return found;
  }

  async function thread(c: Comune, id: string): Promise<Record<string, unknown>[]> {
    const res = await api(c).get(`/conversations/${id}/messages?limit=100`);
    expect(res.status).toBe(200);
    return res.body.items as Record<string, unknown>[];
  }

  const windowClosed = async (c: Comune, from: string): Promise<void> => {
    await db.query(`UPDATE contacts SET last_inbound_at = now() - interval '2 days' WHERE tenant_id = $1 AND wa_id = $2`, [c.tenant.id, from]);
  };

  describe('San Romano in Garfagnana (Segreteria: Mon, Wed, Fri, Sat 9–13, Tue, Thu 9–17; emergencies 24 hours a day)', () => {
    let c: Comune;
    const onDutyPhone = '+393351234567';
    beforeAll(async () => {
      c = await twoWayComune('sanromano', 'san-romano-in-garfagnana');
      const res = await api(c, 'admin').put('/inbox-settings', { onDutyPhone: '335 123 4567', onDutyEmail: 'reperibile@sanromano.test' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        configured: true,
        timezone: 'Europe/Rome',
        weeklySchedule: { '2': [{ from: '09:00', to: '17:00' }], '6': [{ from: '09:00', to: '13:00' }] },
        closedOnHolidays: true,
        emergencyKeyword: 'EMERGENZA',
        onDutyPhone,
        noticeTemplateName: 'avviso_generico',
      });
      expect(res.body.weeklySchedule['7']).toBeUndefined();
    });

    it('tells an editor whether the office is open now, by the platform clock', async () => {
      travelTo('2026-03-07T14:00:00Z'); // Saturday 15:00
      const closed = await api(c).get('/inbox-settings');
      expect(closed.body).toMatchObject({ openNow: false, nextOpeningAt: '2026-03-09T08:00:00.000Z' });
      travelTo('2026-03-10T14:00:00Z'); // Tuesday 15:00
      expect((await api(c).get('/inbox-settings')).body).toMatchObject({ openNow: true });
      // Easter Monday 2026, 10:00: a national holiday.
      travelTo('2026-04-06T08:00:00Z');
      expect((await api(c).get('/inbox-settings')).body).toMatchObject({ openNow: false, nextOpeningAt: '2026-04-07T07:00:00.000Z' });
    });

    it('files a report with a photo and a location sent on Saturday afternoon, and says once when the office reopens', async () => {
      travelTo('2026-03-07T14:00:00Z'); // Saturday 15:00: closed until Monday 9:00
      const from = citizen();
      const [first] = await say(c, from, 'Buongiorno, c’è una buca enorme in via Roma a Villetta');
      expect(first).toContain('l’ufficio è chiuso: riapre lunedì 9 marzo alle 9:00');
      expect(first).toContain('EMERGENZA');
      expect(first).toContain('[CAT:segnalazione] Segnalazione');
      expect(first).not.toContain('CAT:emergenza');
      // The photo and the location later the same afternoon: filed, not answered again.
      await say(c, from, { type: 'image', caption: 'la buca' }, 0);
      await say(c, from, { type: 'location', latitude: 44.1689, longitude: 10.3473, name: 'Via Roma, Villetta' }, 0);

      const conv = await conversationOf(c, from);
      expect(conv).toMatchObject({ status: 'open', category: null, unreadCount: 3, urgent: false, firstResponseAt: null });
      expect(conv.contact).toMatchObject({ waId: from, profileName: 'Giulia Bianchi' });

      // The citizen taps "Segnalazione" in the list.
      const [noted] = await say(c, from, { type: 'interactive_reply', id: 'CAT:segnalazione' });
      expect(noted).toContain('Segnalazione');
      expect((await api(c).get(`/conversations/${conv.id}`)).body).toMatchObject({
        category: 'segnalazione',
        categorySource: 'citizen',
        unreadCount: 4,
      });

      const items = await waitFor(async () => {
        const t = await thread(c, conv.id);
        const photo = t.find((m) => m.type === 'image') as { media: { status: string } } | undefined;
        return photo?.media.status === 'stored' ? t : null;
      });
      expect(items.map((m) => `${String(m.direction)}:${String(m.type)}`)).toEqual([
        'in:text',
        'out:interactive',
        'in:image',
        'in:location',
        'in:interactive_reply',
        'out:text',
      ]);
      expect(items[0]).toMatchObject({ text: 'Buongiorno, c’è una buca enorme in via Roma a Villetta', authorUserId: null });
      expect(items[1]).toMatchObject({ kind: 'auto_reply' });
      // The tap keeps its link to the list it answers.
      expect(items[4]).toMatchObject({ text: 'Segnalazione', inReplyTo: items[1].id });
      expect(items[4].contextMessageId).toEqual(expect.any(String));
      expect(items[3]).toMatchObject({
        location: {
          latitude: 44.1689,
          longitude: 10.3473,
          name: 'Via Roma, Villetta',
          mapUrl: expect.stringContaining('openstreetmap.org/?mlat=44.1689&mlon=10.3473'),
        },
      });
      // The photo: downloaded from the provider, stored with its checksum, served to the comune's staff.
      const photo = items[2] as { text: string; media: { url: string; sha256: string; mimeType: string } };
      expect(photo.text).toBe('la buca');
      const file = await http()
        .get(photo.media.url)
        .set(...bearer(c.editor))
        .buffer(true);
      expect(file.status).toBe(200);
      expect(
        createHash('sha256')
          .update(file.body as Buffer)
          .digest('hex'),
      ).toBe(photo.media.sha256);
      expect(file.headers['content-type']).toBe(photo.media.mimeType);

      // Reading the conversation clears the unread count.
      expect((await api(c).post(`/conversations/${conv.id}/read`)).body).toMatchObject({ unreadCount: 0 });

      // Sunday evening: the office has not opened since, so no second auto-reply.
      travelTo('2026-03-08T18:00:00Z');
      await say(c, from, 'Ci sono novità?', 0);
      // Monday 13:30, after it opened and closed again: told again (tomorrow, Tuesday, 9:00).
      travelTo('2026-03-09T12:30:00Z');
      const [again] = await say(c, from, 'Ancora nessuno è passato');
      expect(again).toContain('riapre domani alle 9:00');
      expect(again).not.toContain('CAT:');
    });

    it('acknowledges a question in office hours; the editor answers inside the window with text and a canned reply', async () => {
      travelTo('2026-03-10T09:00:00Z'); // Tuesday 10:00
      const from = citizen();
      const [ack] = await say(c, from, 'Quando passa la raccolta del vetro a Caprignana?');
      expect(ack).toContain('Ti risponderemo appena possibile');
      expect(ack).toContain('[CAT:informazioni] Informazioni');
      const conv = await conversationOf(c, from);

      const detail = await api(c).get(`/conversations/${conv.id}`);
      expect(detail.body.replyOptions).toMatchObject({ windowOpen: true, freeText: true });
      expect(detail.body.replyOptions.templates).toEqual([{ name: 'avviso_generico', language: 'it', category: 'utility', parameters: ['1'] }]);

      travelTo('2026-03-10T09:20:00Z'); // twenty minutes later
      const reply = await api(c).post(`/conversations/${conv.id}/messages`, { text: 'Il giovedì mattina, dalle 7.' });
      expect(reply.status).toBe(201);
      expect(reply.body).toMatchObject({ kind: 'editor_reply', status: 'queued' });
      await waitFor(async () => (await received(c, `+${from}`)).includes('Il giovedì mattina, dalle 7.'));

      const after = await api(c).get(`/conversations/${conv.id}`);
      expect(after.body).toMatchObject({ status: 'pending', unreadCount: 0 });
      expect(after.body.firstResponseSeconds).toBeGreaterThanOrEqual(1200);
      expect(after.body.firstResponseSeconds).toBeLessThan(1260);
      const out = (await thread(c, conv.id)).filter((m) => m.direction === 'out' && m.kind === 'editor_reply');
      expect(out).toEqual([expect.objectContaining({ authorUserId: c.editor.id, text: 'Il giovedì mattina, dalle 7.' })]);

      // The citizen writes again: the conversation is open again.
      await say(c, from, 'E il cartone?', 0);
      expect((await api(c).get(`/conversations/${conv.id}`)).body).toMatchObject({ status: 'open', unreadCount: 1 });

      const canned = await api(c).post('/canned-replies', { title: 'Calendario', body: 'Il calendario della raccolta è sul sito del Comune.' });
      expect(canned.status).toBe(201);
      expect((await api(c).post('/canned-replies', { title: 'calendario', body: 'doppione' })).status).toBe(409);
      expect((await api(c).post(`/conversations/${conv.id}/messages`, { cannedReplyId: canned.body.id })).status).toBe(201);
      await waitFor(async () => (await received(c, `+${from}`)).includes('Il calendario della raccolta è sul sito del Comune.'));

      // Closing with a closing message: sent, then closed, with its resolution time.
      travelTo('2026-03-10T10:00:00Z');
      const closed = await api(c).post(`/conversations/${conv.id}/close`, { closingMessage: 'Grazie, buona giornata.' });
      expect(closed.status).toBe(200);
      expect(closed.body).toMatchObject({ status: 'closed' });
      expect(closed.body.resolutionSeconds).toBeGreaterThanOrEqual(3600);
      await waitFor(async () => (await received(c, `+${from}`)).includes('Grazie, buona giornata.'));
      expect((await api(c).post(`/conversations/${conv.id}/messages`, { text: 'ancora' })).body).toMatchObject({ code: 'CONVERSATION_CLOSED' });

      // A new message after closing opens a new conversation, acknowledged again.
      const [ack2] = await say(c, from, 'Un’altra domanda');
      expect(ack2).toContain('Ti risponderemo');
      const second = await conversationOf(c, from);
      expect(second.id).not.toBe(conv.id);
      // Reopening the old one while the new one is active is refused.
      expect((await api(c).patch(`/conversations/${conv.id}`, { status: 'open' })).body).toMatchObject({ code: 'ACTIVE_CONVERSATION_EXISTS' });
    });

    it('outside the 24-hour window refuses free text and lets an approved template through', async () => {
      travelTo('2026-03-12T09:00:00Z'); // Thursday 10:00
      const from = citizen();
      await say(c, from, 'Il lampione davanti al cimitero è spento');
      const conv = await conversationOf(c, from);
      await windowClosed(c, from);
      const before = (await received(c, `+${from}`)).length;

      const options = await api(c).get(`/conversations/${conv.id}/reply-options`);
      expect(options.body).toMatchObject({ windowOpen: false, freeText: false, windowClosesAt: null });
      expect(options.body.templates.map((t: { name: string }) => t.name)).toEqual(['avviso_generico']);

      const refused = await api(c).post(`/conversations/${conv.id}/messages`, { text: 'Lo ripariamo domani' });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ code: 'WINDOW_CLOSED' });
      expect((await api(c).post(`/conversations/${conv.id}/messages`, { template: { name: 'non_approvato' } })).body).toMatchObject({
        code: 'TEMPLATE_NOT_APPROVED',
      });
      expect((await api(c).post(`/conversations/${conv.id}/close`, { closingMessage: 'Risolto' })).body).toMatchObject({ code: 'WINDOW_CLOSED' });

      const sent = await api(c).post(`/conversations/${conv.id}/messages`, {
        template: { name: 'avviso_generico', body: [{ text: 'il lampione sarà riparato domani' }] },
      });
      expect(sent.status).toBe(201);
      await waitFor(async () => (await received(c, `+${from}`)).length > before);
      expect((await received(c, `+${from}`)).slice(before)).toEqual(['[template avviso_generico] il lampione sarà riparato domani']);
      expect((await api(c).get(`/conversations/${conv.id}`)).body).toMatchObject({ status: 'pending' });
    });

    it('takes EMERGENZA at three in the morning on a Sunday: urgent, answered, on-duty contact alerted by WhatsApp and e-mail', async () => {
      travelTo('2026-03-08T02:00:00Z'); // Sunday 03:00
      const from = citizen();
      const [answer] = await say(c, from, 'EMERGENZA albero caduto sulla provinciale a Caprignana');
      expect(answer).toContain('abbiamo avvisato il reperibile');
      expect(answer).toContain('112');
      const conv = await conversationOf(c, from);
      expect(conv).toMatchObject({ urgent: true, category: 'emergenza', categorySource: 'keyword', status: 'open' });
      // Urgent conversations come first.
      const list = await api(c).get('/conversations?status=open,pending');
      expect(list.body.items[0]).toMatchObject({ id: conv.id, urgent: true });
      expect((await api(c).get('/conversations?urgent=true')).body.items.map((x: { id: string }) => x.id)).toEqual([conv.id]);

      // The on-duty contact never wrote to the number: the alert goes as the approved template.
      const alert = await waitFor(async () => {
        const msgs = await received(c, onDutyPhone);
        return msgs.find((m) => m.includes('albero caduto'));
      });
      expect(alert).toMatch(/^\[template avviso_generico\] EMERGENZA Comune di sanromano: Giulia Bianchi \+\d+ ha scritto alle \d\d:\d\d/);
      const mail = await waitFor(() => Promise.resolve(mails.find((m) => m.to.includes('reperibile@sanromano.test'))));
      const text = mail.raw.replace(/=\r?\n/g, '');
      expect(text).toMatch(/^Subject: EMERGENZA segnalata al Comune di sanromano/m);
      expect(text).toContain('albero caduto sulla provinciale a Caprignana');
      expect(text).toContain(conv.id);
      const row = await waitFor(async () => {
        const r = (await db.query(`SELECT * FROM emergency_alerts WHERE tenant_id = $1 AND conversation_id = $2`, [c.tenant.id, conv.id])).rows[0] as
          Record<string, unknown> | undefined;
        return r?.email_sent_at && r.whatsapp_outbound_id ? r : null;
      });
      expect(row).toMatchObject({ whatsapp_error: null, email_error: null });
      const outbound = (
        await db.query(`SELECT kind, priority FROM outbound_messages WHERE tenant_id = $1 AND id = $2`, [c.tenant.id, row.whatsapp_outbound_id])
      ).rows[0] as Record<string, unknown>;
      expect(outbound).toEqual({ kind: 'notification', priority: 10 });
    });

    it('blocks an abusive citizen (audited, told once, later messages dropped after their metadata) and unblocks them', async () => {
      travelTo('2026-03-10T09:00:00Z');
      const from = citizen();
      await say(c, from, 'Siete dei buoni a nulla');
      const conv = await conversationOf(c, from);
      const blocked = await api(c).post(`/contacts/${conv.contactId}/block`, { reason: 'offensive', note: 'insulti ripetuti' });
      expect(blocked.status).toBe(201);
      expect(blocked.body).toMatchObject({ contactId: conv.contactId, reason: 'offensive', blockedBy: c.editor.id, droppedCount: 0 });
      expect(blocked.body.notifiedAt).toEqual(expect.any(String));
      await waitFor(async () => (await received(c, `+${from}`)).some((m) => m.includes('ha sospeso la ricezione dei tuoi messaggi')));
      expect((await api(c).post(`/contacts/${conv.contactId}/block`, { reason: 'abusive' })).status).toBe(409);

      const threadBefore = (await thread(c, conv.id)).length;
      await say(c, from, 'Vi denuncio tutti', 0);
      await say(c, from, { type: 'image', caption: 'guardate qui' }, 0);
      // Dropped: only the metadata is kept, nothing lands in the conversation, no reply (told once only).
      const dropped = (
        await db.query(
          `SELECT type, body, content, content_purged_at FROM inbound_messages
            WHERE tenant_id = $1 AND contact_id = $2 AND content_purged_at IS NOT NULL ORDER BY type DESC`,
          [c.tenant.id, conv.contactId],
        )
      ).rows as Record<string, unknown>[];
      expect(dropped).toEqual([
        { type: 'text', body: null, content: { type: 'text', purged: true, blocked: true }, content_purged_at: expect.any(Date) },
        { type: 'image', body: null, content: { type: 'image', purged: true, blocked: true }, content_purged_at: expect.any(Date) },
      ]);
      // The download may still be on its way: it finds the message dropped and keeps nothing.
      const file = await waitFor(async () => {
        const f = (
          await db.query(
            `SELECT f.status, f.storage_key FROM media_files f JOIN inbound_messages i ON i.tenant_id = f.tenant_id AND i.id = f.inbound_message_id
              WHERE f.tenant_id = $1 AND i.contact_id = $2`,
            [c.tenant.id, conv.contactId],
          )
        ).rows[0] as { status: string } | undefined;
        return f && f.status !== 'pending' ? f : null;
      });
      expect(file).toEqual({ status: 'purged', storage_key: null });
      expect(await thread(c, conv.id)).toHaveLength(threadBefore);
      expect((await api(c).get('/blocked-contacts')).body).toEqual([expect.objectContaining({ contactId: conv.contactId, droppedCount: 2 })]);

      const audit = (
        await db.query(`SELECT action, target_id, details FROM audit_events WHERE tenant_id = $1 AND action LIKE 'citizen.%' ORDER BY occurred_at`, [
          c.tenant.id,
        ])
      ).rows as { action: string; target_id: string; details: unknown }[];
      expect(audit).toEqual([{ action: 'citizen.blocked', target_id: conv.contactId, details: { reason: 'offensive' } }]);
      expect(JSON.stringify(audit)).not.toContain(from);

      expect((await api(c).del(`/contacts/${conv.contactId}/block`)).status).toBe(204);
      expect((await api(c).del(`/contacts/${conv.contactId}/block`)).body).toMatchObject({ code: 'CITIZEN_NOT_BLOCKED' });
      await say(c, from, 'Mi scuso per i toni, la strada però è ancora rotta', 0);
      const items = await thread(c, conv.id);
      expect(items).toHaveLength(threadBefore + 1);
      expect(items.at(-1)).toMatchObject({ direction: 'in', text: 'Mi scuso per i toni, la strada però è ancora rotta' });
      expect(
        (await db.query(`SELECT action FROM audit_events WHERE tenant_id = $1 AND action LIKE 'citizen.%' ORDER BY occurred_at`, [c.tenant.id])).rows,
      ).toEqual([{ action: 'citizen.blocked' }, { action: 'citizen.unblocked' }]);
    });
  });

  describe('Santa Fiora (reports and appointments; a trial measured day by day)', () => {
    let c: Comune;
    beforeAll(async () => {
      c = await twoWayComune('santafiora', 'santa-fiora');
    });

    it('files a report with photo and location in office hours with an acknowledgement', async () => {
      travelTo('2026-03-16T08:30:00Z'); // Monday 9:30
      const from = citizen();
      const [ack] = await say(c, from, { type: 'image', caption: 'Buca pericolosa in via Roma' });
      expect(ack).toContain('Grazie, il Comune di santafiora ha ricevuto il tuo messaggio. Ti risponderemo appena possibile.');
      await say(c, from, { type: 'location', latitude: 42.831, longitude: 11.585 }, 0);
      const conv = await conversationOf(c, from);
      const items = await thread(c, conv.id);
      expect(items.map((m) => m.type)).toEqual(['image', 'interactive', 'location']);
      expect(items[0]).toMatchObject({
        text: 'Buca pericolosa in via Roma',
        media: expect.objectContaining({ url: expect.stringContaining('/media') }),
      });
      expect(items[2]).toMatchObject({ location: expect.objectContaining({ latitude: 42.831, longitude: 11.585 }) });
      // The editor files it and assigns it to themselves; an assignee must be one of the comune's editors.
      const updated = await api(c).patch(`/conversations/${conv.id}`, { category: 'segnalazione', assigneeId: c.editor.id });
      expect(updated.body).toMatchObject({ category: 'segnalazione', categorySource: 'editor', assigneeId: c.editor.id });
      expect((await api(c).get(`/conversations?assigneeId=${c.editor.id}`)).body.items.map((x: { id: string }) => x.id)).toContain(conv.id);
      const other = await ch.comune('altro');
      expect((await api(c).patch(`/conversations/${conv.id}`, { assigneeId: other.editor.id })).body).toMatchObject({ code: 'ASSIGNEE_NOT_EDITOR' });
      // The citizen's later tap does not override the editor's category.
      await say(c, from, { type: 'interactive_reply', id: 'CAT:altro' });
      expect((await api(c).get(`/conversations/${conv.id}`)).body).toMatchObject({ category: 'segnalazione' });
    });

    it('collects an appointment request in the conversation and tells the citizen of every change', async () => {
      travelTo('2026-03-18T09:00:00Z'); // Wednesday 10:00
      const from = citizen();
      await say(c, from, 'Buongiorno, vorrei parlare con qualcuno del Comune');
      const [askOffice] = await say(c, from, { type: 'interactive_reply', id: 'CAT:appuntamento' });
      expect(askOffice).toContain('Con quale ufficio');
      expect(askOffice).toContain('[OFF:1] Ufficio tecnico');
      expect((await say(c, from, { type: 'interactive_reply', id: 'OFF:1' }))[0]).toContain('In quali giorni');
      expect((await say(c, from, 'martedì o giovedì mattina'))[0]).toContain('Per quale motivo');
      const [done] = await say(c, from, 'Pratica per il passo carrabile');
      expect(done).toBe(
        'Richiesta di appuntamento registrata: Ufficio tecnico, preferenza martedì o giovedì mattina. Ti faremo sapere qui la data proposta.',
      );

      const conv = await conversationOf(c, from);
      expect(conv).toMatchObject({ category: 'appuntamento', intakeStep: null });
      const list = await api(c).get('/appointments?status=requested');
      const appt = (list.body.items as { id: string; conversationId: string }[]).find((a) => a.conversationId === conv.id)!;
      expect(appt).toMatchObject({
        office: 'Ufficio tecnico',
        preferredDays: 'martedì o giovedì mattina',
        reason: 'Pratica per il passo carrabile',
        status: 'requested',
      });

      // Proposed: the citizen gets the slot with two buttons, and taps "Va bene".
      const before = (await received(c, `+${from}`)).length;
      const proposed = await api(c).patch(`/appointments/${appt.id}`, {
        status: 'proposed',
        proposedSlot: 'martedì 24 marzo alle 10:30',
        note: 'Porti la planimetria',
      });
      expect(proposed.body).toMatchObject({ status: 'proposed', lastNotification: 'text' });
      await waitFor(async () => (await received(c, `+${from}`)).length > before);
      const proposal = (await received(c, `+${from}`)).at(-1)!;
      expect(proposal).toContain('ti propone un appuntamento con Ufficio tecnico: martedì 24 marzo alle 10:30. Porti la planimetria. Ti va bene?');
      expect(proposal).toContain(`[APPT:${appt.id}:SI] Va bene`);
      const [thanks] = await say(c, from, { type: 'interactive_reply', id: `APPT:${appt.id}:SI` });
      expect(thanks).toBe('Grazie, appuntamento confermato: martedì 24 marzo alle 10:30 con Ufficio tecnico.');
      expect((await api(c).get(`/appointments/${appt.id}`)).body).toMatchObject({ status: 'confirmed' });
      expect((await api(c).patch(`/appointments/${appt.id}`, { status: 'requested' })).body).toMatchObject({
        code: 'APPOINTMENT_STATUS_CHANGE_NOT_ALLOWED',
      });

      // Days later the office must cancel: the citizen's window has closed, so the notice goes as the approved template.
      await windowClosed(c, from);
      const n = (await received(c, `+${from}`)).length;
      const declined = await api(c).patch(`/appointments/${appt.id}`, { status: 'declined', note: 'L’ufficio sarà chiuso per lavori' });
      expect(declined.body).toMatchObject({ status: 'declined', lastNotification: 'template' });
      await waitFor(async () => (await received(c, `+${from}`)).length > n);
      expect((await received(c, `+${from}`)).at(-1)).toBe(
        '[template avviso_generico] Il Comune di santafiora non può fissare l’appuntamento richiesto con Ufficio tecnico. L’ufficio sarà chiuso per lavori. Puoi scriverci qui per un’altra richiesta.',
      );
      expect((await api(c).get(`/conversations/${conv.id}/appointments`)).body).toEqual([
        expect.objectContaining({ id: appt.id, status: 'declined' }),
      ]);
    });

    it('counts the trial day by day: messages by category, conversations opened and closed, median first response within office hours', async () => {
      const f = await twoWayComune('santafiorafig', 'santa-fiora');
      // Thursday 19 March: one conversation at 10:00 answered at 10:30, one at 20:00 answered Friday at 9:15.
      travelTo('2026-03-19T09:00:00Z');
      const a = citizen();
      await say(f, a, 'La fontana in piazza perde acqua');
      await say(f, a, { type: 'interactive_reply', id: 'CAT:segnalazione' });
      const convA = await conversationOf(f, a);
      travelTo('2026-03-19T09:30:00Z');
      expect((await api(f).post(`/conversations/${convA.id}/messages`, { text: 'Mandiamo l’idraulico.' })).status).toBe(201);
      travelTo('2026-03-19T10:00:00Z');
      expect((await api(f).post(`/conversations/${convA.id}/close`)).body).toMatchObject({ status: 'closed' });

      travelTo('2026-03-19T19:00:00Z');
      const b = citizen();
      await say(f, b, 'A che ora apre l’anagrafe?');
      const convB = await conversationOf(f, b);
      travelTo('2026-03-20T08:15:00Z');
      expect((await api(f).post(`/conversations/${convB.id}/messages`, { text: 'Dalle 9 alle 13.' })).status).toBe(201);

      const res = await api(f).get('/inbox-figures?from=2026-03-19&to=2026-03-20');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ from: '2026-03-19', to: '2026-03-20', timezone: 'Europe/Rome' });
      const [thu, fri] = res.body.days as Record<string, unknown>[];
      expect(thu).toMatchObject({
        day: '2026-03-19',
        inbound: 3,
        inboundByCategory: { segnalazione: 2, none: 1, appuntamento: 0 },
        conversationsOpened: 2,
        conversationsClosed: 1,
        firstResponses: 2,
      });
      // 30 minutes, and 15 (20:00 → 9:15 counts only from the 9:00 opening): median 22.5.
      expect(thu.medianFirstResponseOfficeMinutes).toBeCloseTo(22.5, 0);
      expect(fri).toMatchObject({
        day: '2026-03-20',
        inbound: 0,
        conversationsOpened: 0,
        conversationsClosed: 0,
        medianFirstResponseOfficeMinutes: null,
      });
      expect(res.body.totals).toMatchObject({ inbound: 3, conversationsOpened: 2, conversationsClosed: 1 });
      expect((await api(f).get('/inbox-figures?from=2026-03-20&to=2026-03-19')).status).toBe(400);
    });

    it('keeps conversations between comuni apart: another comune’s editor gets 404 everywhere and changes nothing', async () => {
      travelTo('2026-03-16T09:00:00Z');
      const from = citizen();
      await say(c, from, 'Segnalazione riservata');
      const conv = await conversationOf(c, from);
      const appt = (await api(c).post(`/conversations/${conv.id}/appointments`, { office: 'Tributi', preferredDays: 'lunedì', reason: 'IMU' }))
        .body as {
        id: string;
      };
      const canned = (await api(c).post('/canned-replies', { title: `Riservata ${seq}`, body: 'x' })).body as { id: string };
      const stranger = await twoWayComune('intruso', 'santa-fiora');
      const as = api(stranger);
      const attempts = [
        as.get(`/conversations/${conv.id}`),
        as.get(`/conversations/${conv.id}/messages`),
        as.get(`/conversations/${conv.id}/reply-options`),
        as.get(`/conversations/${conv.id}/appointments`),
        as.patch(`/conversations/${conv.id}`, { status: 'closed', category: 'altro', urgent: true }),
        as.post(`/conversations/${conv.id}/messages`, { text: 'ciao' }),
        as.post(`/conversations/${conv.id}/close`, { closingMessage: 'chiuso' }),
        as.post(`/conversations/${conv.id}/read`),
        as.post(`/conversations/${conv.id}/appointments`, { office: 'x', preferredDays: 'x', reason: 'x' }),
        as.get(`/appointments/${appt.id}`),
        as.patch(`/appointments/${appt.id}`, { status: 'declined' }),
        as.patch(`/canned-replies/${canned.id}`, { body: 'cambiato' }),
        as.del(`/canned-replies/${canned.id}`),
        as.post(`/contacts/${conv.contactId}/block`, { reason: 'spam' }),
        as.del(`/contacts/${conv.contactId}/block`),
      ];
      for (const res of await Promise.all(attempts)) {
        expect(res.status).toBe(404);
      }
      // Their own lists do not show it; our comune's data are untouched.
      expect((await as.get('/conversations')).body.items.map((x: { id: string }) => x.id)).not.toContain(conv.id);
      expect((await as.get('/appointments')).body.total).toBe(0);
      // And the other comune's path with our ids is 404 for our editor too.
      expect(
        (
          await http()
            .get(`/api/v1/tenants/${stranger.tenant.slug}/conversations/${conv.id}`)
            .set(...bearer(c.editor))
        ).status,
      ).toBe(404);
      expect((await api(c).get(`/conversations/${conv.id}`)).body).toMatchObject({ status: 'open', category: null, urgent: false, unreadCount: 1 });
      expect((await api(c).get(`/appointments/${appt.id}`)).body).toMatchObject({ status: 'requested' });
      expect((await api(c).get('/canned-replies')).body).toEqual(expect.arrayContaining([expect.objectContaining({ id: canned.id, body: 'x' })]));
      expect((await api(c).get('/blocked-contacts')).body).toEqual([]);
      expect((await db.query(`SELECT count(*)::int AS n FROM outbound_messages WHERE tenant_id = $1`, [stranger.tenant.id])).rows[0]).toEqual({
        n: 0,
      });
    });
  });

  it('blocks a citizen of a one-way comune too: their keywords are dropped before they are read', async () => {
    const amaro = await ch.comune('amaro');
    await ch.t.app.get(SubscriptionConfigService).applyPreset(null, amaro.tenant.id, 'amaro');
    const from = citizen();
    await say(amaro, from, 'Ciao'); // the one-way auto-reply
    const contact = (await db.query(`SELECT id FROM contacts WHERE tenant_id = $1 AND wa_id = $2`, [amaro.tenant.id, from])).rows[0] as {
      id: string;
    };
    const before = (await received(amaro, `+${from}`)).length;
    expect((await api(amaro).post(`/contacts/${contact.id}/block`, { reason: 'spam' })).status).toBe(201);
    const res = await ch.sim.sendInbound({ phoneNumberId: amaro.number.phoneNumberId, from, message: { type: 'text', text: 'ATTIVA' } });
    await handled(amaro, res.wamid);
    await new Promise((r) => setTimeout(r, 500));
    // Told once, when blocked (their window was open), never welcomed, never subscribed.
    const after = (await received(amaro, `+${from}`)).slice(before);
    expect(after).toHaveLength(1);
    expect(after[0]).toContain('ha sospeso la ricezione dei tuoi messaggi');
    expect((await db.query(`SELECT 1 FROM subscribers WHERE tenant_id = $1 AND phone_e164 = $2`, [amaro.tenant.id, `+${from}`])).rowCount).toBe(0);
    expect((await db.query(`SELECT 1 FROM conversations WHERE tenant_id = $1`, [amaro.tenant.id])).rowCount).toBe(0);
  });

  it('still lets a blocked citizen leave: STOP is read and recorded, their other messages dropped', async () => {
    const amaro = await ch.comune('amaro');
    await ch.t.app.get(SubscriptionConfigService).applyPreset(null, amaro.tenant.id, 'amaro');
    const from = citizen();
    // Handled: a keyword's message keeps its text, so handled_at tells (not the purge `handled` waits for).
    const write = async (text: string) => {
      const { wamid } = await ch.sim.sendInbound({ phoneNumberId: amaro.number.phoneNumberId, from, message: { type: 'text', text } });
      await waitFor(
        async () =>
          (await db.query(`SELECT 1 FROM inbound_messages WHERE tenant_id = $1 AND wamid = $2 AND handled_at IS NOT NULL`, [amaro.tenant.id, wamid]))
            .rowCount,
      );
    };
    await write('ATTIVA');
    const contact = (await db.query(`SELECT id FROM contacts WHERE tenant_id = $1 AND wa_id = $2`, [amaro.tenant.id, from])).rows[0] as {
      id: string;
    };
    expect((await api(amaro).post(`/contacts/${contact.id}/block`, { reason: 'spam' })).status).toBe(201);
    await write('STOP');
    const subscriber = await db.query(
      `SELECT s.status, array(SELECT e.type FROM consent_events e WHERE e.tenant_id = s.tenant_id AND e.subscriber_id = s.id ORDER BY e.occurred_at) AS ledger
         FROM subscribers s WHERE s.tenant_id = $1 AND s.phone_e164 = $2`,
      [amaro.tenant.id, `+${from}`],
    );
    expect(subscriber.rows).toEqual([{ status: 'unsubscribed', ledger: ['opt_in', 'opt_out'] }]);
    await waitFor(async () => (await received(amaro, `+${from}`)).some((m) => m.includes('Ti sei cancellato')) || null);
  });
});
