import type pg from 'pg';
import { appRoleClient, ownerClient } from '../support/database.js';
import { createComune, type Comune } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** Row-Level Security is the backstop under the repositories' own scoping. */
describe('row-level security as the application role', () => {
  let t: TestApp;
  let amaro: Comune;
  let cavazzo: Comune;
  let app: pg.Client;

  const TENANT_TABLES = [
    'tenants',
    'users',
    'whatsapp_numbers',
    'phone_number_routes',
    'audit_events',
    'contacts',
    'inbound_messages',
    'outbound_messages',
    'media_files',
    'pending_receipts',
    'whatsapp_templates',
    'privacy_policy_versions',
  ];

  beforeAll(async () => {
    t = await createTestApp();
    amaro = await createComune(t, 'amaro');
    cavazzo = await createComune(t, 'cavazzo');
    app = await appRoleClient(t.config);
    // One row of each channel table for Amaro, written as the owner (RLS does not apply to it).
    const owner = await ownerClient(t.config);
    try {
      const [tid, nid] = [amaro.tenant.id, amaro.number.id];
      await owner.query(`INSERT INTO contacts (tenant_id, id, number_id, wa_id) VALUES ($1, gen_random_uuid(), $2, '393331234567')`, [tid, nid]);
      const contact = (await owner.query(`SELECT id FROM contacts WHERE tenant_id = $1`, [tid])).rows[0] as { id: string };
      await owner.query(
        `INSERT INTO inbound_messages (tenant_id, id, number_id, contact_id, wamid, type, content, sent_at) VALUES ($1, gen_random_uuid(), $2, $3, 'wamid.rls', 'text', '{}', now())`,
        [tid, nid, contact.id],
      );
      await owner.query(
        `INSERT INTO outbound_messages (tenant_id, id, number_id, recipient, recipient_kind, kind) VALUES ($1, gen_random_uuid(), $2, '+393331234567', 'phone', 'test')`,
        [tid, nid],
      );
      await owner.query(`INSERT INTO media_files (tenant_id, id, number_id, provider_media_id) VALUES ($1, gen_random_uuid(), $2, 'm1')`, [tid, nid]);
      await owner.query(
        `INSERT INTO pending_receipts (tenant_id, provider_message_id, status, occurred_at, receipt) VALUES ($1, 'wamid.p', 'sent', now(), '{}')`,
        [tid],
      );
      await owner.query(
        `INSERT INTO whatsapp_templates (tenant_id, id, waba_id, name, language, category, status) VALUES ($1, gen_random_uuid(), '1', 'x', 'it', 'utility', 'APPROVED')`,
        [tid],
      );
      await owner.query(
        `INSERT INTO privacy_policy_versions (tenant_id, id, version, url, published_on) VALUES ($1, gen_random_uuid(), '2027-01', 'https://x.it', current_date)`,
        [tid],
      );
    } finally {
      await owner.end();
    }
  });
  afterAll(async () => {
    await app.end();
    await t.close();
  });

  it('runs as a role that owns nothing and cannot bypass RLS', async () => {
    const { rows } = await app.query(`SELECT current_user AS who, r.rolbypassrls, r.rolsuper FROM pg_roles r WHERE r.rolname = current_user`);
    expect(rows[0]).toEqual({ who: 'araldo_app', rolbypassrls: false, rolsuper: false });
    const owned = await app.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user`);
    expect(owned.rows[0].n).toBe(0);
  });

  it.each(TENANT_TABLES)('sees zero rows of %s without the tenant setting', async (table) => {
    const owner = await ownerClient(t.config);
    try {
      expect((await owner.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBeGreaterThan(0);
    } finally {
      await owner.end();
    }
    expect((await app.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(0);
  });

  it('sees only the one comune named by app.tenant_id', async () => {
    await app.query('BEGIN');
    try {
      await app.query(`SELECT set_config('app.tenant_id', $1, true)`, [amaro.tenant.id]);
      const numbers = await app.query('SELECT tenant_id FROM whatsapp_numbers');
      expect(numbers.rows.length).toBeGreaterThan(0);
      expect(new Set(numbers.rows.map((r: { tenant_id: string }) => r.tenant_id))).toEqual(new Set([amaro.tenant.id]));
      const tenants = await app.query('SELECT id FROM tenants');
      expect(tenants.rows).toEqual([{ id: amaro.tenant.id }]);
      const other = await app.query('SELECT * FROM users WHERE tenant_id = $1', [cavazzo.tenant.id]);
      expect(other.rows).toHaveLength(0);
    } finally {
      await app.query('ROLLBACK');
    }
  });

  it('sees every comune with app.all_tenants (the sweeps across comuni)', async () => {
    await app.query('BEGIN');
    try {
      await app.query(`SELECT set_config('app.all_tenants', 'on', true)`);
      const tenants = await app.query('SELECT DISTINCT tenant_id FROM whatsapp_numbers WHERE tenant_id = ANY($1::uuid[])', [
        [amaro.tenant.id, cavazzo.tenant.id],
      ]);
      expect(new Set(tenants.rows.map((r: { tenant_id: string }) => r.tenant_id))).toEqual(new Set([amaro.tenant.id, cavazzo.tenant.id]));
    } finally {
      await app.query('ROLLBACK');
    }
  });

  it('reads the session tenant once per query, not once per row, in every policy', async () => {
    const owner = await ownerClient(t.config);
    try {
      const { rows } = await owner.query(
        `SELECT tablename, qual, with_check FROM pg_policies WHERE schemaname = 'public' AND policyname = 'tenant_isolation'`,
      );
      expect(rows.length).toBeGreaterThanOrEqual(TENANT_TABLES.length);
      // Each test is a pair of InitPlans (scalar sub-selects); the per-row function form is gone.
      const perRow = rows.filter((r: { qual: string; with_check: string }) => !/\(\s*SELECT/.test(r.qual) || !/\(\s*SELECT/.test(r.with_check));
      expect(perRow).toEqual([]);
    } finally {
      await owner.end();
    }
    await app.query('BEGIN');
    try {
      await app.query(`SELECT set_config('app.tenant_id', $1, true)`, [amaro.tenant.id]);
      const { rows } = await app.query(`EXPLAIN (COSTS OFF) SELECT count(*) FROM audit_events`);
      const plan = rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/InitPlan/);
      expect(plan).not.toMatch(/current_setting/);
    } finally {
      await app.query('ROLLBACK');
    }
  });

  it('forgets the setting when the transaction ends', async () => {
    await app.query('BEGIN');
    await app.query(`SELECT set_config('app.tenant_id', $1, true)`, [amaro.tenant.id]);
    await app.query('COMMIT');
    expect((await app.query('SELECT count(*)::int AS n FROM whatsapp_numbers')).rows[0].n).toBe(0);
  });

  it("refuses to write a row for another comune than the transaction's", async () => {
    await app.query('BEGIN');
    try {
      await app.query(`SELECT set_config('app.tenant_id', $1, true)`, [amaro.tenant.id]);
      await expect(
        app.query(`INSERT INTO audit_events (tenant_id, id, action, target_type) VALUES ($1, gen_random_uuid(), 'x', 'y')`, [cavazzo.tenant.id]),
      ).rejects.toThrow(/row-level security/);
    } finally {
      await app.query('ROLLBACK');
    }
  });

  it('keeps the history of privacy policy versions: the application cannot delete one', async () => {
    await app.query('BEGIN');
    try {
      await app.query(`SELECT set_config('app.tenant_id', $1, true)`, [amaro.tenant.id]);
      await expect(app.query('DELETE FROM privacy_policy_versions WHERE tenant_id = $1', [amaro.tenant.id])).rejects.toThrow(/permission denied/);
    } finally {
      await app.query('ROLLBACK');
    }
  });

  it('cannot read the partitions of a partitioned table directly', async () => {
    await expect(app.query('SELECT * FROM audit_events_p0')).rejects.toThrow(/permission denied/);
  });
});
