import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Same fixed count as the other partitioned tables (docs/adr/0002). */
const PARTITIONS = 16;

const CATEGORIES = `'segnalazione', 'appuntamento', 'informazioni', 'emergenza', 'altro'`;

/**
 * The inbox of two-way comuni: each comune's office hours and inbox texts, conversations (one
 * active per citizen), the messages each conversation holds (links to inbound and outbound rows,
 * which keep the content), canned replies, appointment requests, emergency alerts to the on-duty
 * contact, and blocked citizens (for one-way comuni too).
 */
export class Inbox1795429000000 implements MigrationInterface {
  name = 'Inbox1795429000000';

  async up(q: QueryRunner): Promise<void> {
    // weekly_schedule: {"1": [{"from": "09:00", "to": "13:00"}], ...}, ISO weekdays (1 = Monday).
    await q.query(`
      CREATE TABLE inbox_settings (
        tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
        timezone text,
        weekly_schedule jsonb NOT NULL DEFAULT '{}'::jsonb,
        closed_on_holidays boolean NOT NULL DEFAULT true,
        patron_day text CHECK (patron_day ~ '^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'),
        closed_dates text[] NOT NULL DEFAULT '{}',
        emergency_keyword text NOT NULL DEFAULT 'EMERGENZA' CHECK (length(emergency_keyword) BETWEEN 3 AND 40),
        on_duty_phone text CHECK (on_duty_phone ~ '^\\+[1-9][0-9]{6,14}$'),
        on_duty_email text CHECK (length(on_duty_email) <= 254),
        on_duty_template_name text,
        notice_template_name text,
        template_language text NOT NULL DEFAULT 'it',
        offer_categories boolean NOT NULL DEFAULT true,
        appointment_offices text[] NOT NULL DEFAULT '{}',
        ack_text text,
        closed_text text,
        emergency_text text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE conversations (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        number_id uuid NOT NULL,
        contact_id uuid NOT NULL,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'closed')),
        category text CHECK (category IN (${CATEGORIES})),
        category_source text CHECK (category_source IN ('citizen', 'editor', 'keyword')),
        urgent boolean NOT NULL DEFAULT false,
        assignee_id uuid,
        unread_count integer NOT NULL DEFAULT 0 CHECK (unread_count >= 0),
        opened_at timestamptz NOT NULL,
        last_inbound_at timestamptz,
        last_message_at timestamptz NOT NULL,
        first_response_at timestamptz,
        closed_at timestamptz,
        closed_by uuid,
        last_auto_reply_at timestamptz,
        last_auto_reply_kind text CHECK (last_auto_reply_kind IN ('ack', 'closed', 'emergency')),
        intake_step text CHECK (intake_step IN ('office', 'days', 'reason')),
        intake_draft jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    // One active conversation per citizen: concurrent messages of one citizen land in the same one.
    await q.query(`CREATE UNIQUE INDEX conversations_active_contact_key ON conversations (tenant_id, contact_id) WHERE status <> 'closed'`);
    await q.query(`CREATE INDEX conversations_inbox_idx ON conversations (tenant_id, status, urgent DESC, last_message_at DESC)`);
    await q.query(`CREATE INDEX conversations_opened_idx ON conversations (tenant_id, opened_at)`);
    await q.query(`CREATE INDEX conversations_closed_idx ON conversations (tenant_id, closed_at) WHERE closed_at IS NOT NULL`);

    // The thread: the content stays in inbound_messages / outbound_messages (and their retention).
    await q.query(`
      CREATE TABLE conversation_messages (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        conversation_id uuid NOT NULL,
        direction text NOT NULL CHECK (direction IN ('in', 'out')),
        inbound_message_id uuid,
        outbound_message_id uuid,
        author_user_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT conversation_messages_one_side CHECK ((inbound_message_id IS NULL) <> (outbound_message_id IS NULL))
      ) PARTITION BY HASH (tenant_id)`);
    // A redelivered handle-inbound job finds its message already in the thread and does nothing again.
    await q.query(`CREATE UNIQUE INDEX conversation_messages_inbound_key ON conversation_messages (tenant_id, inbound_message_id)`);
    await q.query(`CREATE INDEX conversation_messages_thread_idx ON conversation_messages (tenant_id, conversation_id, created_at)`);
    for (let i = 0; i < PARTITIONS; i++) {
      await q.query(
        `CREATE TABLE conversation_messages_p${i} PARTITION OF conversation_messages FOR VALUES WITH (MODULUS ${PARTITIONS}, REMAINDER ${i})`,
      );
    }

    await q.query(`
      CREATE TABLE canned_replies (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        title text NOT NULL CHECK (length(title) BETWEEN 1 AND 80),
        body text NOT NULL CHECK (length(body) BETWEEN 1 AND 4096),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(`CREATE UNIQUE INDEX canned_replies_title_key ON canned_replies (tenant_id, lower(title))`);

    await q.query(`
      CREATE TABLE appointment_requests (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        conversation_id uuid NOT NULL,
        contact_id uuid NOT NULL,
        office text NOT NULL CHECK (length(office) BETWEEN 1 AND 120),
        preferred_days text NOT NULL CHECK (length(preferred_days) BETWEEN 1 AND 500),
        reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
        status text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'proposed', 'confirmed', 'declined')),
        proposed_slot text CHECK (length(proposed_slot) <= 200),
        editor_note text CHECK (length(editor_note) <= 1000),
        last_notified_at timestamptz,
        last_notification text CHECK (last_notification IN ('text', 'template', 'not_possible')),
        decided_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(`CREATE INDEX appointment_requests_status_idx ON appointment_requests (tenant_id, status, created_at)`);
    await q.query(`CREATE INDEX appointment_requests_conversation_idx ON appointment_requests (tenant_id, conversation_id)`);

    // One alert per emergency message; each channel is marked when done so a retried job skips it.
    await q.query(`
      CREATE TABLE emergency_alerts (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        conversation_id uuid NOT NULL,
        inbound_message_id uuid NOT NULL,
        whatsapp_outbound_id uuid,
        whatsapp_error text,
        email_sent_at timestamptz,
        email_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(`CREATE UNIQUE INDEX emergency_alerts_message_key ON emergency_alerts (tenant_id, inbound_message_id)`);

    // A citizen an editor blocked; the history of blocks and unblocks is in audit_events.
    await q.query(`
      CREATE TABLE citizen_blocks (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        contact_id uuid NOT NULL,
        reason text NOT NULL CHECK (reason IN ('offensive', 'threatening', 'abusive', 'spam', 'other')),
        note text CHECK (length(note) <= 500),
        blocked_by uuid,
        blocked_at timestamptz NOT NULL DEFAULT now(),
        notified_at timestamptz,
        dropped_count integer NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, contact_id)
      )`);

    const tables = [
      'inbox_settings',
      'conversations',
      'conversation_messages',
      'canned_replies',
      'appointment_requests',
      'emergency_alerts',
      'citizen_blocks',
    ];
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${tables.join(', ')} TO araldo_app`);
    for (const table of tables) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`CREATE POLICY tenant_isolation ON ${table} USING (app_tenant_visible(tenant_id)) WITH CHECK (app_tenant_visible(tenant_id))`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP TABLE citizen_blocks, emergency_alerts, appointment_requests, canned_replies, conversation_messages, conversations, inbox_settings`,
    );
  }
}
