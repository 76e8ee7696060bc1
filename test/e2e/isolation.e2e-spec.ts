import { createComune, createOperator, bearer, type Comune, type Session } from '../support/factories.js';
import { ownerClient } from '../support/database.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';
interface RouteCase {
  name: string;
  method: Method;
  path: (target: Comune, via: Comune) => string;
  body?: (target: Comune) => object;
  /** Roles of the target comune allowed on this route, for the "own comune works" check. */
  ownRole: 'admin' | 'editor' | 'operator-only';
}

/**
 * Every tenant-scoped route. An Amaro user aimed at Cavazzo's records gets 404, whether through
 * Cavazzo's slug or by putting Cavazzo's ids under Amaro's slug, and nothing changes.
 */
const ROUTES: RouteCase[] = [
  { name: 'get comune', method: 'get', path: (c) => `/api/v1/tenants/${c.tenant.slug}`, ownRole: 'editor' },
  {
    name: 'update comune',
    method: 'patch',
    path: (c) => `/api/v1/tenants/${c.tenant.slug}`,
    body: () => ({ displayName: 'Hacked' }),
    ownRole: 'admin',
  },
  { name: 'list numbers', method: 'get', path: (c) => `/api/v1/tenants/${c.tenant.slug}/numbers`, ownRole: 'editor' },
  { name: 'get number', method: 'get', path: (c, via) => `/api/v1/tenants/${via.tenant.slug}/numbers/${c.number.id}`, ownRole: 'editor' },
  { name: 'add number', method: 'post', path: (c) => `/api/v1/tenants/${c.tenant.slug}/numbers`, body: () => ({}), ownRole: 'operator-only' },
  {
    name: 'update number',
    method: 'patch',
    path: (c, via) => `/api/v1/tenants/${via.tenant.slug}/numbers/${c.number.id}`,
    body: () => ({ label: 'Hacked' }),
    ownRole: 'operator-only',
  },
  {
    name: 'disable number',
    method: 'post',
    path: (c, via) => `/api/v1/tenants/${via.tenant.slug}/numbers/${c.number.id}/disable`,
    ownRole: 'operator-only',
  },
  { name: 'list users', method: 'get', path: (c) => `/api/v1/tenants/${c.tenant.slug}/users`, ownRole: 'admin' },
  { name: 'get user', method: 'get', path: (c, via) => `/api/v1/tenants/${via.tenant.slug}/users/${c.editor.id}`, ownRole: 'admin' },
  {
    name: 'create user',
    method: 'post',
    path: (c) => `/api/v1/tenants/${c.tenant.slug}/users`,
    body: () => ({ email: 'intruder@example.it', password: 'a-long-enough-password', role: 'editor' }),
    ownRole: 'admin',
  },
  {
    name: 'update user',
    method: 'patch',
    path: (c, via) => `/api/v1/tenants/${via.tenant.slug}/users/${c.editor.id}`,
    body: () => ({ disabled: true }),
    ownRole: 'admin',
  },
  { name: 'audit events', method: 'get', path: (c) => `/api/v1/tenants/${c.tenant.slug}/audit-events`, ownRole: 'admin' },
  // The channel and subscriptions routes; record ids of another comune under one's own slug are
  // covered in whatsapp-channel, webhook-processing and subscriptions-api.
  { name: 'list sent messages', method: 'get', path: (c) => `/api/v1/tenants/${c.tenant.slug}/messages`, ownRole: 'editor' },
  {
    name: 'send a message',
    method: 'post',
    path: (c) => `/api/v1/tenants/${c.tenant.slug}/messages`,
    body: (c) => ({ numberId: c.number.id, to: '+393331234567', text: 'x' }),
    ownRole: 'editor',
  },
  { name: 'list inbound messages', method: 'get', path: (c) => `/api/v1/tenants/${c.tenant.slug}/inbound-messages`, ownRole: 'editor' },
  { name: 'list contacts', method: 'get', path: (c) => `/api/v1/tenants/${c.tenant.slug}/contacts`, ownRole: 'editor' },
  { name: 'list WhatsApp templates', method: 'get', path: (c) => `/api/v1/tenants/${c.tenant.slug}/whatsapp-templates`, ownRole: 'editor' },
  { name: 'sync WhatsApp templates', method: 'post', path: (c) => `/api/v1/tenants/${c.tenant.slug}/whatsapp-templates/sync`, ownRole: 'admin' },
  { name: 'subscription settings', method: 'get', path: (c) => `/api/v1/tenants/${c.tenant.slug}/subscription-settings`, ownRole: 'editor' },
  {
    name: 'save subscription settings',
    method: 'put',
    path: (c) => `/api/v1/tenants/${c.tenant.slug}/subscription-settings`,
    body: () => ({ launchThreshold: 1 }),
    ownRole: 'admin',
  },
  {
    name: 'apply a preset',
    method: 'post',
    path: (c) => `/api/v1/tenants/${c.tenant.slug}/subscription-settings/preset`,
    body: () => ({ preset: 'amaro' }),
    ownRole: 'admin',
  },
  { name: 'list lists', method: 'get', path: (c) => `/api/v1/tenants/${c.tenant.slug}/lists`, ownRole: 'editor' },
  {
    name: 'create a list',
    method: 'post',
    path: (c) => `/api/v1/tenants/${c.tenant.slug}/lists`,
    body: () => ({ slug: 'intrusa', hashtag: '#INTRUSA', name: 'Intrusa' }),
    ownRole: 'admin',
  },
  { name: 'list keyword rules', method: 'get', path: (c) => `/api/v1/tenants/${c.tenant.slug}/keyword-rules`, ownRole: 'editor' },
  {
    name: 'create a keyword rule',
    method: 'post',
    path: (c) => `/api/v1/tenants/${c.tenant.slug}/keyword-rules`,
    body: () => ({ action: 'help', phrases: ['INTRUSO'] }),
    ownRole: 'admin',
  },
  { name: 'search subscribers', method: 'get', path: (c) => `/api/v1/tenants/${c.tenant.slug}/subscribers`, ownRole: 'editor' },
  { name: 'count subscribers', method: 'get', path: (c) => `/api/v1/tenants/${c.tenant.slug}/subscribers/counts`, ownRole: 'editor' },
  // Privacy policy versions by id (under one's own slug) are covered in privacy-policies.
  { name: 'list privacy policy versions', method: 'get', path: (c) => `/api/v1/tenants/${c.tenant.slug}/privacy-policies`, ownRole: 'editor' },
  {
    name: 'publish a privacy policy version',
    method: 'post',
    path: (c) => `/api/v1/tenants/${c.tenant.slug}/privacy-policies`,
    body: () => ({ version: 'intrusa', url: 'https://intrusa.example.it/privacy' }),
    ownRole: 'admin',
  },
];

