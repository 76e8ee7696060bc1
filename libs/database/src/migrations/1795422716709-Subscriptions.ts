import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Same fixed count as the other partitioned tables (docs/adr/0002). */
const PARTITIONS = 16;

/**
 * Citizens subscribing by keyword: each comune's settings (required fields, frazioni, replies,
 * policy), its lists and keyword rules, subscribers and their subscriptions, and the append-only
 * consent ledger.
 */
export class Subscriptions1795422716709 implements MigrationInterface {
  name = 'Subscriptions1795422716709';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE subscription_settings (
        tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
        required_fields text[] NOT NULL DEFAULT '{}'
          CHECK (required_fields <@ ARRAY['first_name', 'last_name', 'frazione']::text[]),
        frazioni text[] NOT NULL DEFAULT '{}',
        policy_required boolean NOT NULL DEFAULT false,
        contact_card boolean NOT NULL DEFAULT true,
        welcome_text text NOT NULL,
        goodbye_text text NOT NULL,
        help_text text NOT NULL,
        auto_reply_text text,
        ask_first_name_text text,
        ask_frazione_text text,
        confirm_template_name text,
        confirm_template_language text NOT NULL DEFAULT 'it',
        launch_threshold integer CHECK (launch_threshold > 0),
        launch_override boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE subscriber_lists (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        slug text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 63),
        hashtag text NOT NULL CHECK (hashtag ~ '^#\\S{1,60}$'),
        hashtag_key text NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
        description text,
        is_default boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(`CREATE UNIQUE INDEX subscriber_lists_slug_key ON subscriber_lists (tenant_id, slug)`);
    // The hashtag as citizens type it, folded (case, accents, apostrophes): two lists may not collide.
    await q.query(`CREATE UNIQUE INDEX subscriber_lists_hashtag_key ON subscriber_lists (tenant_id, hashtag_key)`);

    await q.query(`
      CREATE TABLE keyword_rules (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        action text NOT NULL CHECK (action IN ('subscribe', 'unsubscribe', 'accept_policy', 'help', 'status')),
        phrases text[] NOT NULL CHECK (cardinality(phrases) BETWEEN 1 AND 20),
        list_ids uuid[] NOT NULL DEFAULT '{}',
        reply_text text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);

    // The dialogue state lives on the subscriber: which field the platform asked for last.
    await q.query(`
      CREATE TABLE subscribers (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        phone_e164 text CHECK (phone_e164 ~ '^\\+[1-9][0-9]{6,14}$'),
        wa_id text,
        user_id text,
        first_name text CHECK (length(first_name) <= 100),
        last_name text CHECK (length(last_name) <= 100),
        frazione text,
        tags text[] NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'unsubscribed', 'blocked')),
        source text NOT NULL CHECK (source IN ('keyword', 'web_form', 'import', 'editor')),
        awaiting_field text CHECK (awaiting_field IN ('first_name', 'last_name', 'frazione', 'policy')),
        pending_list_ids uuid[] NOT NULL DEFAULT '{}',
        policy_version_accepted text,
        last_inbound_at timestamptz,
        activated_at timestamptz,
        unsubscribed_at timestamptz,
        erased_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT subscribers_identity CHECK (erased_at IS NOT NULL OR phone_e164 IS NOT NULL OR user_id IS NOT NULL)
      ) PARTITION BY HASH (tenant_id)`);
    await q.query(`CREATE UNIQUE INDEX subscribers_phone_key ON subscribers (tenant_id, phone_e164)`);
    await q.query(`CREATE UNIQUE INDEX subscribers_user_id_key ON subscribers (tenant_id, user_id)`);
    await q.query(`CREATE INDEX subscribers_status_idx ON subscribers (tenant_id, status)`);

    await q.query(`
      CREATE TABLE subscriptions (
        tenant_id uuid NOT NULL,
        subscriber_id uuid NOT NULL,
        list_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('active', 'unsubscribed')),
        subscribed_at timestamptz NOT NULL DEFAULT now(),
        unsubscribed_at timestamptz,
        PRIMARY KEY (tenant_id, subscriber_id, list_id)
      ) PARTITION BY HASH (tenant_id)`);
    await q.query(`CREATE INDEX subscriptions_list_idx ON subscriptions (tenant_id, list_id, status)`);

    // Append-only: the application role may insert and read, never update or delete.
    await q.query(`
      CREATE TABLE consent_events (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        subscriber_id uuid NOT NULL,
        type text NOT NULL CHECK (type IN ('opt_in', 'opt_out', 'policy_accepted', 'profile_changed', 'erased')),
        list_ids uuid[] NOT NULL DEFAULT '{}',
        policy_version text,
        channel text NOT NULL CHECK (channel IN ('keyword', 'web_form', 'import', 'editor', 'whatsapp')),
        evidence jsonb NOT NULL DEFAULT '{}'::jsonb,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      ) PARTITION BY HASH (tenant_id)`);
    await q.query(`CREATE INDEX consent_events_subscriber_idx ON consent_events (tenant_id, subscriber_id, occurred_at)`);

    // Web form sign-ups waiting for the citizen to confirm from WhatsApp (double opt-in).
    await q.query(`
      CREATE TABLE web_signups (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        subscriber_id uuid NOT NULL,
        list_ids uuid[] NOT NULL,
        first_name text,
        last_name text,
        frazione text,
        ip text,
        user_agent text,
        outbound_message_id uuid,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'expired')),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        confirmed_at timestamptz,
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(`CREATE INDEX web_signups_pending_idx ON web_signups (expires_at) WHERE status = 'pending'`);

    for (const table of ['subscribers', 'subscriptions', 'consent_events']) {
      for (let i = 0; i < PARTITIONS; i++) {
        await q.query(`CREATE TABLE ${table}_p${i} PARTITION OF ${table} FOR VALUES WITH (MODULUS ${PARTITIONS}, REMAINDER ${i})`);
      }
    }

    // One-way comuni answer a non-keyword message at most once a day per citizen, subscribed or not.
    await q.query(`ALTER TABLE contacts ADD COLUMN auto_replied_at timestamptz`);

    await q.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON subscription_settings, subscriber_lists, keyword_rules, subscribers, subscriptions, web_signups TO araldo_app`,
    );
    await q.query(`GRANT SELECT, INSERT ON consent_events TO araldo_app`);
    for (const table of [
      'subscription_settings',
      'subscriber_lists',
      'keyword_rules',
      'subscribers',
      'subscriptions',
      'consent_events',
      'web_signups',
    ]) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`CREATE POLICY tenant_isolation ON ${table} USING (app_tenant_visible(tenant_id)) WITH CHECK (app_tenant_visible(tenant_id))`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE web_signups, consent_events, subscriptions, subscribers, keyword_rules, subscriber_lists, subscription_settings`);
    await q.query(`ALTER TABLE contacts DROP COLUMN auto_replied_at`);
  }
}
