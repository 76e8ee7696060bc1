import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The number of hash partitions of every high-volume tenant table. Fixed: see docs/adr/0002. */
const PARTITIONS = 16;

/**
 * Foundation schema: comuni, users, refresh tokens, provider apps, numbers and their webhook
 * routes, and the audit log as the first hash-partitioned table. Row-Level Security on every
 * tenant table, keyed to the per-transaction settings app.tenant_id / app.all_tenants.
 */
export class Foundation1795418135129 implements MigrationInterface {
  name = 'Foundation1795418135129';

  async up(q: QueryRunner): Promise<void> {
    // The application connects as (or SET ROLEs to) araldo_app, which owns nothing: RLS applies to it.
    await q.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'araldo_app') THEN
          CREATE ROLE araldo_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
        END IF;
      END $$`);
    await q.query(`GRANT USAGE ON SCHEMA public TO araldo_app`);
    await q.query(`GRANT SELECT ON TABLE migrations TO araldo_app`);

    // True when the current transaction acts for this tenant, or was opened explicitly as unscoped.
    await q.query(`
      CREATE FUNCTION app_tenant_visible(row_tenant uuid) RETURNS boolean
      LANGUAGE sql STABLE AS $$
        SELECT coalesce(current_setting('app.all_tenants', true), '') = 'on'
            OR row_tenant = nullif(current_setting('app.tenant_id', true), '')::uuid
      $$`);

    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY,
        slug text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 63),
        display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
        istat_code text CHECK (istat_code ~ '^[0-9]{6}$'),
        timezone text NOT NULL DEFAULT 'Europe/Rome',
        status text NOT NULL DEFAULT 'onboarding' CHECK (status IN ('onboarding', 'live', 'suspended')),
        mode text NOT NULL DEFAULT 'one_way' CHECK (mode IN ('one_way', 'two_way')),
        privacy_policy_url text,
        privacy_policy_version text,
        office_email text,
        office_phone text,
        office_address text,
        website_url text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX tenants_slug_key ON tenants (slug)`);

    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        tenant_id uuid REFERENCES tenants (id),
        email text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
        display_name text,
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('operator', 'tenant_admin', 'editor')),
        disabled boolean NOT NULL DEFAULT false,
        last_login_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_operator_has_no_tenant CHECK ((role = 'operator') = (tenant_id IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX users_email_key ON users (email)`);
    await q.query(`CREATE INDEX users_tenant_idx ON users (tenant_id, role)`);

    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        family_id uuid NOT NULL,
        token_hash text NOT NULL,
        expires_at timestamptz NOT NULL,
        rotated_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash)`);
    await q.query(`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`);
    await q.query(`CREATE INDEX refresh_tokens_expiry_idx ON refresh_tokens (expires_at)`);

    await q.query(`
      CREATE TABLE provider_apps (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('meta', 'simulator')),
        app_id text NOT NULL,
        app_secret_enc text NOT NULL,
        app_secret_last4 text NOT NULL,
        previous_app_secret_enc text,
        previous_app_secret_last4 text,
        verify_token_enc text NOT NULL,
        verify_token_last4 text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX provider_apps_app_id_key ON provider_apps (app_id)`);

    await q.query(`
      CREATE TABLE whatsapp_numbers (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        provider_app_id uuid NOT NULL REFERENCES provider_apps (id),
        label text,
        phone_number_id text NOT NULL CHECK (phone_number_id ~ '^[0-9]{1,32}$'),
        display_number text NOT NULL CHECK (display_number ~ '^\\+[1-9][0-9]{6,14}$'),
        waba_id text NOT NULL,
        business_portfolio_id text,
        messaging_tier text NOT NULL DEFAULT 'tier_250'
          CHECK (messaging_tier IN ('tier_250', 'tier_2k', 'tier_10k', 'tier_100k', 'unlimited')),
        access_token_enc text NOT NULL,
        access_token_last4 text NOT NULL,
        mps_cap integer NOT NULL DEFAULT 80 CHECK (mps_cap BETWEEN 1 AND 1000),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'disabled')),
        paused_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT whatsapp_numbers_paused_has_reason CHECK ((status = 'paused') = (paused_reason IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX whatsapp_numbers_phone_number_id_key ON whatsapp_numbers (tenant_id, phone_number_id)`);
    await q.query(`CREATE UNIQUE INDEX whatsapp_numbers_display_number_key ON whatsapp_numbers (tenant_id, display_number)`);

    await q.query(`
      CREATE TABLE phone_number_routes (
        phone_number_id text PRIMARY KEY,
        tenant_id uuid NOT NULL,
        number_id uuid NOT NULL,
        FOREIGN KEY (tenant_id, number_id) REFERENCES whatsapp_numbers (tenant_id, id) ON DELETE CASCADE
      )`);

    // The partitioning pattern for high-volume tenant tables: HASH(tenant_id) with a fixed count,
    // tenant_id leading the primary key, so onboarding a comune needs no DDL.
    await q.query(`
      CREATE TABLE audit_events (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        actor_user_id uuid,
        actor_role text,
        action text NOT NULL,
        target_type text NOT NULL,
        target_id text,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        PRIMARY KEY (tenant_id, id)
      ) PARTITION BY HASH (tenant_id)`);
    for (let i = 0; i < PARTITIONS; i++) {
      await q.query(`CREATE TABLE audit_events_p${i} PARTITION OF audit_events FOR VALUES WITH (MODULUS ${PARTITIONS}, REMAINDER ${i})`);
    }
    await q.query(`CREATE INDEX audit_events_time_idx ON audit_events (tenant_id, occurred_at DESC)`);

    await q.query(`GRANT SELECT, INSERT, UPDATE ON tenants, users, provider_apps, whatsapp_numbers TO araldo_app`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON refresh_tokens, phone_number_routes TO araldo_app`);
    await q.query(`GRANT SELECT, INSERT ON audit_events TO araldo_app`);

    await q.query(`ALTER TABLE tenants ENABLE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY tenant_isolation ON tenants USING (app_tenant_visible(id)) WITH CHECK (app_tenant_visible(id))`);
    for (const table of ['users', 'whatsapp_numbers', 'phone_number_routes', 'audit_events']) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`CREATE POLICY tenant_isolation ON ${table} USING (app_tenant_visible(tenant_id)) WITH CHECK (app_tenant_visible(tenant_id))`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events, phone_number_routes, whatsapp_numbers, provider_apps, refresh_tokens, users, tenants`);
    await q.query(`DROP FUNCTION app_tenant_visible(uuid)`);
    await q.query(`REVOKE SELECT ON TABLE migrations FROM araldo_app`);
    await q.query(`REVOKE USAGE ON SCHEMA public FROM araldo_app`);
  }
}
