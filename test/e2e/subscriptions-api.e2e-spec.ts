import { newId } from '#common';
import { SubscriberRepository } from '#database';
import { bearer, createComune, createOperator, type Comune, type Session } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** The editors' and admins' side of subscriptions: configuration, search, GDPR export and erasure, isolation. */
describe('subscriptions API', () => {
  let t: TestApp;
  let amaro: Comune;
  let cavazzo: Comune;
  let operator: Session;

  beforeAll(async () => {
    t = await createTestApp();
    amaro = await createComune(t, 'sanromano');
    cavazzo = await createComune(t, 'cavazzo');
    operator = await createOperator(t);
    const res = await t
      .http()
      .post(`/api/v1/tenants/${amaro.tenant.slug}/subscription-settings/preset`)
      .set(...bearer(amaro.admin))
      .send({ preset: 'san-romano-in-garfagnana' });
    expect(res.status).toBe(200);
  });
  afterAll(() => t.close());

  const api = (c: Comune, path: string) => `/api/v1/tenants/${c.tenant.slug}${path}`;

  /** A subscriber as the keyword flow would leave it (the flow itself is tested in subscriptions-keywords). */
  async function subscriber(
    c: Comune,
    phone: string,
    fields: { firstName: string; lastName: string; frazione: string; tags?: string[] },
    listSlugs: string[],
  ): Promise<string> {
    const repo = t.app.get(SubscriberRepository);
    const s = await repo.create(c.tenant.id, {
      id: newId(),
      phoneE164: phone,
      waId: phone.slice(1),
      userId: null,
      source: 'keyword',
      status: 'active',
      ...fields,
    });
    const lists = (
      await t
        .http()
        .get(api(c, '/lists'))
        .set(...bearer(c.editor))
    ).body as { id: string; slug: string }[];
    const ids = lists.filter((l) => listSlugs.includes(l.slug)).map((l) => l.id);
    await repo.subscribe(c.tenant.id, s.id, ids);
    await repo.recordConsent(c.tenant.id, {
      id: newId(),
      subscriberId: s.id,
      type: 'opt_in',
      listIds: ids,
      policyVersion: '2024-09',
      channel: 'keyword',
      evidence: { wamid: 'wamid.x' },
    });
    return s.id;
  }

  it('configures a comune from a preset: settings, lists and keyword rules', async () => {
    const settings = await t
      .http()
      .get(api(amaro, '/subscription-settings'))
      .set(...bearer(amaro.editor));
    expect(settings.body).toMatchObject({ configured: true, requiredFields: ['first_name', 'last_name', 'frazione'], policyRequired: true });
    expect(settings.body.frazioni).toContain('Villetta');
    const lists = await t
      .http()
      .get(api(amaro, '/lists'))
      .set(...bearer(amaro.editor));
    expect(lists.body.map((l: { hashtag: string }) => l.hashtag)).toEqual(['#EMERGENZE', "#PUBBLICAUTILITA'"]);
    const rules = await t
      .http()
      .get(api(amaro, '/keyword-rules'))
      .set(...bearer(amaro.editor));
    expect(rules.body.map((r: { phrases: string[] }) => r.phrases[0])).toEqual(['ISCRIZIONE ON', 'ISCRIZIONE OFF', 'ACCETTO']);
    const again = await t
      .http()
      .post(api(amaro, '/subscription-settings/preset'))
      .set(...bearer(amaro.admin))
      .send({ preset: 'santa-fiora' });
    expect(again.status).toBe(409);
    const unknown = await t
      .http()
      .post(api(cavazzo, '/subscription-settings/preset'))
      .set(...bearer(cavazzo.admin))
      .send({ preset: 'atlantide' });
    expect(unknown.body).toMatchObject({ statusCode: 400, code: 'UNKNOWN_PRESET' });
  });

  it('lets admins, not editors, change settings, lists and keywords, with clear errors', async () => {
    expect(
      (
        await t
          .http()
          .put(api(amaro, '/subscription-settings'))
          .set(...bearer(amaro.editor))
          .send({ launchThreshold: 10 })
      ).status,
    ).toBe(403);
    const bad = await t
      .http()
      .put(api(cavazzo, '/subscription-settings'))
      .set(...bearer(cavazzo.admin))
      .send({ requiredFields: ['frazione'] });
    expect(bad.body).toMatchObject({ statusCode: 400, code: 'NO_FRAZIONI' });
    const unknownField = await t
      .http()
      .put(api(cavazzo, '/subscription-settings'))
      .set(...bearer(cavazzo.admin))
      .send({ requiredFields: ['codice_fiscale'] });
    expect(unknownField.status).toBe(400);

    const list = await t
      .http()
      .post(api(cavazzo, '/lists'))
      .set(...bearer(cavazzo.admin))
      .send({ slug: 'eventi', hashtag: 'EVENTI', name: 'Eventi' });
    expect(list.status).toBe(201);
    expect(list.body.hashtag).toBe('#EVENTI');
    const clash = await t
      .http()
      .post(api(cavazzo, '/lists'))
      .set(...bearer(cavazzo.admin))
      .send({ slug: 'eventi-2', hashtag: '#Eventì', name: 'Altro' });
    expect(clash.body).toMatchObject({ statusCode: 409, code: 'LIST_HASHTAG_TAKEN' });
    expect(
      (
        await t
          .http()
          .post(api(cavazzo, '/lists'))
          .set(...bearer(cavazzo.editor))
          .send({ slug: 'x', hashtag: '#X', name: 'X' })
      ).status,
    ).toBe(403);

    const rule = await t
      .http()
      .post(api(cavazzo, '/keyword-rules'))
      .set(...bearer(cavazzo.admin))
      .send({ action: 'subscribe', phrases: ['ATTIVA'], listIds: [list.body.id] });
    expect(rule.status).toBe(201);
    const dup = await t
      .http()
      .post(api(cavazzo, '/keyword-rules'))
      .set(...bearer(cavazzo.admin))
      .send({ action: 'unsubscribe', phrases: ['  attiva! '] });
    expect(dup.body).toMatchObject({ statusCode: 409, code: 'PHRASE_TAKEN' });
    const empty = await t
      .http()
      .post(api(cavazzo, '/keyword-rules'))
      .set(...bearer(cavazzo.admin))
      .send({ action: 'help', phrases: ['!!!'] });
    expect(empty.body).toMatchObject({ statusCode: 400, code: 'EMPTY_PHRASE' });
  });

  it('refuses null for a setting or a list field that must have a value, and clears an optional text with it', async () => {
    const settings = async () =>
      (
        await t
          .http()
          .get(api(amaro, '/subscription-settings'))
          .set(...bearer(amaro.editor))
      ).body as Record<string, unknown>;
    const before = await settings();
    for (const field of ['frazioni', 'requiredFields', 'welcomeText', 'policyRequired', 'contactCard', 'launchOverride']) {
      const res = await t
        .http()
        .put(api(amaro, '/subscription-settings'))
        .set(...bearer(amaro.admin))
        .send({ [field]: null });
      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', message: `${field} must not be null` });
    }
    expect(await settings()).toEqual(before);
    const put = (body: Record<string, unknown>) =>
      t
        .http()
        .put(api(amaro, '/subscription-settings'))
        .set(...bearer(amaro.admin))
        .send(body);
    expect((await put({ autoReplyText: 'Per informazioni scrivete in Comune.' })).body.autoReplyText).toBe('Per informazioni scrivete in Comune.');
    const cleared = await put({ autoReplyText: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ autoReplyText: null, welcomeText: before.welcomeText, frazioni: before.frazioni });

    const lists = (
      await t
        .http()
        .get(api(amaro, '/lists'))
        .set(...bearer(amaro.editor))
    ).body as { id: string; slug: string }[];
    const list = lists.find((l) => l.slug === 'pubblica-utilita')!;
    const patch = (body: Record<string, unknown>) =>
      t
        .http()
        .patch(api(amaro, `/lists/${list.id}`))
        .set(...bearer(amaro.admin))
        .send(body);
    for (const field of ['hashtag', 'name', 'slug', 'isDefault']) {
      expect((await patch({ [field]: null })).body).toMatchObject({ statusCode: 400, message: `${field} must not be null` });
    }
    const described = await patch({ description: null });
    expect(described.status).toBe(200);
    expect(described.body).toMatchObject({ slug: 'pubblica-utilita', hashtag: "#PUBBLICAUTILITA'", name: 'Pubblica utilità', description: null });
  });

  it('never lets one comune use or see another’s lists, rules or subscribers', async () => {
    const amaroLists = (
      await t
        .http()
        .get(api(amaro, '/lists'))
        .set(...bearer(amaro.editor))
    ).body as { id: string }[];
    const foreignList = await t
      .http()
      .post(api(cavazzo, '/keyword-rules'))
      .set(...bearer(cavazzo.admin))
      .send({ action: 'subscribe', phrases: ['ISCRIVITI'], listIds: [amaroLists[0].id] });
    expect(foreignList.status).toBe(404);
    expect(
      (
        await t
          .http()
          .patch(api(cavazzo, `/lists/${amaroLists[0].id}`))
          .set(...bearer(cavazzo.admin))
          .send({ name: 'x' })
      ).status,
    ).toBe(404);
    expect(
      (
        await t
          .http()
          .delete(api(cavazzo, `/lists/${amaroLists[0].id}`))
          .set(...bearer(cavazzo.admin))
      ).status,
    ).toBe(404);
    const id = await subscriber(amaro, '+393331110001', { firstName: 'Mario', lastName: 'Rossi', frazione: 'Villetta' }, ['emergenze']);
    expect(
      (
        await t
          .http()
          .get(api(cavazzo, `/subscribers/${id}`))
          .set(...bearer(cavazzo.admin))
      ).status,
    ).toBe(404);
    expect(
      (
        await t
          .http()
          .post(api(cavazzo, `/subscribers/${id}/erase`))
          .set(...bearer(cavazzo.admin))
      ).status,
    ).toBe(404);
    expect(
      (
        await t
          .http()
          .get(api(amaro, `/subscribers/${id}`))
          .set(...bearer(cavazzo.admin))
      ).status,
    ).toBe(404);
    const cavazzoSearch = await t
      .http()
      .get(api(cavazzo, '/subscribers?q=Rossi'))
      .set(...bearer(cavazzo.editor));
    expect(cavazzoSearch.body.total).toBe(0);
    expect(
      (
        await t
          .http()
          .get(api(amaro, `/subscribers/${id}`))
          .set(...bearer(operator))
      ).status,
    ).toBe(200);
  });

  it('searches by list, frazione, tag, status and text, and counts', async () => {
    await subscriber(amaro, '+393331110002', { firstName: 'Anna', lastName: 'Bianchi', frazione: 'Caprignana', tags: ['famiglia_scuola'] }, [
      'emergenze',
      'pubblica-utilita',
    ]);
    await subscriber(amaro, '+393331110003', { firstName: 'Luca', lastName: 'Verdi', frazione: 'Villetta' }, ['pubblica-utilita']);
    const lists = (
      await t
        .http()
        .get(api(amaro, '/lists'))
        .set(...bearer(amaro.editor))
    ).body as { id: string; slug: string }[];
    const pu = lists.find((l) => l.slug === 'pubblica-utilita')!;
    const search = (q: string) =>
      t
        .http()
        .get(api(amaro, `/subscribers?${q}`))
        .set(...bearer(amaro.editor));
    expect((await search(`listId=${pu.id}`)).body.total).toBe(2);
    expect((await search('frazione=Villetta')).body.total).toBe(2);
    expect((await search('tag=famiglia_scuola')).body.items.map((s: { firstName: string }) => s.firstName)).toEqual(['Anna']);
    expect((await search('q=bianchi')).body.total).toBe(1);
    expect((await search('q=1110003')).body.items[0]).toMatchObject({ firstName: 'Luca', phone: '+393331110003' });
    expect((await search('status=pending')).body.total).toBe(0);
    expect((await search('status=nonsense')).status).toBe(400);
    const counts = await t
      .http()
      .get(api(amaro, '/subscribers/counts'))
      .set(...bearer(amaro.editor));
    expect(counts.body.byStatus.active).toBeGreaterThanOrEqual(3);
    expect(counts.body.byList).toEqual(expect.arrayContaining([{ listId: pu.id, active: 2 }]));
    expect(counts.body.byFrazione).toEqual(expect.arrayContaining([{ frazione: 'Villetta', active: 2 }]));
    expect(counts.body.launch).toMatchObject({ threshold: null, reached: true, broadcastsAllowed: true });
  });

  it('shows progress toward the launch threshold, and an admin override', async () => {
    await t
      .http()
      .put(api(amaro, '/subscription-settings'))
      .set(...bearer(amaro.admin))
      .send({ launchThreshold: 500 });
    let launch = (
      await t
        .http()
        .get(api(amaro, '/subscribers/counts'))
        .set(...bearer(amaro.editor))
    ).body.launch;
    expect(launch).toMatchObject({ threshold: 500, reached: false, overridden: false, broadcastsAllowed: false });
    await t
      .http()
      .put(api(amaro, '/subscription-settings'))
      .set(...bearer(amaro.admin))
      .send({ launchOverride: true });
    launch = (
      await t
        .http()
        .get(api(amaro, '/subscribers/counts'))
        .set(...bearer(amaro.editor))
    ).body.launch;
    expect(launch).toMatchObject({ reached: false, overridden: true, broadcastsAllowed: true });
  });

  it('edits tags and frazione, recorded in the ledger; refuses an unknown frazione', async () => {
    const id = await subscriber(amaro, '+393331110004', { firstName: 'Sara', lastName: 'Neri', frazione: 'Villetta' }, ['emergenze']);
    const edited = await t
      .http()
      .patch(api(amaro, `/subscribers/${id}`))
      .set(...bearer(amaro.editor))
      .send({ frazione: 'orzàglia', tags: ['Famiglia_Scuola'] });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ frazione: 'Orzaglia', tags: ['famiglia_scuola'] });
    const bad = await t
      .http()
      .patch(api(amaro, `/subscribers/${id}`))
      .set(...bearer(amaro.editor))
      .send({ frazione: 'Roma' });
    expect(bad.body).toMatchObject({ statusCode: 400, code: 'UNKNOWN_FRAZIONE' });
    const unknownField = await t
      .http()
      .patch(api(amaro, `/subscribers/${id}`))
      .set(...bearer(amaro.editor))
      .send({ status: 'active' });
    expect(unknownField.status).toBe(400);
    const exported = await t
      .http()
      .get(api(amaro, `/subscribers/${id}/export`))
      .set(...bearer(amaro.admin));
    expect(exported.body.consent.map((e: { type: string; channel: string }) => `${e.type}/${e.channel}`)).toEqual([
      'opt_in/keyword',
      'profile_changed/editor',
    ]);
  });

  it('exports everything held about a person, and erases it keeping only anonymous counts and a ledger entry', async () => {
    const id = await subscriber(amaro, '+393331110005', { firstName: 'Giorgio', lastName: 'Gialli', frazione: 'Villetta' }, ['emergenze']);
    expect(
      (
        await t
          .http()
          .get(api(amaro, `/subscribers/${id}/export`))
          .set(...bearer(amaro.editor))
      ).status,
    ).toBe(403);
    const exported = await t
      .http()
      .get(api(amaro, `/subscribers/${id}/export`))
      .set(...bearer(amaro.admin));
    expect(exported.body).toMatchObject({
      phone: '+393331110005',
      firstName: 'Giorgio',
      subscriptions: [{ status: 'active' }],
      consent: [{ type: 'opt_in' }],
    });
    const before = (
      await t
        .http()
        .get(api(amaro, '/subscribers/counts'))
        .set(...bearer(amaro.editor))
    ).body.byStatus;
    expect(
      (
        await t
          .http()
          .post(api(amaro, `/subscribers/${id}/erase`))
          .set(...bearer(amaro.admin))
      ).status,
    ).toBe(204);
    expect(
      (
        await t
          .http()
          .get(api(amaro, `/subscribers/${id}`))
          .set(...bearer(amaro.admin))
      ).status,
    ).toBe(404);
    expect(
      (
        await t
          .http()
          .get(api(amaro, '/subscribers?q=Gialli'))
          .set(...bearer(amaro.admin))
      ).body.total,
    ).toBe(0);
    const repo = t.app.get(SubscriberRepository);
    const row = await repo.findById(amaro.tenant.id, id);
    expect(row).toMatchObject({
      phoneE164: null,
      waId: null,
      firstName: null,
      lastName: null,
      frazione: null,
      status: 'unsubscribed',
      erasedAt: expect.any(Date),
    });
    expect((await repo.ledger(amaro.tenant.id, id)).map((e) => e.type)).toEqual(['opt_in', 'erased']);
    const after = (
      await t
        .http()
        .get(api(amaro, '/subscribers/counts'))
        .set(...bearer(amaro.editor))
    ).body.byStatus;
    expect((after.active ?? 0) + (after.unsubscribed ?? 0)).toBe((before.active ?? 0) + (before.unsubscribed ?? 0));
  });

  it('answers 400 with the reason, never 500: NUL characters, deep nesting, a huge offset, a null link, no phrases', async () => {
    const expect400 = (res: { status: number; body: Record<string, unknown> }, reason: RegExp) => {
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', message: expect.stringMatching(reason) });
    };
    const http = t.http();
    // Before sign-in too: the public form and the login.
    expect400(
      await http.post(`/public/v1/tenants/${amaro.tenant.slug}/subscriptions`).send({ consent: true, firstName: 'A\u0000', phone: '+393331234567' }),
      /firstName must not contain the NUL character/,
    );
    const deep = '['.repeat(5_000) + ']'.repeat(5_000);
    expect400(await http.post('/api/v1/auth/login').set('content-type', 'application/json').send(deep), /nested more than 32 levels/);
    expect400(await http.get(api(amaro, '/subscribers?q=a%00b')).set(...bearer(amaro.editor)), /q must not contain the NUL character/);
    expect400(await http.get(api(amaro, '/subscribers?offset=99999999999999999999')).set(...bearer(amaro.editor)), /offset must be a whole number/);
    expect400(
      await http
        .post(api(amaro, '/keyword-rules'))
        .set(...bearer(amaro.admin))
        .send({ action: 'help', phrases: [] }),
      /at least one phrase/,
    );
    const policies = (await http.get(api(amaro, '/privacy-policies')).set(...bearer(amaro.admin))).body as { id: string }[];
    if (policies.length === 0) {
      await http
        .post(api(amaro, '/privacy-policies'))
        .set(...bearer(amaro.admin))
        .send({ version: 'v-null', url: 'https://example.org/privacy' })
        .expect(201);
    }
    const [current] = (await http.get(api(amaro, '/privacy-policies')).set(...bearer(amaro.admin))).body as { id: string }[];
    expect400(
      await http
        .patch(api(amaro, `/privacy-policies/${current.id}`))
        .set(...bearer(amaro.admin))
        .send({ url: null }),
      /url must not be null/,
    );
    // A null where a value is needed, and quiet hours given by halves.
    const someId = newId();
    const cases: [string, string, string, Session, Record<string, unknown>, RegExp][] = [
      [
        'post',
        api(amaro, '/messages'),
        'text null',
        amaro.editor,
        { numberId: amaro.number.id, to: '+393331234567', text: null },
        /text must not be null/,
      ],
      [
        'post',
        api(amaro, '/messages'),
        'template []',
        amaro.editor,
        { numberId: amaro.number.id, to: '+393331234567', template: [] },
        /template must be an object/,
      ],
      ['put', `/api/v1/business-portfolios/${someId}`, 'reserve null', operator, { emergencyReserve: null }, /emergencyReserve must not be null/],
      [
        'put',
        api(amaro, '/campaign-settings'),
        'half quiet hours',
        amaro.admin,
        { quietHoursStart: '21:00' },
        /quietHoursStart and quietHoursEnd together/,
      ],
      ['put', api(amaro, '/campaign-settings'), 'a null half', amaro.admin, { quietHoursStart: null, quietHoursEnd: '08:00' }, /together/],
    ];
    for (const [method, path, what, who, body, reason] of cases) {
      const request = method === 'post' ? http.post(path) : method === 'put' ? http.put(path) : http.patch(path);
      const res = await request.set(...bearer(who)).send(body);
      expect({ what, status: res.status }).toEqual({ what, status: 400 });
      expect(res.body.message).toMatch(reason);
    }
    // The pair together is fine, and so is changing one half of a pair already set.
    await http
      .put(api(amaro, '/campaign-settings'))
      .set(...bearer(amaro.admin))
      .send({ quietHoursStart: '21:00', quietHoursEnd: '07:00' })
      .expect(200);
    await http
      .put(api(amaro, '/campaign-settings'))
      .set(...bearer(amaro.admin))
      .send({ quietHoursStart: '22:00' })
      .expect(200);
  });
});
