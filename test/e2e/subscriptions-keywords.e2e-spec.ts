import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { KeywordService, SubscriptionConfigService } from '#domain';
import { startChannel, type Channel } from '../support/channel.js';
import { ownerClient } from '../support/database.js';
import type { Comune } from '../support/factories.js';
import { waitFor } from '../support/worker.js';

/**
 * Each comune's keyword rules end to end: the citizen writes on the simulator, the signed webhook
 * reaches the api, the worker answers through the Cloud API adapter, the reply is read back at the
 * simulator as the citizen's phone shows it.
 */
describe('subscriptions by keyword', () => {
  let ch: Channel;
  let db: Client;
  let seq = 0;

  beforeAll(async () => {
    ch = await startChannel();
    db = await ownerClient(ch.t.config);
  });
  afterAll(async () => {
    await db.end();
    await ch.close();
  });

  async function comune(preset: string, base: string): Promise<Comune> {
    const c = await ch.comune(base);
    await ch.t.app.get(SubscriptionConfigService).applyPreset(null, c.tenant.id, preset);
    return c;
  }
  const citizen = (): string => `3933${String(Date.now()).slice(-6)}${String(seq++ % 100).padStart(2, '0')}`;

  /** What a message shows on the phone: its text, an interactive message's body and rows, a contact card's name. */
  function shown(body: unknown): string {
    const b = body as {
      type: string;
      text?: { body: string };
      interactive?: { body: { text: string }; action: { sections?: { rows: { id: string; title: string }[] }[] } };
      contacts?: { name: { formatted_name: string } }[];
    };
    if (b.type === 'text') return b.text!.body;
    if (b.type === 'interactive') {
      const rows = (b.interactive!.action.sections ?? []).flatMap((sec) => sec.rows.map((r) => `[${r.id}] ${r.title}`));
      return [b.interactive!.body.text, ...rows].join('\n');
    }
    if (b.type === 'contacts') return `[contatto] ${b.contacts!.map((c) => c.name.formatted_name).join(', ')}`;
    return `[${b.type}]`;
  }

  /** The citizen writes (or taps); resolves with everything the comune answered, as the phone shows it. */
  async function say(c: Comune, from: string, text: string | { tap: string }): Promise<string> {
    const before = (await ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId, to: `+${from}` })).length;
    await ch.sim.sendInbound({
      phoneNumberId: c.number.phoneNumberId,
      from,
      profileName: 'Cittadino',
      message: typeof text === 'string' ? { type: 'text', text } : { type: 'interactive_reply', id: text.tap },
    });
    await waitFor(
      async () => (await ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId, to: `+${from}` })).length > before,
      15_000,
      `a reply to ${JSON.stringify(text)}`,
    );
    // A reply may come in several messages (the welcome and the contact card): let them all arrive.
    await new Promise((r) => setTimeout(r, 300));
    const msgs = await ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId, to: `+${from}` });
    return msgs
      .slice(before)
      .map((m) => shown(m.body))
      .join('\n');
  }
  /** The citizen writes and nothing is answered (checked after the message was handled). */
  async function sayUnanswered(c: Comune, from: string, text: string): Promise<void> {
    const before = (await ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId, to: `+${from}` })).length;
    const res = await ch.sim.sendInbound({ phoneNumberId: c.number.phoneNumberId, from, message: { type: 'text', text } });
    await waitFor(
      async () => (await db.query(`SELECT 1 FROM inbound_messages WHERE tenant_id = $1 AND wamid = $2`, [c.tenant.id, res.wamid])).rowCount,
    );
    await new Promise((r) => setTimeout(r, 700));
    expect(await ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId, to: `+${from}` })).toHaveLength(before);
  }
  const subscriber = async (c: Comune, from: string) =>
    (await db.query(`SELECT * FROM subscribers WHERE tenant_id = $1 AND phone_e164 = $2`, [c.tenant.id, `+${from}`])).rows[0] as
      Record<string, unknown> | undefined;
  const activeLists = async (c: Comune, from: string): Promise<string[]> =>
    (
      await db.query(
        `SELECT l.slug FROM subscriptions s JOIN subscriber_lists l ON l.tenant_id = s.tenant_id AND l.id = s.list_id
          JOIN subscribers p ON p.tenant_id = s.tenant_id AND p.id = s.subscriber_id
         WHERE s.tenant_id = $1 AND p.phone_e164 = $2 AND s.status = 'active' ORDER BY l.slug`,
        [c.tenant.id, `+${from}`],
      )
    ).rows.map((r: { slug: string }) => r.slug);
  const ledger = async (c: Comune, from: string): Promise<string[]> =>
    (
      await db.query(
        `SELECT e.type FROM consent_events e JOIN subscribers p ON p.tenant_id = e.tenant_id AND p.id = e.subscriber_id
          WHERE e.tenant_id = $1 AND p.phone_e164 = $2 ORDER BY e.occurred_at, e.id`,
        [c.tenant.id, `+${from}`],
      )
    ).rows.map((r: { type: string }) => r.type);

  describe('San Romano in Garfagnana: ISCRIZIONE ON #LISTA, name, surname, frazione, policy', () => {
    let c: Comune;
    beforeAll(async () => {
      c = await comune('san-romano-in-garfagnana', 'sanromano');
    });

    it('asks for what is missing, one question at a time, and activates only when complete', async () => {
      const from = citizen();
      expect(await say(c, from, 'ISCRIZIONE ON #EMERGENZE')).toMatch(/nome e cognome/);
      expect(await subscriber(c, from)).toMatchObject({ status: 'pending', awaiting_field: 'first_name' });
      expect(await say(c, from, 'mario rossi')).toMatch(/frazione.*Villetta/s);
      expect(await say(c, from, 'Roma')).toMatch(/Non ho trovato questa frazione/);
      expect(await say(c, from, 'villetta')).toMatch(/ACCETTO/);
      expect(await activeLists(c, from)).toEqual([]);
      const welcome = await say(c, from, 'Accetto');
      expect(welcome).toContain('Iscrizione completata, Mario');
      expect(welcome).toContain('Emergenze');
      expect(await subscriber(c, from)).toMatchObject({
        status: 'active',
        first_name: 'Mario',
        last_name: 'Rossi',
        frazione: 'Villetta',
        awaiting_field: null,
      });
      expect(await activeLists(c, from)).toEqual(['emergenze']);
      expect(await ledger(c, from)).toEqual(['policy_accepted', 'opt_in']);
    });

    it('takes everything in one message, with the accent written as an apostrophe', async () => {
      const from = citizen();
      expect(await say(c, from, "iscrizione on #PUBBLICAUTILITA' Anna Bianchi frazione Sillicagnana")).toMatch(/ACCETTO/);
      expect(await say(c, from, 'ACCETTO')).toContain('Pubblica utilità');
      expect(await activeLists(c, from)).toEqual(['pubblica-utilita']);
    });

    it('offers the frazioni as a list to tap, and STATO as a list that joins or leaves each list', async () => {
      const from = citizen();
      await say(c, from, 'ISCRIZIONE ON #EMERGENZE Elena Gialli');
      const question = await ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId, to: `+${from}` });
      expect(question[question.length - 1].type).toBe('interactive');
      expect(await say(c, from, { tap: 'FRAZ:Orzaglia' })).toMatch(/ACCETTO/);
      expect(await say(c, from, 'ACCETTO')).toContain('Iscrizione completata, Elena');
      expect(await subscriber(c, from)).toMatchObject({ frazione: 'Orzaglia', status: 'active' });
      const status = await say(c, from, 'STATO');
      expect(status).toContain('[LIST:emergenze] Emergenze');
      expect(status).toContain('[LIST:pubblica-utilita] Pubblica utilità');
      await say(c, from, { tap: 'LIST:pubblica-utilita' });
      expect(await activeLists(c, from)).toEqual(['emergenze', 'pubblica-utilita']);
      await say(c, from, { tap: 'LIST:emergenze' });
      expect(await activeLists(c, from)).toEqual(['pubblica-utilita']);
    });

    it('answers an unknown hashtag with the valid ones, changing nothing', async () => {
      const from = citizen();
      const reply = await say(c, from, 'ISCRIZIONE ON #EVENTI');
      expect(reply).toContain('#EVENTI');
      expect(reply).toContain('#EMERGENZE');
      expect(reply).toContain("#PUBBLICAUTILITA'");
      expect(await subscriber(c, from)).toBeUndefined();
    });

    it('leaves one list and keeps the other; STATO tells which; ISCRIZIONE OFF leaves all', async () => {
      const from = citizen();
      await say(c, from, 'ISCRIZIONE ON #EMERGENZE Luca Verdi Caprignana');
      await say(c, from, 'ACCETTO');
      await say(c, from, "ISCRIZIONE ON #PUBBLICAUTILITA'");
      expect(await activeLists(c, from)).toEqual(['emergenze', 'pubblica-utilita']);
      const partial = await say(c, from, 'ISCRIZIONE OFF #EMERGENZE');
      expect(partial).toContain('Resti iscritto/a a: Pubblica utilità');
      expect(await activeLists(c, from)).toEqual(['pubblica-utilita']);
      expect(await say(c, from, 'stato')).toContain('Pubblica utilità');
      expect(await say(c, from, 'ISCRIZIONE OFF')).toContain('Ti sei cancellato/a');
      expect(await activeLists(c, from)).toEqual([]);
      expect(await subscriber(c, from)).toMatchObject({ status: 'unsubscribed' });
      expect(await ledger(c, from)).toEqual(['policy_accepted', 'opt_in', 'opt_in', 'opt_out', 'opt_out']);
    });

    it('answers ISCRIZIONE OFF with a mistyped hashtag with the valid ones, leaving no list', async () => {
      const from = citizen();
      await say(c, from, 'ISCRIZIONE ON #EMERGENZE Luca Verdi Caprignana');
      await say(c, from, 'ACCETTO');
      await say(c, from, "ISCRIZIONE ON #PUBBLICAUTILITA'");
      expect(await activeLists(c, from)).toEqual(['emergenze', 'pubblica-utilita']);
      const reply = await say(c, from, 'ISCRIZIONE OFF #PUBBLICA');
      expect(reply).toContain('Non conosco #PUBBLICA');
      expect(reply).toContain("#PUBBLICAUTILITA'");
      expect(reply).toContain('ISCRIZIONE OFF #EMERGENZE');
      // One unknown hashtag among known ones changes nothing either, as for a sign-up.
      expect(await say(c, from, 'ISCRIZIONE OFF #EMERGENZE #EVENTI')).toContain('Non conosco #EVENTI');
      expect(await activeLists(c, from)).toEqual(['emergenze', 'pubblica-utilita']);
      expect(await subscriber(c, from)).toMatchObject({ status: 'active' });
      expect(await ledger(c, from)).toEqual(['policy_accepted', 'opt_in', 'opt_in']);
    });

    it('reads a list named without the # as that list, to leave and to join', async () => {
      const from = citizen();
      await say(c, from, 'ISCRIZIONE ON #EMERGENZE Luca Verdi Caprignana');
      await say(c, from, 'ACCETTO');
      expect(await say(c, from, 'ISCRIZIONE ON PUBBLICAUTILITA')).toContain('Pubblica utilità');
      expect(await subscriber(c, from)).toMatchObject({ first_name: 'Luca', last_name: 'Verdi' });
      expect(await activeLists(c, from)).toEqual(['emergenze', 'pubblica-utilita']);
      expect(await say(c, from, 'ISCRIZIONE OFF emergenze')).toContain('Resti iscritto/a a: Pubblica utilità');
      expect(await activeLists(c, from)).toEqual(['pubblica-utilita']);
      expect(await ledger(c, from)).toEqual(['policy_accepted', 'opt_in', 'opt_in', 'opt_out']);
    });
  });

  describe('an editor’s opt-out keyword for one list', () => {
    it('leaves the rule’s lists when the citizen names none, its hashtags when named, and everything on ISCRIZIONE OFF', async () => {
      const c = await comune('san-romano-in-garfagnana', 'nopubblica');
      const config = ch.t.app.get(SubscriptionConfigService);
      const pubblica = (await config.lists(c.tenant.id)).find((l) => l.slug === 'pubblica-utilita')!;
      await config.createRule(null, c.tenant.id, { action: 'unsubscribe', phrases: ['BASTA UTILITA'], listIds: [pubblica.id] });
      const from = citizen();
      await say(c, from, 'ISCRIZIONE ON #EMERGENZE Luca Verdi Caprignana');
      await say(c, from, 'ACCETTO');
      await say(c, from, "ISCRIZIONE ON #PUBBLICAUTILITA'");
      expect(await say(c, from, 'Basta utilità')).toContain('Resti iscritto/a a: Emergenze');
      expect(await activeLists(c, from)).toEqual(['emergenze']);
      await say(c, from, "ISCRIZIONE ON #PUBBLICAUTILITA'");
      expect(await say(c, from, 'BASTA UTILITA #EMERGENZE')).toContain('Resti iscritto/a a: Pubblica utilità');
      expect(await activeLists(c, from)).toEqual(['pubblica-utilita']);
      expect(await say(c, from, 'ISCRIZIONE OFF')).toContain('Ti sei cancellato/a');
      expect(await activeLists(c, from)).toEqual([]);
      expect(await subscriber(c, from)).toMatchObject({ status: 'unsubscribed' });
      expect(await ledger(c, from)).toEqual(['policy_accepted', 'opt_in', 'opt_in', 'opt_out', 'opt_in', 'opt_out', 'opt_out']);
    });
  });

  describe('Santa Fiora: ATTIVA COMUNE AMICO, anonymous, the keyword is the authorisation', () => {
    let c: Comune;
    beforeAll(async () => {
      c = await comune('santa-fiora', 'santafiora');
    });

    it('subscribes at once with the policy link, leaves with DISATTIVA COMUNE AMICO, comes back', async () => {
      const from = citizen();
      const welcome = await say(c, from, 'Attiva Comune Amico');
      expect(welcome).toContain('Comune Amico');
      // Followed by the comune's contact card, to save the number with one tap.
      expect(welcome).toContain(`[contatto] ${c.tenant.displayName}`);
      expect(welcome).toContain('https://www.comune.santafiora.gr.it/privacy-comune-amico');
      expect(await subscriber(c, from)).toMatchObject({ status: 'active', first_name: null });
      expect(await say(c, from, 'DISATTIVA COMUNE AMICO')).toContain('ATTIVA COMUNE AMICO');
      expect(await subscriber(c, from)).toMatchObject({ status: 'unsubscribed' });
      expect(await say(c, from, 'ATTIVA COMUNE AMICO!')).toContain('Benvenuto');
      expect(await activeLists(c, from)).toEqual(['comune-amico']);
      expect(await ledger(c, from)).toEqual(['opt_in', 'opt_out', 'opt_in']);
    });

    it.each(['STOP', 'annulla', 'Cancellami.', 'DISISCRIVIMI', 'Annullà'])('honours the universal opt-out %s', async (word) => {
      const from = citizen();
      await say(c, from, 'ATTIVA COMUNE AMICO');
      const bye = await say(c, from, word);
      expect(bye).toContain('ATTIVA COMUNE AMICO');
      expect(await activeLists(c, from)).toEqual([]);
    });

    it('keeps a two-way comune’s other messages for the inbox, unanswered', async () => {
      const from = citizen();
      await sayUnanswered(c, from, 'Buongiorno, c’è una buca in via Roma davanti al civico 12');
      const { rows } = await db.query(`SELECT body FROM inbound_messages WHERE tenant_id = $1 AND body LIKE 'Buongiorno, c’è una buca%'`, [
        c.tenant.id,
      ]);
      expect(rows).toHaveLength(1);
    });
  });

  describe('Conegliano: Iscrivimi Nome Cognome, Cancellami, receive-only', () => {
    let c: Comune;
    beforeAll(async () => {
      c = await comune('conegliano', 'conegliano');
    });

    it('signs up with the name in the message, or asks for it', async () => {
      const a = citizen();
      expect(await say(c, a, 'Iscrivimi Giulia Rossi')).toContain('Ciao Giulia');
      expect(await subscriber(c, a)).toMatchObject({ status: 'active', first_name: 'Giulia', last_name: 'Rossi' });
      const b = citizen();
      expect(await say(c, b, 'iscrivimi')).toMatch(/nome e cognome/);
      expect(await say(c, b, 'Paolo Neri')).toContain('Ciao Paolo');
      expect(await say(c, b, 'Cancellami')).toContain('Iscrivimi');
    });

    it('answers anything else once a day with the offices, without keeping what was written', async () => {
      const from = citizen();
      const reply = await say(c, from, 'A che ora apre l’anagrafe?');
      expect(reply).toContain('solo in uscita');
      expect(reply).toContain('urp@comune.conegliano.tv.it');
      await sayUnanswered(c, from, 'Mi rispondete?');
      const { rows } = await db.query(
        `SELECT i.body, i.content FROM inbound_messages i JOIN contacts k ON k.tenant_id = i.tenant_id AND k.id = i.contact_id WHERE i.tenant_id = $1 AND k.wa_id = $2`,
        [c.tenant.id, from],
      );
      expect(rows).toHaveLength(2);
      for (const r of rows) expect(r).toMatchObject({ body: null, content: { purged: true } });
    });
  });

  describe('one citizen’s messages, whichever of their jobs runs first', () => {
    let c: Comune;
    beforeAll(async () => {
      c = await comune('santa-fiora', 'ordine');
    });

    /**
     * Stores the citizen's messages as the webhook does, `spacingS` seconds apart, without queueing
     * their jobs: the test runs them itself, in the order it wants.
     */
    async function stored(from: string, texts: string[], spacingS = 1): Promise<string[]> {
      const contact = (await db.query(`SELECT id, number_id FROM contacts WHERE tenant_id = $1 AND wa_id = $2`, [c.tenant.id, from])).rows[0] as {
        id: string;
        number_id: string;
      };
      const first = Math.floor(Date.now() / 1000) * 1000;
      const ids: string[] = [];
      for (const [i, text] of texts.entries()) {
        const id = randomUUID();
        await db.query(
          `INSERT INTO inbound_messages (tenant_id, id, number_id, contact_id, wamid, type, body, content, sent_at)
           VALUES ($1, $2, $3, $4, $5, 'text', $6, jsonb_build_object('type', 'text', 'body', $6::text), $7)`,
          [c.tenant.id, id, contact.number_id, contact.id, `wamid.order-${id}`, text, new Date(first + i * spacingS * 1000)],
        );
        ids.push(id);
      }
      return ids;
    }
    const unhandled = async (ids: string[]): Promise<number> =>
      (await db.query(`SELECT 1 FROM inbound_messages WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND handled_at IS NULL`, [c.tenant.id, ids]))
        .rowCount ?? 0;

    it('acts on an ATTIVA and a STOP a second apart in the order they were sent, though the STOP’s job ran first', async () => {
      const from = citizen();
      await say(c, from, 'AIUTO'); // the citizen has written before: their contact exists
      const [attiva, stop] = await stored(from, ['ATTIVA COMUNE AMICO', 'STOP']);
      const keywords = ch.worker.get(KeywordService);
      await keywords.handle(c.tenant.id, stop as never);
      await keywords.handle(c.tenant.id, attiva as never);
      expect(await subscriber(c, from)).toMatchObject({ status: 'unsubscribed' });
      expect(await ledger(c, from)).toEqual(['opt_in', 'opt_out']);
      expect(await unhandled([attiva, stop])).toBe(0);
      // Each answered once, in order: the welcome (and its contact card), then the goodbye.
      await waitFor(async () => (await ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId, to: `+${from}` })).length >= 4);
      const replies = (await ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId, to: `+${from}` })).slice(1).map((m) => shown(m.body));
      expect(replies).toHaveLength(3);
      expect(replies[0]).toContain('Benvenuto');
      expect(replies[2]).toContain('ATTIVA COMUNE AMICO');
    });

    it('handles concurrent jobs of one citizen one message at a time, in order', async () => {
      const from = citizen();
      await say(c, from, 'AIUTO');
      const ids = await stored(from, ['ATTIVA COMUNE AMICO', 'STOP', 'ATTIVA COMUNE AMICO', 'DISATTIVA COMUNE AMICO', 'ATTIVA COMUNE AMICO']);
      const keywords = ch.worker.get(KeywordService);
      await Promise.all([...ids].reverse().map((id) => keywords.handle(c.tenant.id, id as never)));
      expect(await ledger(c, from)).toEqual(['opt_in', 'opt_out', 'opt_in', 'opt_out', 'opt_in']);
      expect(await subscriber(c, from)).toMatchObject({ status: 'active' });
      expect(await unhandled(ids)).toBe(0);
      const lease = await db.query(`SELECT handling_token FROM contacts WHERE tenant_id = $1 AND wa_id = $2`, [c.tenant.id, from]);
      expect(lease.rows[0]).toEqual({ handling_token: null });
    });

    it('leaves a message to the job holding the citizen’s lease, and takes over a lease that expired', async () => {
      const from = citizen();
      await say(c, from, 'AIUTO');
      const [attiva] = await stored(from, ['ATTIVA COMUNE AMICO']);
      const keywords = ch.worker.get(KeywordService);
      // Another job holds the lease: this one leaves the message unhandled, for the holder.
      await db.query(`UPDATE contacts SET handling_token = $3, handling_until = now() + interval '1 minute' WHERE tenant_id = $1 AND wa_id = $2`, [
        c.tenant.id,
        from,
        randomUUID(),
      ]);
      await keywords.handle(c.tenant.id, attiva as never);
      expect(await unhandled([attiva])).toBe(1);
      expect(await activeLists(c, from)).toEqual([]);
      // The holder died: once its lease has expired, the next job (the sweep's) takes over.
      await db.query(`UPDATE contacts SET handling_until = now() - interval '1 second' WHERE tenant_id = $1 AND wa_id = $2`, [c.tenant.id, from]);
      await keywords.handle(c.tenant.id, attiva as never);
      expect(await unhandled([attiva])).toBe(0);
      expect(await activeLists(c, from)).toEqual(['comune-amico']);
    });
  });

  describe('a comune the consortium suspended', () => {
    it('takes no one on, says why in Italian, and still lets a subscriber leave', async () => {
      const c = await comune('santa-fiora', 'sospeso');
      const member = citizen();
      await say(c, member, 'ATTIVA COMUNE AMICO');
      await db.query(`UPDATE tenants SET status = 'suspended' WHERE id = $1`, [c.tenant.id]);
      const stranger = citizen();
      const reply = await say(c, stranger, 'ATTIVA COMUNE AMICO');
      expect(reply).toContain('è sospeso');
      expect(reply).toContain('non è possibile iscriversi');
      expect(await subscriber(c, stranger)).toBeUndefined();
      expect(await say(c, member, 'STOP')).toContain('ATTIVA COMUNE AMICO');
      expect(await subscriber(c, member)).toMatchObject({ status: 'unsubscribed' });
      expect(await say(c, member, 'ATTIVA COMUNE AMICO')).toContain('è sospeso');
      expect(await ledger(c, member)).toEqual(['opt_in', 'opt_out']);
    });
  });

  describe('Amaro (one-way, ATTIVA / DISATTIVA) and isolation', () => {
    it('keeps the same citizen’s subscriptions to two comuni independent', async () => {
      const amaro = await comune('amaro', 'amaro');
      const cavazzo = await comune('cavazzo-carnico', 'cavazzo');
      const from = citizen();
      expect(await say(amaro, from, 'ATTIVA')).toContain(amaro.tenant.displayName);
      expect(await say(cavazzo, from, 'attiva')).toContain(cavazzo.tenant.displayName);
      expect(await say(amaro, from, 'DISATTIVA')).toContain('ATTIVA');
      expect(await subscriber(amaro, from)).toMatchObject({ status: 'unsubscribed' });
      expect(await subscriber(cavazzo, from)).toMatchObject({ status: 'active' });
      expect(await say(amaro, from, 'Stato')).toContain('Non sei iscritto');
    });
  });
});
