import type { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT_TABLES = ['message_templates', 'campaign_settings', 'campaigns', 'campaign_schedules'];

/**
 * Campaigns: the comuni's message templates (with named variables, optionally linked to a
 * WhatsApp-approved template), per-comune sending rules (approval, frequency cap, quiet hours),
 * campaigns and their recurring schedules, consortium-wide alerts and the business portfolios whose
 * 24-hour messaging limit every number in them shares. A campaign's recipients are outbound_messages
 * rows (one per subscriber, unique per campaign), so receipts, retries and stats have one home.
 */
export class Campaigns1795428000000 implements MigrationInterface {
  name = 'Campaigns1795428000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE message_templates (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
        body text NOT NULL CHECK (length(body) BETWEEN 1 AND 4096),
        -- The WhatsApp-approved template it goes out as outside the 24-hour window, if any.
        whatsapp_template_name text,
        whatsapp_template_language text,
        -- Variable names in the order of the approved template's parameters ({{1}}, {{2}}, ...).
        body_parameters text[] NOT NULL DEFAULT '{}',
        header_parameters text[] NOT NULL DEFAULT '{}',
        button_parameters text[] NOT NULL DEFAULT '{}',
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT message_templates_whatsapp_pair CHECK ((whatsapp_template_name IS NULL) = (whatsapp_template_language IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX message_templates_name_key ON message_templates (tenant_id, lower(name))`);

    await q.query(`
      CREATE TABLE campaign_settings (
        tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
        requires_approval boolean NOT NULL DEFAULT false,
        emergency_requires_approval boolean NOT NULL DEFAULT false,
        frequency_cap_per_week integer CHECK (frequency_cap_per_week > 0),
        quiet_hours_start text CHECK (quiet_hours_start ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
        quiet_hours_end text CHECK (quiet_hours_end ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT campaign_settings_quiet_pair CHECK ((quiet_hours_start IS NULL) = (quiet_hours_end IS NULL))
      )`);

    // Consortium level: operators send one alert to several comuni; each comune's share is a campaign.
    await q.query(`
      CREATE TABLE consortium_alerts (
        id uuid PRIMARY KEY,
        title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        body text NOT NULL,
        whatsapp_template_name text,
        whatsapp_template_language text,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE campaign_schedules (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        -- Five-field cron in the comune's timezone, e.g. '0 10 * * 2,5' (Tuesday and Friday at 10:00).
        cron text NOT NULL,
        active boolean NOT NULL DEFAULT true,
        -- What each run creates: the fields of a campaign (title, template, variables, audience, ...).
        campaign jsonb NOT NULL,
        next_run_at timestamptz,
        last_run_at timestamptz,
        last_campaign_id uuid,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(`CREATE INDEX campaign_schedules_due_idx ON campaign_schedules (next_run_at) WHERE active`);

    await q.query(`
      CREATE TABLE campaigns (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        status text NOT NULL DEFAULT 'draft'
          CHECK (status IN ('draft', 'awaiting_approval', 'scheduled', 'sending', 'paused', 'completed', 'cancelled', 'failed')),
        priority text NOT NULL DEFAULT 'normal' CHECK (priority IN ('normal', 'emergency')),
        number_id uuid NOT NULL,
        message_template_id uuid,
        body text,
        variables jsonb NOT NULL DEFAULT '{}'::jsonb,
        media jsonb,
        audience jsonb NOT NULL DEFAULT '{}'::jsonb,
        -- The category it goes out as outside the window (the approved template's), null for free text only.
        category text CHECK (category IN ('utility', 'marketing', 'authentication')),
        capacity_mode text NOT NULL DEFAULT 'refuse' CHECK (capacity_mode IN ('refuse', 'split')),
        scheduled_at timestamptz,
        -- What an approval leads to: sending now, or at scheduled_at.
        requested_action text CHECK (requested_action IN ('send', 'schedule')),
        schedule_id uuid,
        alert_id uuid REFERENCES consortium_alerts (id),
        targeted integer NOT NULL DEFAULT 0,
        skipped integer NOT NULL DEFAULT 0,
        deferred integer NOT NULL DEFAULT 0,
        failure_reason text,
        created_by uuid,
        approved_by uuid,
        approved_at timestamptz,
        started_at timestamptz,
        paused_at timestamptz,
        completed_at timestamptz,
        cancelled_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT campaigns_has_content CHECK (message_template_id IS NOT NULL OR body IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX campaigns_created_idx ON campaigns (tenant_id, created_at DESC)`);
    await q.query(`CREATE INDEX campaigns_due_idx ON campaigns (scheduled_at) WHERE status = 'scheduled'`);
    await q.query(`CREATE INDEX campaigns_sending_idx ON campaigns (tenant_id) WHERE status = 'sending'`);
    await q.query(`CREATE INDEX campaigns_alert_idx ON campaigns (alert_id) WHERE alert_id IS NOT NULL`);

    // Meta's messaging limit (distinct users reached outside the window per rolling 24 h) belongs to
    // the business portfolio, shared by its numbers, possibly across comuni: consortium level. Here
    // the operators' part of it: the reserve normal campaigns may not use.
    await q.query(`
      CREATE TABLE business_portfolios (
        id text PRIMARY KEY,
        name text,
        -- The tier itself is each number's messaging_tier, kept current by Meta's webhooks. Kept free for emergencies: normal campaigns may not use the last emergency_reserve users.
        emergency_reserve integer NOT NULL DEFAULT 0 CHECK (emergency_reserve >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    // A campaign's recipients: one row per (campaign, subscriber), so nobody is targeted twice.
    await q.query(`ALTER TABLE outbound_messages ADD COLUMN subscriber_id uuid`);
    await q.query(`ALTER TABLE outbound_messages DROP CONSTRAINT outbound_messages_status_check`);
    await q.query(`ALTER TABLE outbound_messages ADD CONSTRAINT outbound_messages_status_check
      CHECK (status IN ('queued', 'sending', 'unknown', 'accepted', 'sent', 'delivered', 'read', 'failed', 'cancelled', 'skipped'))`);
    await q.query(
      `CREATE UNIQUE INDEX outbound_messages_campaign_recipient_key ON outbound_messages (tenant_id, campaign_id, subscriber_id) WHERE campaign_id IS NOT NULL`,
    );
    // Stats per campaign and the "anything left?" check after each batch.
    await q.query(
      `CREATE INDEX outbound_messages_campaign_status_idx ON outbound_messages (tenant_id, campaign_id, status) WHERE campaign_id IS NOT NULL`,
    );
    // The portfolio's rolling 24 hours: business-initiated messages accepted recently, per number.
    await q.query(
      `CREATE INDEX outbound_messages_capacity_idx ON outbound_messages (number_id, accepted_at) WHERE category IS DISTINCT FROM 'service' AND accepted_at IS NOT NULL`,
    );

    // A campaign snapshot adds up to 100,000 rows to one partition at once; until autovacuum
    // analyzes it the planner believes it is empty and walks the comune's whole queue for each
    // batch. The application role owns no table, so it may not ANALYZE: this function, owned by
    // the schema's owner, analyzes the one partition that holds the comune's messages.
    await q.query(`
      CREATE FUNCTION app_analyze_tenant_outbound(t uuid) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
      DECLARE part regclass;
      BEGIN
        SELECT tableoid::regclass INTO part FROM outbound_messages WHERE tenant_id = t LIMIT 1;
        IF part IS NOT NULL THEN EXECUTE format('ANALYZE %s', part); END IF;
      END $$`);
    await q.query(`REVOKE ALL ON FUNCTION app_analyze_tenant_outbound(uuid) FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION app_analyze_tenant_outbound(uuid) TO araldo_app`);

    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${TENANT_TABLES.join(', ')} TO araldo_app`);
    await q.query(`GRANT SELECT, INSERT, UPDATE ON consortium_alerts, business_portfolios TO araldo_app`);
    for (const table of TENANT_TABLES) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`CREATE POLICY tenant_isolation ON ${table} USING (app_tenant_visible(tenant_id)) WITH CHECK (app_tenant_visible(tenant_id))`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION app_analyze_tenant_outbound(uuid)`);
    await q.query(`DROP INDEX outbound_messages_capacity_idx`);
    await q.query(`DROP INDEX outbound_messages_campaign_status_idx`);
    await q.query(`DROP INDEX outbound_messages_campaign_recipient_key`);
    await q.query(`ALTER TABLE outbound_messages DROP CONSTRAINT outbound_messages_status_check`);
    await q.query(`ALTER TABLE outbound_messages ADD CONSTRAINT outbound_messages_status_check
      CHECK (status IN ('queued', 'sending', 'unknown', 'accepted', 'sent', 'delivered', 'read', 'failed', 'cancelled'))`);
    await q.query(`ALTER TABLE outbound_messages DROP COLUMN subscriber_id`);
    await q.query(`DROP TABLE business_portfolios, campaigns, campaign_schedules, consortium_alerts, campaign_settings, message_templates`);
  }
}