describe('tenant isolation matrix', () => {
  let t: TestApp;
  let amaro: Comune;
  let cavazzo: Comune;
  let operator: Session;

  beforeAll(async () => {
    t = await createTestApp();
    amaro = await createComune(t, 'amaro');
    cavazzo = await createComune(t, 'cavazzo');
    operator = await createOperator(t);
  });
  afterAll(() => t.close());

  async function snapshotCavazzo(): Promise<unknown> {
    const db = await ownerClient(t.config);
    try {
      const id = cavazzo.tenant.id;
      return {
        tenant: (await db.query('SELECT * FROM tenants WHERE id = $1', [id])).rows,
        policies: (await db.query('SELECT * FROM privacy_policy_versions WHERE tenant_id = $1 ORDER BY id', [id])).rows,
        users: (await db.query('SELECT id, email, role, disabled, display_name, password_hash FROM users WHERE tenant_id = $1 ORDER BY id', [id]))
          .rows,
        numbers: (await db.query('SELECT * FROM whatsapp_numbers WHERE tenant_id = $1 ORDER BY id', [id])).rows,
        outbound: (await db.query('SELECT * FROM outbound_messages WHERE tenant_id = $1 ORDER BY id', [id])).rows,
        settings: (await db.query('SELECT * FROM subscription_settings WHERE tenant_id = $1', [id])).rows,
        lists: (await db.query('SELECT * FROM subscriber_lists WHERE tenant_id = $1 ORDER BY id', [id])).rows,
        rules: (await db.query('SELECT * FROM keyword_rules WHERE tenant_id = $1 ORDER BY id', [id])).rows,
        templates: (await db.query('SELECT * FROM whatsapp_templates WHERE tenant_id = $1 ORDER BY id', [id])).rows,
      };
    } finally {
      await db.end();
    }
  }

  const send = (session: Session, route: RouteCase, target: Comune, via: Comune) => {
    const req = t
      .http()
      [route.method](route.path(target, via))
      .set(...bearer(session));
    return route.body ? req.send(route.body(target)) : req;
  };

  for (const route of ROUTES) {
    describe(route.name, () => {
      it.each([
        ['editor', 'through the other slug', false],
        ['admin', 'through the other slug', false],
        ['editor', "with the other comune's ids under its own slug", true],
        ['admin', "with the other comune's ids under its own slug", true],
      ] as const)('an Amaro %s is refused %s and changes nothing', async (role, _how, viaOwnSlug) => {
        const path = route.path(cavazzo, viaOwnSlug ? amaro : cavazzo);
        if (viaOwnSlug && !path.includes(cavazzo.number.id) && !path.includes(cavazzo.editor.id)) return; // route has no record id
        const before = await snapshotCavazzo();
        const res = await send(amaro[role], route, cavazzo, viaOwnSlug ? amaro : cavazzo);
        const allowedInOwnComune = route.ownRole === 'editor' || (route.ownRole === 'admin' && role === 'admin');
        if (viaOwnSlug && !allowedInOwnComune) {
          // Not allowed in its own comune whatever the id: 403, the same as for an id that exists nowhere.
          expect(res.status).toBe(403);
          const unknownId = await send(
            amaro[role],
            { ...route, path: () => path.replace(/[0-9a-f-]{36}/, '00000000-0000-4000-8000-000000000000') },
            cavazzo,
            amaro,
          );
          expect(unknownId.status).toBe(403);
          expect(unknownId.body.message).toBe(res.body.message);
        } else {
          expect(res.status).toBe(404);
          expect(res.body.code).toMatch(/NOT_FOUND$/);
        }
        expect(JSON.stringify(res.body)).not.toContain(cavazzo.tenant.id);
        expect(await snapshotCavazzo()).toEqual(before);
      });

      it('an unknown slug answers the same 404', async () => {
        const fake = { ...cavazzo, tenant: { ...cavazzo.tenant, slug: 'no-such-comune' } };
        const res = await send(amaro.admin, route, fake, fake);
        expect(res.status).toBe(404);
      });

      if (route.method === 'get') {
        it('an operator reads it', async () => {
          const res = await send(operator, route, cavazzo, cavazzo);
          expect(res.status).toBe(200);
        });
        if (route.ownRole !== 'operator-only') {
          it("the comune's own user reads it", async () => {
            const res = await send(route.ownRole === 'admin' ? cavazzo.admin : cavazzo.editor, route, cavazzo, cavazzo);
            expect(res.status).toBe(200);
          });
        }
      }
    });
  }

  it('an operator changes another comune (the writes above were refused, not broken)', async () => {
    const res = await t
      .http()
      .patch(`/api/v1/tenants/${cavazzo.tenant.slug}/numbers/${cavazzo.number.id}`)
      .set(...bearer(operator))
      .send({ label: 'Avvisi' });
    expect(res.status).toBe(200);
    expect(res.body.label).toBe('Avvisi');
    const user = await t
      .http()
      .post(`/api/v1/tenants/${cavazzo.tenant.slug}/users`)
      .set(...bearer(operator))
      .send({ email: `new-editor-${Date.now()}@cavazzo.test`, password: 'a-long-enough-password', role: 'editor' });
    expect(user.status).toBe(201);
  });

  it('lists only the comuni an operator asks for; editors cannot list comuni', async () => {
    const op = await t
      .http()
      .get('/api/v1/tenants?limit=100')
      .set(...bearer(operator));
    expect(op.status).toBe(200);
    const slugs = (op.body.items as { slug: string }[]).map((i) => i.slug);
    expect(slugs).toEqual(expect.arrayContaining([amaro.tenant.slug, cavazzo.tenant.slug]));
    expect(
      (
        await t
          .http()
          .get('/api/v1/tenants')
          .set(...bearer(amaro.editor))
      ).status,
    ).toBe(403);
  });
});
