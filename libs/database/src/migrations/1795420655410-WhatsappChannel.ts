import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Same fixed count as the foundation's partitioned tables (docs/adr/0002). */
const PARTITIONS = 16;

const PARTITIONED_TENANT_TABLES = ['contacts', 'inbound_messages', 'outbound_messages', 'media_files'];

/**
 * The WhatsApp channel: raw webhook intake and its dead letters (consortium-level, before any
 * comune is known), the citizens each number talks to, inbound and outbound messages, stored
 * media, receipts that arrived before their message, and the comuni's WhatsApp templates.
 */
export class WhatsappChannel1795420655410 implements MigrationInterface {
  name = 'WhatsappChannel1795420655410';

  async up(q: QueryRunner): Promise<void> {
    // Raw bytes as received (bytea: a malformed body need not even be UTF-8), kept for
    // reprocessing and inspection; the worker turns them into tenant rows.
    await q.query(`
      CREATE TABLE webhook_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        provider_app_id uuid NOT NULL REFERENCES provider_apps (id),
        received_at timestamptz NOT NULL DEFAULT now(),
        body bytea NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed', 'malformed', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        processed_at timestamptz,
        problems jsonb,
        last_error text
      )`);
    await q.query(`CREATE INDEX webhook_events_pending_idx ON webhook_events (id) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX webhook_events_received_idx ON webhook_events (received_at)`);

    // Changes for a phone_number_id (or WABA) that no comune owns: kept for operators, never retried
    // by themselves; an operator replays them once the number is onboarded.
    await q.query(`
      CREATE TABLE webhook_dead_letters (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        webhook_event_id bigint NOT NULL,
        provider_app_id uuid NOT NULL REFERENCES provider_apps (id),
        phone_number_id text,
        waba_id text,
        field text NOT NULL,
        reason text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        resolution text CHECK (resolution IN ('replayed', 'discarded'))
      )`);
    await q.query(`CREATE INDEX webhook_dead_letters_open_idx ON webhook_dead_letters (created_at) WHERE resolved_at IS NULL`);

    await q.query(`
      ALTER TABLE whatsapp_numbers
        ADD COLUMN paused_at timestamptz,
        ADD COLUMN paused_error_code integer,
        ADD COLUMN quality_rating text,
        ADD COLUMN last_quality_event text,
        ADD COLUMN last_quality_event_at timestamptz`);

    // How long a comune keeps message contents and media (GDPR minimisation); counts and consent
    // records are kept regardless.
    await q.query(
      `ALTER TABLE tenants ADD COLUMN message_retention_days integer NOT NULL DEFAULT 180 CHECK (message_retention_days BETWEEN 7 AND 3650)`,
    );

    // A citizen as one business number sees them: the 24-hour window, the marketing preference and
    // delivery holds are all per (number, user). Keyed by wa_id when present, else by the BSUID.
    await q.query(`
      CREATE TABLE contacts (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        number_id uuid NOT NULL,
        wa_id text CHECK (wa_id ~ '^[0-9]{5,20}$'),
        user_id text CHECK (length(user_id) <= 256),
        profile_name text,
        last_inbound_at timestamptz,
        marketing_opted_out_at timestamptz,
        held_until timestamptz,
        undeliverable_count integer NOT NULL DEFAULT 0,
        last_error_code integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT contacts_has_identity CHECK (wa_id IS NOT NULL OR user_id IS NOT NULL)
      ) PARTITION BY HASH (tenant_id)`);
    await q.query(`CREATE UNIQUE INDEX contacts_wa_id_key ON contacts (tenant_id, number_id, wa_id)`);
    await q.query(`CREATE UNIQUE INDEX contacts_user_id_key ON contacts (tenant_id, number_id, user_id)`);

    await q.query(`
      CREATE TABLE inbound_messages (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        number_id uuid NOT NULL,
        contact_id uuid NOT NULL,
        wamid text NOT NULL,
        type text NOT NULL,
        body text,
        content jsonb NOT NULL,
        context_message_id text,
        sent_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        webhook_event_id bigint,
        content_purged_at timestamptz,
        PRIMARY KEY (tenant_id, id)
      ) PARTITION BY HASH (tenant_id)`);
    // Meta delivers at least once: the wamid makes a redelivery a no-op.
    await q.query(`CREATE UNIQUE INDEX inbound_messages_wamid_key ON inbound_messages (tenant_id, wamid)`);
    await q.query(`CREATE INDEX inbound_messages_contact_idx ON inbound_messages (tenant_id, contact_id, sent_at DESC)`);
    await q.query(`CREATE INDEX inbound_messages_received_idx ON inbound_messages (tenant_id, received_at)`);

    // One row per message the platform sends; the sending service is the only writer of new rows.
    await q.query(`
      CREATE TABLE outbound_messages (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        number_id uuid NOT NULL,
        contact_id uuid,
        recipient text NOT NULL,
        recipient_kind text NOT NULL CHECK (recipient_kind IN ('phone', 'bsuid')),
        kind text NOT NULL CHECK (kind IN ('keyword_reply', 'campaign', 'editor_reply', 'auto_reply', 'notification', 'test')),
        category text CHECK (category IN ('utility', 'marketing', 'authentication', 'service')),
        priority integer NOT NULL DEFAULT 0,
        campaign_id uuid,
        reply_to_wamid text,
        content jsonb,
        status text NOT NULL DEFAULT 'queued'
          CHECK (status IN ('queued', 'sending', 'unknown', 'accepted', 'sent', 'delivered', 'read', 'failed', 'cancelled')),
        provider_message_id text,
        provider_wa_id text,
        error_code integer,
        error_reason text,
        error_action text,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        pricing jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        accepted_at timestamptz,
        sent_at timestamptz,
        delivered_at timestamptz,
        read_at timestamptz,
        failed_at timestamptz,
        content_purged_at timestamptz,
        PRIMARY KEY (tenant_id, id)
      ) PARTITION BY HASH (tenant_id)`);
    await q.query(`CREATE UNIQUE INDEX outbound_messages_provider_id_key ON outbound_messages (tenant_id, provider_message_id)`);
    // The dispatcher's work list per number (queued rows, oldest first, emergencies ahead).
    await q.query(
      `CREATE INDEX outbound_messages_queue_idx ON outbound_messages (tenant_id, number_id, priority DESC, created_at) WHERE status = 'queued'`,
    );
    await q.query(`CREATE INDEX outbound_messages_unknown_idx ON outbound_messages (tenant_id, updated_at) WHERE status = 'unknown'`);
    await q.query(`CREATE INDEX outbound_messages_created_idx ON outbound_messages (tenant_id, created_at)`);

    await q.query(`
      CREATE TABLE media_files (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        number_id uuid NOT NULL,
        inbound_message_id uuid,
        provider_media_id text NOT NULL,
        mime_type text,
        expected_sha256 text,
        sha256 text,
        size_bytes bigint,
        storage_key text,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'stored', 'failed', 'purged')),
        error text,
        attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        stored_at timestamptz,
        PRIMARY KEY (tenant_id, id)
      ) PARTITION BY HASH (tenant_id)`);
    await q.query(`CREATE UNIQUE INDEX media_files_provider_key ON media_files (tenant_id, number_id, provider_media_id)`);
    await q.query(`CREATE INDEX media_files_created_idx ON media_files (tenant_id, created_at)`);

    for (const table of PARTITIONED_TENANT_TABLES) {
      for (let i = 0; i < PARTITIONS; i++) {
        await q.query(`CREATE TABLE ${table}_p${i} PARTITION OF ${table} FOR VALUES WITH (MODULUS ${PARTITIONS}, REMAINDER ${i})`);
      }
    }

    // A receipt can beat the send response; one we cannot match yet waits here briefly.
    await q.query(`
      CREATE TABLE pending_receipts (
        tenant_id uuid NOT NULL,
        provider_message_id text NOT NULL,
        status text NOT NULL,
        occurred_at timestamptz NOT NULL,
        receipt jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, provider_message_id, status)
      )`);
    await q.query(`CREATE INDEX pending_receipts_created_idx ON pending_receipts (created_at)`);

    // The comune's WhatsApp-approved templates, per WABA, kept in step by sync and by webhooks.
    await q.query(`
      CREATE TABLE whatsapp_templates (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        waba_id text NOT NULL,
        provider_template_id text,
        name text NOT NULL,
        language text NOT NULL,
        category text NOT NULL,
        status text NOT NULL,
        status_reason text,
        components jsonb NOT NULL DEFAULT '[]'::jsonb,
        synced_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(`CREATE UNIQUE INDEX whatsapp_templates_name_key ON whatsapp_templates (tenant_id, waba_id, name, language)`);

    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_events, webhook_dead_letters TO araldo_app`);
    await q.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON contacts, inbound_messages, outbound_messages, media_files, pending_receipts, whatsapp_templates TO araldo_app`,
    );
    for (const table of [...PARTITIONED_TENANT_TABLES, 'pending_receipts', 'whatsapp_templates']) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`CREATE POLICY tenant_isolation ON ${table} USING (app_tenant_visible(tenant_id)) WITH CHECK (app_tenant_visible(tenant_id))`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP TABLE whatsapp_templates, pending_receipts, media_files, outbound_messages, inbound_messages, contacts, webhook_dead_letters, webhook_events`,
    );
    await q.query(`ALTER TABLE tenants DROP COLUMN message_retention_days`);
    await q.query(`
      ALTER TABLE whatsapp_numbers
        DROP COLUMN paused_at, DROP COLUMN paused_error_code, DROP COLUMN quality_rating,
        DROP COLUMN last_quality_event, DROP COLUMN last_quality_event_at`);
  }
}
