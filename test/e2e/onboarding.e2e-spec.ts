import { ownerClient } from '../support/database.js';
import { createComune, createOperator, createProviderApp, bearer, uniq, type Comune, type Session } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

describe('operator onboarding', () => {
  let t: TestApp;
  let operator: Session;
  let amaro: Comune;
  const secrets: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    operator = await createOperator(t);
    amaro = await createComune(t, 'amaro');
  });
  afterAll(() => t.close());

  it('onboards a fourth comune with its provider app, number and editor, never returning a secret', async () => {
    const appSecret = `meta-app-secret-${uniq()}${uniq()}`;
    const verifyToken = `verify-${uniq()}${uniq()}`;
    const accessToken = `EAAGm0PX4ZCpsBA-${uniq()}${uniq()}${uniq()}`;
    secrets.push(appSecret, verifyToken, accessToken);

    const app = await t
      .http()
      .post('/api/v1/provider-apps')
      .set(...bearer(operator))
      .send({ name: 'Meta app', kind: 'meta', appId: `9${Date.now()}`, appSecret, verifyToken });
    expect(app.status).toBe(201);
    expect(app.body.appSecretsLast4).toEqual([appSecret.slice(-4)]);

    const slug = `tolmezzo-${uniq()}`;
    const tenant = await t
      .http()
      .post('/api/v1/tenants')
      .set(...bearer(operator))
      .send({
        slug,
        displayName: 'Comune di Tolmezzo',
        istatCode: '030121',
        mode: 'two_way',
        privacyPolicyUrl: 'https://www.comune.tolmezzo.ud.it/privacy',
        officeEmail: 'protocollo@comune.tolmezzo.ud.it',
      });
    expect(tenant.status).toBe(201);
    expect(tenant.body).toMatchObject({ slug, timezone: 'Europe/Rome', status: 'onboarding', mode: 'two_way' });

    const number = await t
      .http()
      .post(`/api/v1/tenants/${slug}/numbers`)
      .set(...bearer(operator))
      .send({ providerAppId: app.body.id, phoneNumberId: `7${Date.now()}`, displayNumber: '0433 487 711', wabaId: '102290129340398', accessToken });
    expect(number.status).toBe(201);
    expect(number.body).toMatchObject({
      displayNumber: '+390433487711',
      mpsCap: 80,
      status: 'active',
      messagingTier: 'tier_250',
      accessTokenLast4: accessToken.slice(-4),
    });

    const editor = await t
      .http()
      .post(`/api/v1/tenants/${slug}/users`)
      .set(...bearer(operator))
      .send({ email: `Redazione-${uniq()}@Tolmezzo.it`, password: 'una-password-lunga', role: 'editor' });
    expect(editor.status).toBe(201);
    expect(editor.body.email).toBe(String(editor.body.email).toLowerCase());
    expect(editor.body).not.toHaveProperty('passwordHash');
    const login = await t.http().post('/api/v1/auth/login').send({ email: editor.body.email, password: 'una-password-lunga' });
    expect(login.status).toBe(200);
    expect(login.body.user.tenant).toBe(slug);

    // Secrets are stored encrypted, not in clear.
    const db = await ownerClient(t.config);
    try {
      const dump = JSON.stringify([
        (await db.query('SELECT * FROM provider_apps WHERE id = $1', [app.body.id])).rows,
        (await db.query('SELECT * FROM whatsapp_numbers WHERE id = $1', [number.body.id])).rows,
      ]);
      for (const s of [appSecret, verifyToken, accessToken]) expect(dump).not.toContain(s);
      expect(dump).toContain('v1:test1:');
      const audit = await db.query(`SELECT action FROM audit_events WHERE tenant_id = $1 ORDER BY occurred_at`, [tenant.body.id]);
      expect(audit.rows.map((r: { action: string }) => r.action)).toEqual(['tenant.created', 'number.added', 'user.created']);
    } finally {
      await db.end();
    }

    // Rotating the app secret keeps two accepted secrets until the old one is retired.
    const newSecret = `rotated-secret-${uniq()}${uniq()}`;
    secrets.push(newSecret);
    const rotated = await t
      .http()
      .patch(`/api/v1/provider-apps/${app.body.id}`)
      .set(...bearer(operator))
      .send({ appSecret: newSecret });
    expect(rotated.body.appSecretsLast4).toEqual([newSecret.slice(-4), appSecret.slice(-4)]);
    const retired = await t
      .http()
      .patch(`/api/v1/provider-apps/${app.body.id}`)
      .set(...bearer(operator))
      .send({ retirePreviousSecret: true });
    expect(retired.body.appSecretsLast4).toEqual([newSecret.slice(-4)]);

    // No response of any listing contains a secret.
    const bodies = await Promise.all([
      t
        .http()
        .get('/api/v1/provider-apps?limit=100')
        .set(...bearer(operator)),
      t
        .http()
        .get(`/api/v1/provider-apps/${app.body.id}`)
        .set(...bearer(operator)),
      t
        .http()
        .get(`/api/v1/tenants/${slug}/numbers`)
        .set(...bearer(operator)),
      t
        .http()
        .get(`/api/v1/tenants/${slug}/numbers/${number.body.id}`)
        .set(...bearer(operator)),
      t
        .http()
        .get(`/api/v1/tenants/${slug}/audit-events`)
        .set(...bearer(operator)),
    ]);
    const all = JSON.stringify(bodies.map((b) => b.body as unknown)) + JSON.stringify([app.body, number.body, rotated.body]);
    for (const s of secrets) expect(all).not.toContain(s);
  });

  it('never logs a secret, a password or an unmasked phone number', () => {
    const text = JSON.stringify(t.logs());
    for (const s of [...secrets, 'una-password-lunga']) expect(text).not.toContain(s);
    expect(text).not.toMatch(/390433487711/);
    expect(t.logs().some((l) => l.msg === 'request completed' && typeof l.requestId === 'string')).toBe(true);
  });

  it('refuses unknown fields, a tenantId in a body included', async () => {
    const res = await t
      .http()
      .post('/api/v1/tenants')
      .set(...bearer(operator))
      .send({ slug: `x-${uniq()}`, displayName: 'X', tenantId: amaro.tenant.id });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    expect(res.body.message).toContain('tenantId');
    expect(typeof res.body.requestId).toBe('string');
  });

  it.each(['limit=0', 'limit=101', 'limit=abc', 'offset=-1', 'offset=1.5'])('refuses bad pagination %s with 400', async (q) => {
    const res = await t
      .http()
      .get(`/api/v1/tenants?${q}`)
      .set(...bearer(operator));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });

  it('paginates with limit and offset and reports the total', async () => {
    const page = await t
      .http()
      .get('/api/v1/tenants?limit=1&offset=0')
      .set(...bearer(operator));
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(1);
    expect(page.body.total).toBeGreaterThanOrEqual(1);
    expect(page.body).toMatchObject({ limit: 1, offset: 0 });
  });

  it('explains an invalid phone number, a duplicate phone_number_id and a duplicate slug', async () => {
    const app = await createProviderApp(t);
    const base = { providerAppId: app.id, wabaId: '1', accessToken: 'x'.repeat(20) };
    const bad = await t
      .http()
      .post(`/api/v1/tenants/${amaro.tenant.slug}/numbers`)
      .set(...bearer(operator))
      .send({ ...base, phoneNumberId: '555', displayNumber: '12345' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('INVALID_PHONE_NUMBER');
    const dup = await t
      .http()
      .post(`/api/v1/tenants/${amaro.tenant.slug}/numbers`)
      .set(...bearer(operator))
      .send({ ...base, phoneNumberId: amaro.number.phoneNumberId, displayNumber: '+39 320 123 4567' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('NUMBER_PHONE_NUMBER_ID_TAKEN');
    const slug = await t
      .http()
      .post('/api/v1/tenants')
      .set(...bearer(operator))
      .send({ slug: amaro.tenant.slug, displayName: 'Copy' });
    expect(slug.status).toBe(409);
    const tz = await t
      .http()
      .post('/api/v1/tenants')
      .set(...bearer(operator))
      .send({ slug: `tz-${uniq()}`, displayName: 'TZ', timezone: 'Mars/Olympus' });
    expect(tz.status).toBe(400);
  });

  it('pauses a number only with a reason, resumes it, and disables it for good', async () => {
    const url = `/api/v1/tenants/${amaro.tenant.slug}/numbers/${amaro.number.id}`;
    expect(
      (
        await t
          .http()
          .patch(url)
          .set(...bearer(operator))
          .send({ status: 'paused' })
      ).status,
    ).toBe(400);
    const paused = await t
      .http()
      .patch(url)
      .set(...bearer(operator))
      .send({ status: 'paused', pausedReason: 'Token scaduto' });
    expect(paused.body).toMatchObject({ status: 'paused', pausedReason: 'Token scaduto' });
    const resumed = await t
      .http()
      .patch(url)
      .set(...bearer(operator))
      .send({ status: 'active' });
    expect(resumed.body).toMatchObject({ status: 'active', pausedReason: null });
    const disabled = await t
      .http()
      .post(`${url}/disable`)
      .set(...bearer(operator));
    expect(disabled.body.status).toBe('disabled');
    expect(
      (
        await t
          .http()
          .patch(url)
          .set(...bearer(operator))
          .send({ label: 'x' })
      ).status,
    ).toBe(400);
  });

  it("lets a comune's admin manage its editors but not create admins or comuni", async () => {
    const c = await createComune(t, 'verzegnis');
    const url = `/api/v1/tenants/${c.tenant.slug}/users`;
    const created = await t
      .http()
      .post(url)
      .set(...bearer(c.admin))
      .send({ email: `ed-${uniq()}@v.it`, password: 'a-long-enough-password', role: 'editor' });
    expect(created.status).toBe(201);
    expect(
      (
        await t
          .http()
          .post(url)
          .set(...bearer(c.admin))
          .send({ email: `ad-${uniq()}@v.it`, password: 'a-long-enough-password', role: 'tenant_admin' })
      ).status,
    ).toBe(403);
    expect(
      (
        await t
          .http()
          .post(url)
          .set(...bearer(c.editor))
          .send({ email: `e2-${uniq()}@v.it`, password: 'a-long-enough-password', role: 'editor' })
      ).status,
    ).toBe(403);
    expect(
      (
        await t
          .http()
          .post('/api/v1/tenants')
          .set(...bearer(c.admin))
          .send({ slug: `n-${uniq()}`, displayName: 'N' })
      ).status,
    ).toBe(403);
    expect(
      (
        await t
          .http()
          .patch(`/api/v1/tenants/${c.tenant.slug}`)
          .set(...bearer(c.admin))
          .send({ status: 'live' })
      ).status,
    ).toBe(403);
    const renamed = await t
      .http()
      .patch(`/api/v1/tenants/${c.tenant.slug}`)
      .set(...bearer(c.admin))
      .send({ officePhone: '0433 123456' });
    expect(renamed.status).toBe(200);
    expect(
      (
        await t
          .http()
          .patch(`${url}/${c.admin.id}`)
          .set(...bearer(c.admin))
          .send({ disabled: true })
      ).status,
    ).toBe(403);
    expect(
      (
        await t
          .http()
          .post('/api/v1/provider-apps')
          .set(...bearer(c.admin))
          .send({})
      ).status,
    ).toBe(403);
  });

  it('refuses null for what a comune, a user, a number or a provider app must have, and clears an optional contact with it', async () => {
    const c = await createComune(t, 'nulli');
    const tenantUrl = `/api/v1/tenants/${c.tenant.slug}`;
    const patch = (url: string, who: Session, body: Record<string, unknown>) =>
      t
        .http()
        .patch(url)
        .set(...bearer(who))
        .send(body);
    for (const field of ['displayName', 'mode', 'timezone', 'messageRetentionDays']) {
      expect((await patch(tenantUrl, c.admin, { [field]: null })).body).toMatchObject({ statusCode: 400, message: `${field} must not be null` });
    }
    expect((await patch(tenantUrl, operator, { status: null })).body).toMatchObject({ statusCode: 400, message: 'status must not be null' });
    expect((await patch(tenantUrl, c.admin, { officePhone: '0433 123456' })).body.officePhone).toBe('0433 123456');
    const cleared = await patch(tenantUrl, c.admin, { officePhone: null });
    expect(cleared.body).toMatchObject({ officePhone: null, displayName: c.tenant.displayName, mode: c.tenant.mode });
    expect((await patch(`${tenantUrl}/users/${c.editor.id}`, c.admin, { disabled: null })).body).toMatchObject({
      statusCode: 400,
      message: 'disabled must not be null',
    });
    expect((await patch(`${tenantUrl}/numbers/${c.number.id}`, operator, { mpsCap: null })).body).toMatchObject({
      statusCode: 400,
      message: 'mpsCap must not be null',
    });
    const app = await createProviderApp(t);
    expect((await patch(`/api/v1/provider-apps/${app.id}`, operator, { appSecret: null })).body).toMatchObject({
      statusCode: 400,
      message: 'appSecret must not be null',
    });
  });

  it('answers unknown routes, oversized and malformed bodies in the one error shape', async () => {
    const unknown = await t
      .http()
      .get('/api/v1/nope')
      .set(...bearer(operator));
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ statusCode: 404, code: 'ROUTE_NOT_FOUND' });
    const malformed = await t.http().post('/api/v1/auth/login').set('content-type', 'application/json').send('{"email":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.statusCode).toBe(400);
    const huge = await t
      .http()
      .post('/api/v1/auth/login')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ email: 'a'.repeat(4 * 1024 * 1024) }));
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('serves the OpenAPI document and a health report', async () => {
    const doc = await t.http().get('/docs-json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/v1/auth/login', '/api/v1/tenants/{tenant}/numbers']));
    expect(JSON.stringify(doc.body.components.schemas.NumberResponse)).not.toContain('accessToken"');
    expect((await t.http().get('/docs')).status).toBe(200);
    const health = await t.http().get('/health');
    expect(health.status).toBe(200);
    expect(health.body.details).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });
});
