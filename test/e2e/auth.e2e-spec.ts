import { createHmac } from 'node:crypto';
import { createComune, createOperator, bearer, uniq, type Comune, type Session } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

function b64url(value: object | string): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

function sign(header: object, payload: object, secret: string, alg: 'sha256' | 'sha512' = 'sha256'): string {
  const data = `${b64url(header)}.${b64url(payload)}`;
  return `${data}.${createHmac(alg, secret).update(data).digest('base64url')}`;
}

describe('auth', () => {
  let t: TestApp;
  let amaro: Comune;
  let operator: Session;

  beforeAll(async () => {
    t = await createTestApp();
    amaro = await createComune(t, 'amaro');
    operator = await createOperator(t);
  });
  afterAll(() => t.close());

  it('signs in and returns a short-lived access token and a refresh token', async () => {
    const res = await t.http().post('/api/v1/auth/login').send({ email: amaro.editor.email.toUpperCase(), password: amaro.editor.password });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { role: 'editor', tenant: amaro.tenant.slug } });
    const [, payload] = (res.body.accessToken as string).split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, number | string>;
    expect(claims.iss).toBe('araldo');
    expect(claims.aud).toBe('araldo-api');
    expect(Number(claims.exp) - Number(claims.iat)).toBe(900);
    const me = await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(res.body));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: amaro.editor.email, role: 'editor', tenant: amaro.tenant.slug });
  });

  it('answers a wrong password and an unknown email the same way', async () => {
    const wrong = await t.http().post('/api/v1/auth/login').send({ email: amaro.admin.email, password: 'not-the-password' });
    const unknown = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: `nobody-${uniq()}@x.it`, password: 'whatever-password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.code).toBe('AUTH_INVALID_CREDENTIALS');
    expect(unknown.body.code).toBe(wrong.body.code);
    expect(unknown.body.message).toBe(wrong.body.message);
  });

  it('rotates refresh tokens, refuses a spent one and then revokes the whole family', async () => {
    const first = await t.http().post('/api/v1/auth/refresh').send({ refreshToken: operator.refreshToken });
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(operator.refreshToken);

    const replay = await t.http().post('/api/v1/auth/refresh').send({ refreshToken: operator.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('AUTH_INVALID_REFRESH_TOKEN');

    // The replay looked like theft: the token issued by the legitimate rotation is revoked too.
    const afterTheft = await t.http().post('/api/v1/auth/refresh').send({ refreshToken: first.body.refreshToken });
    expect(afterTheft.status).toBe(401);
  });

  it('revokes a session on logout', async () => {
    const s = await t.http().post('/api/v1/auth/login').send({ email: amaro.admin.email, password: amaro.admin.password });
    expect((await t.http().post('/api/v1/auth/logout').send({ refreshToken: s.body.refreshToken })).status).toBe(204);
    expect((await t.http().post('/api/v1/auth/refresh').send({ refreshToken: s.body.refreshToken })).status).toBe(401);
  });

  it('refuses a refresh token that was never issued', async () => {
    const res = await t
      .http()
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: 'x'.repeat(43) });
    expect(res.status).toBe(401);
  });

  describe('refuses bad access tokens with 401', () => {
    const secret = process.env.JWT_SECRET!;
    const now = Math.floor(Date.now() / 1000);
    const good = (): Record<string, unknown> => ({
      sub: amaro.editor.id,
      role: 'editor',
      tid: amaro.tenant.id,
      iat: now,
      exp: now + 600,
      iss: 'araldo',
      aud: 'araldo-api',
    });
    const cases: [string, () => string][] = [
      ['no token', () => ''],
      ['garbage', () => 'not.a.jwt'],
      [
        'tampered payload',
        () => {
          const [h, , s] = sign({ alg: 'HS256', typ: 'JWT' }, good(), secret).split('.');
          return `${h}.${b64url({ ...good(), role: 'operator' })}.${s}`;
        },
      ],
      ['wrong secret', () => sign({ alg: 'HS256', typ: 'JWT' }, good(), 'another-secret-another-secret-another')],
      ['expired', () => sign({ alg: 'HS256', typ: 'JWT' }, { ...good(), iat: now - 3600, exp: now - 60 }, secret)],
      ['alg none', () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(good())}.`],
      ['other algorithm (HS512)', () => sign({ alg: 'HS512', typ: 'JWT' }, good(), secret, 'sha512')],
      ['wrong audience', () => sign({ alg: 'HS256', typ: 'JWT' }, { ...good(), aud: 'someone-else' }, secret)],
      ['wrong issuer', () => sign({ alg: 'HS256', typ: 'JWT' }, { ...good(), iss: 'evil' }, secret)],
      ['unknown subject', () => sign({ alg: 'HS256', typ: 'JWT' }, { ...good(), sub: '00000000-0000-4000-8000-000000000000' }, secret)],
    ];
    it.each(cases)('%s', async (_name, make) => {
      const token = make();
      const req = t.http().get('/api/v1/auth/me');
      const res = token ? await req.set('Authorization', `Bearer ${token}`) : await req;
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
    });

    it('accepts a token built the same way with the right secret (the cases above fail for their reason)', async () => {
      const res = await t
        .http()
        .get('/api/v1/auth/me')
        .set('Authorization', `Bearer ${sign({ alg: 'HS256', typ: 'JWT' }, good(), secret)}`);
      expect(res.status).toBe(200);
    });
  });

  it('refuses a disabled user at once, even with a valid token, and revokes their sessions', async () => {
    const c = await createComune(t, 'disabled');
    const res = await t
      .http()
      .patch(`/api/v1/tenants/${c.tenant.slug}/users/${c.editor.id}`)
      .set(...bearer(c.admin))
      .send({ disabled: true });
    expect(res.status).toBe(200);
    expect(
      (
        await t
          .http()
          .get('/api/v1/auth/me')
          .set(...bearer(c.editor))
      ).status,
    ).toBe(401);
    expect((await t.http().post('/api/v1/auth/refresh').send({ refreshToken: c.editor.refreshToken })).status).toBe(401);
    const again = await t.http().post('/api/v1/auth/login').send({ email: c.editor.email, password: c.editor.password });
    expect(again.status).toBe(401);
  });

  it('limits failed attempts per account with 429 and Retry-After, even with the right password', async () => {
    const c = await createComune(t, 'throttle');
    for (let i = 0; i < 5; i++) {
      expect((await t.http().post('/api/v1/auth/login').send({ email: c.editor.email, password: 'wrong-password' })).status).toBe(401);
    }
    const blocked = await t.http().post('/api/v1/auth/login').send({ email: c.editor.email, password: c.editor.password });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.body.code).toBe('AUTH_TOO_MANY_ATTEMPTS');
    // Another account from the same address is not affected.
    expect((await t.http().post('/api/v1/auth/login').send({ email: c.admin.email, password: c.admin.password })).status).toBe(200);
  });
});

describe('auth rate limit per IP address', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ LOGIN_MAX_ATTEMPTS_PER_IP: '3', REDIS_KEY_PREFIX: `{araldo-test-ip-${uniq()}}` });
  });
  afterAll(() => t.close());

  it('answers 429 once an address has used its attempts, whatever the account', async () => {
    for (let i = 0; i < 3; i++) {
      expect(
        (
          await t
            .http()
            .post('/api/v1/auth/login')
            .send({ email: `a${i}-${uniq()}@x.it`, password: 'p' })
        ).status,
      ).toBe(401);
    }
    const res = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: `z-${uniq()}@x.it`, password: 'p' });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBeDefined();
  });
});
