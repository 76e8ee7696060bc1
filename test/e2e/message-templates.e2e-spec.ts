import type { Client } from 'pg';
import { newId } from '#common';
import { SubscriberRepository } from '#database';
import { CAMPAIGN_IT } from '#domain';
import { startChannel, type Channel } from '../support/channel.js';
import { ownerClient } from '../support/database.js';
import { bearer, type Comune, type Session } from '../support/factories.js';

/**
 * Message templates end to end: an approved template created on the simulator and synced through
 * the real Cloud API adapter, then linked, validated, previewed and isolated per comune.
 */
describe('message templates', () => {
  let ch: Channel;
  let db: Client;
  let amaro: Comune;
  let cavazzo: Comune;

  const http = () => ch.t.http();
  const base = (c: Comune) => `/api/v1/tenants/${c.tenant.slug}/message-templates`;
  const create = (c: Comune, s: Session, body: Record<string, unknown>) =>
    http()
      .post(base(c))
      .set(...bearer(s))
      .send(body);
  const preview = (c: Comune, s: Session, id: string, body: Record<string, unknown>) =>
    http()
      .post(`${base(c)}/${id}/preview`)
      .set(...bearer(s))
      .send(body);
  const rows = async (c: Comune) =>
    (await db.query(`SELECT * FROM message_templates WHERE tenant_id = $1 ORDER BY name`, [c.tenant.id])).rows as Record<string, unknown>[];
  const subscriber = (c: Comune, profile: { firstName?: string; lastName?: string; frazione?: string }) =>
    ch.t.app.get(SubscriberRepository).create(c.tenant.id, {
      id: newId(),
      phoneE164: `+39333${Math.floor(1_000_000 + Math.random() * 8_999_999)}`,
      waId: null,
      userId: null,
      source: 'editor',
      status: 'active',
      ...profile,
    });

  const BODY = '⚠️ Gentile {{nome}}, allerta {{livello}} a {{ frazione }}. Il {{comune}} consiglia prudenza: l’avviso vale fino a {{fine}}.';
  const LINK = {
    name: 'allerta_meteo',
    language: 'it',
    bodyParameters: ['nome', 'livello', 'frazione', 'fine'],
    headerParameters: ['comune'],
  };

  beforeAll(async () => {
    ch = await startChannel();
    db = await ownerClient(ch.t.config);
    amaro = await ch.comune('amaro');
    cavazzo = await ch.comune('cavazzo');
    await ch.sim.createTemplate({
      wabaId: amaro.number.wabaId,
      name: 'allerta_meteo',
      language: 'it',
      category: 'UTILITY',
      header: 'Protezione civile – {{1}}',
      body: 'Gentile {{1}}, allerta {{2}} a {{3}} fino a {{4}}. Segui le indicazioni.',
    });
    await ch.sim.createTemplate({
      wabaId: amaro.number.wabaId,
      name: 'eventi_settimana',
      language: 'it',
      category: 'MARKETING',
      status: 'PENDING',
      body: 'Gli eventi della settimana: {{1}}',
    });
    const synced = await http()
      .post(`/api/v1/tenants/${amaro.tenant.slug}/whatsapp-templates/sync`)
      .set(...bearer(amaro.admin));
    expect(synced.body).toEqual({ wabas: 1, templates: 2 });
  });
  afterAll(async () => {
    await db.end();
    await ch.close();
  });

  it('creates a template with variables linked to an approved template, with its status and category', async () => {
    const res = await create(amaro, amaro.editor, { name: 'Allerta meteo', body: BODY, whatsappTemplate: LINK });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'Allerta meteo',
      body: BODY,
      variables: ['nome', 'livello', 'frazione', 'comune', 'fine'],
      freeVariables: ['livello', 'fine'],
      whatsappTemplate: {
        name: 'allerta_meteo',
        language: 'it',
        status: 'APPROVED',
        category: 'utility',
        bodyParameters: ['nome', 'livello', 'frazione', 'fine'],
        headerParameters: ['comune'],
        buttonParameters: [],
      },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const [row] = await rows(amaro);
    expect(row).toMatchObject({
      id: res.body.id,
      body: BODY,
      whatsapp_template_name: 'allerta_meteo',
      body_parameters: ['nome', 'livello', 'frazione', 'fine'],
      header_parameters: ['comune'],
      created_by: amaro.editor.id,
    });

    const list = await http()
      .get(base(amaro))
      .set(...bearer(amaro.admin));
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 1, items: [{ id: res.body.id, whatsappTemplate: { status: 'APPROVED', category: 'utility' } }] });
    const got = await http()
      .get(`${base(amaro)}/${res.body.id as string}`)
      .set(...bearer(amaro.editor));
    expect(got.body).toEqual(res.body);

    // A plain template needs no link; a pending one can be linked and shows its status.
    const plain = await create(amaro, amaro.editor, { name: 'Avviso libero', body: 'Il {{comune}} informa: {{testo}}' });
    expect(plain.status).toBe(201);
    expect(plain.body).toMatchObject({ whatsappTemplate: null, freeVariables: ['testo'] });
    const pending = await create(amaro, amaro.admin, {
      name: 'Eventi',
      body: 'Eventi della settimana: {{eventi}}',
      whatsappTemplate: { name: 'eventi_settimana', language: 'it', bodyParameters: ['eventi'] },
    });
    expect(pending.body.whatsappTemplate).toMatchObject({ status: 'PENDING', category: 'marketing' });
  });

  it('refuses a link that does not fit the approved template, or a bad variable, with the reason and nothing stored', async () => {
    const before = await rows(amaro);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...LINK, bodyParameters: ['nome', 'livello', 'frazione'] }, /"allerta_meteo" \(it\) has 4 body parameters but bodyParameters lists 3 names/],
      [{ ...LINK, headerParameters: [] }, /has 1 header parameter but headerParameters lists 0 names/],
      [
        { ...LINK, bodyParameters: ['nome', 'livello', 'frazione', 'data'] },
        /"data", which is neither a variable of the body nor one of nome, cognome, frazione, comune/,
      ],
      [{ ...LINK, name: 'allerta_neve' }, /"allerta_neve" \(it\) is not among this comune's WhatsApp templates/],
      [{ ...LINK, language: 'en' }, /"allerta_meteo" \(en\) is not among/],
    ];
    for (const [whatsappTemplate, reason] of cases) {
      const res = await create(amaro, amaro.editor, { name: `Prova ${Math.random()}`, body: BODY, whatsappTemplate });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(reason);
    }
    const invalid = await create(amaro, amaro.editor, { name: 'Prova', body: 'Ciao {{Nome}} e {{nome utente}}' });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ code: 'INVALID_TEMPLATE_VARIABLE', details: { invalid: ['{{Nome}}', '{{nome utente}}'] } });
    expect(invalid.body.message).toContain('{{Nome}}');
    // Another comune cannot link Amaro's approved template: its own synced templates do not include it.
    const foreign = await create(cavazzo, cavazzo.editor, { name: 'Allerta', body: BODY, whatsappTemplate: LINK });
    expect(foreign.status).toBe(400);
    expect(foreign.body.code).toBe('WHATSAPP_TEMPLATE_UNKNOWN');
    expect(await rows(amaro)).toEqual(before);
    expect(await rows(cavazzo)).toEqual([]);
  });

  it('previews the exact text for a real subscriber, keeping accents and emoji, with the approved template’s parameters', async () => {
    const id = (await rows(amaro)).find((r) => r.name === 'Allerta meteo')!.id as string;
    const niccolo = await subscriber(amaro, { firstName: 'Niccolò', lastName: 'D’Angelo', frazione: 'Maleit' });
    const variables = { livello: 'ARANCIONE 🟠', fine: 'lunedì alle 18:00\nsalvo revoche' };
    const res = await preview(amaro, amaro.editor, id, { subscriberId: niccolo.id, variables });
    expect(res.status).toBe(200);
    const comune = amaro.tenant.displayName;
    expect(res.body).toEqual({
      text: `⚠️ Gentile Niccolò, allerta ARANCIONE 🟠 a Maleit. Il ${comune} consiglia prudenza: l’avviso vale fino a lunedì alle 18:00\nsalvo revoche.`,
      whatsappTemplate: {
        name: 'allerta_meteo',
        language: 'it',
        category: 'utility',
        status: 'APPROVED',
        parameters: { body: ['Niccolò', 'ARANCIONE 🟠', 'Maleit', 'lunedì alle 18:00 salvo revoche'], header: [comune] },
        text: 'Gentile Niccolò, allerta ARANCIONE 🟠 a Maleit fino a lunedì alle 18:00 salvo revoche. Segui le indicazioni.',
        headerMedia: null,
        headerProblem: null,
      },
      media: null,
      recipient: { nome: 'Niccolò', cognome: 'D’Angelo', frazione: 'Maleit' },
    });

    const anonymous = await subscriber(amaro, {});
    const fallback = await preview(amaro, amaro.editor, id, { subscriberId: anonymous.id, variables });
    expect(fallback.status).toBe(200);
    expect(fallback.body.text).toContain(`Gentile ${CAMPAIGN_IT.fallback.nome}, allerta ARANCIONE 🟠 a ${CAMPAIGN_IT.fallback.frazione}.`);
    expect(fallback.body.whatsappTemplate.parameters.body.slice(0, 3)).toEqual([
      CAMPAIGN_IT.fallback.nome,
      'ARANCIONE 🟠',
      CAMPAIGN_IT.fallback.frazione,
    ]);
    expect(fallback.body.recipient).toEqual({ nome: null, cognome: null, frazione: null });
    expect(JSON.stringify(fallback.body)).not.toMatch(/\{\{/);

    const nobody = await preview(amaro, amaro.editor, id, { variables });
    expect(nobody.body).toMatchObject({ recipient: null, text: expect.stringContaining(`Gentile ${CAMPAIGN_IT.fallback.nome},`) });
  });

  it('refuses a preview with a missing variable, listing it, and a subscriber of another comune', async () => {
    const id = (await rows(amaro)).find((r) => r.name === 'Allerta meteo')!.id as string;
    const missing = await preview(amaro, amaro.editor, id, { variables: { livello: 'ROSSO', fine: '   ' } });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'MISSING_TEMPLATE_VARIABLES', details: { missing: ['fine'] } });
    expect(missing.body.message).toContain('{{fine}}');
    const none = await preview(amaro, amaro.editor, id, {});
    expect(none.body.details).toEqual({ missing: ['livello', 'fine'] });

    const stranger = await subscriber(cavazzo, { firstName: 'Giulia' });
    const foreign = await preview(amaro, amaro.editor, id, { subscriberId: stranger.id, variables: { livello: 'x', fine: 'y' } });
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('SUBSCRIBER_NOT_FOUND');
    const bogus = await preview(amaro, amaro.editor, id, { subscriberId: 'not-a-uuid', variables: { livello: 'x', fine: 'y' } });
    expect(bogus.status).toBe(404);
    const badValues = await preview(amaro, amaro.editor, id, { variables: { livello: 3 } });
    expect(badValues.status).toBe(400);
  });

  it('answers another comune’s editor 404 on every route and changes nothing', async () => {
    const before = await rows(amaro);
    const id = before[0].id as string;
    const own = base(cavazzo);
    const attempts = [
      http().get(`${own}/${id}`),
      http().patch(`${own}/${id}`).send({ name: 'Rubato' }),
      http().delete(`${own}/${id}`),
      http()
        .post(`${own}/${id}/preview`)
        .send({ variables: { livello: 'x', fine: 'y' } }),
      http().get(base(amaro)),
      http().post(base(amaro)).send({ name: 'Intruso', body: 'x' }),
      http().get(`${base(amaro)}/${id}`),
      http()
        .patch(`${base(amaro)}/${id}`)
        .send({ name: 'Rubato' }),
      http().delete(`${base(amaro)}/${id}`),
      http()
        .post(`${base(amaro)}/${id}/preview`)
        .send({ variables: { livello: 'x', fine: 'y' } }),
    ];
    for (const attempt of attempts) {
      const res = await attempt.set(...bearer(cavazzo.editor));
      expect(res.status).toBe(404);
    }
    const list = await http()
      .get(own)
      .set(...bearer(cavazzo.editor));
    expect(list.body).toMatchObject({ total: 0, items: [] });
    expect(await rows(amaro)).toEqual(before);
  });

  it('answers 409 to a name the comune already uses, in any case; another comune may use it', async () => {
    const clash = await create(amaro, amaro.editor, { name: 'ALLERTA METEO', body: 'Testo' });
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({
      code: 'MESSAGE_TEMPLATE_NAME_TAKEN',
      message: expect.stringMatching(/already has a message template with this name/),
    });
    const plain = (await rows(amaro)).find((r) => r.name === 'Avviso libero')!;
    const rename = await http()
      .patch(`${base(amaro)}/${plain.id as string}`)
      .set(...bearer(amaro.editor))
      .send({ name: 'allerta meteo' });
    expect(rename.status).toBe(409);
    const elsewhere = await create(cavazzo, cavazzo.editor, { name: 'Allerta meteo', body: 'Testo' });
    expect(elsewhere.status).toBe(201);
  });

  it('edits, re-checks the kept link against a new body, unlinks and deletes', async () => {
    const id = (await rows(amaro)).find((r) => r.name === 'Allerta meteo')!.id as string;
    const path = `${base(amaro)}/${id}`;
    const dropsVariable = await http()
      .patch(path)
      .set(...bearer(amaro.editor))
      .send({ body: 'Allerta {{livello}} a {{frazione}} per {{nome}}' });
    expect(dropsVariable.status).toBe(400);
    expect(dropsVariable.body.message).toMatch(/"fine", which is neither a variable of the body/);

    // Meta paused the template: a re-sync shows it on the linked template.
    const [simTemplate] = (await ch.sim.listTemplates(amaro.number.wabaId)).filter((t) => t.name === 'allerta_meteo');
    await ch.sim.setTemplateStatus(simTemplate.id, 'PAUSED');
    await http()
      .post(`/api/v1/tenants/${amaro.tenant.slug}/whatsapp-templates/sync`)
      .set(...bearer(amaro.admin));
    const paused = await http()
      .get(path)
      .set(...bearer(amaro.editor));
    expect(paused.body.whatsappTemplate).toMatchObject({ status: 'PAUSED', category: 'utility' });

    const unlinked = await http()
      .patch(path)
      .set(...bearer(amaro.editor))
      .send({ whatsappTemplate: null, body: 'Allerta {{livello}}' });
    expect(unlinked.status).toBe(200);
    expect(unlinked.body).toMatchObject({ body: 'Allerta {{livello}}', whatsappTemplate: null, freeVariables: ['livello'] });
    expect((await rows(amaro)).find((r) => r.id === id)).toMatchObject({ whatsapp_template_name: null, body_parameters: [] });

    const deleted = await http()
      .delete(path)
      .set(...bearer(amaro.editor));
    expect(deleted.status).toBe(204);
    const gone = await http()
      .get(path)
      .set(...bearer(amaro.editor));
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('MESSAGE_TEMPLATE_NOT_FOUND');
    const audit = await db.query(`SELECT action FROM audit_events WHERE tenant_id = $1 AND target_id = $2 ORDER BY occurred_at`, [
      amaro.tenant.id,
      id,
    ]);
    expect(audit.rows.map((r: { action: string }) => r.action)).toEqual([
      'message_template.created',
      'message_template.updated',
      'message_template.deleted',
    ]);
  });
});
