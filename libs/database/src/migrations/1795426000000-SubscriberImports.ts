import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * CSV imports of a comune's existing broadcast list: one row per import, updated after each chunk
 * so its progress can be read while it runs, and kept as the record of what was imported, by whom
 * and on which consent declaration. The imported subscribers' ledger entries point at it.
 */
export class SubscriberImports1795426000000 implements MigrationInterface {
  name = 'SubscriberImports1795426000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE subscriber_imports (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        created_by uuid,
        status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
        total_rows integer NOT NULL CHECK (total_rows >= 0),
        processed_rows integer NOT NULL DEFAULT 0 CHECK (processed_rows >= 0),
        accepted integer NOT NULL DEFAULT 0 CHECK (accepted >= 0),
        rejected integer NOT NULL DEFAULT 0 CHECK (rejected >= 0),
        duplicates integer NOT NULL DEFAULT 0 CHECK (duplicates >= 0),
        list_ids uuid[] NOT NULL DEFAULT '{}',
        consent_declaration text CHECK (length(consent_declaration) <= 500),
        errors jsonb NOT NULL DEFAULT '[]'::jsonb,
        failure_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(`CREATE INDEX subscriber_imports_created_idx ON subscriber_imports (tenant_id, created_at DESC)`);
    // Kept as a record: the application role may create and update an import, never delete it.
    await q.query(`GRANT SELECT, INSERT, UPDATE ON subscriber_imports TO araldo_app`);
    await q.query(`ALTER TABLE subscriber_imports ENABLE ROW LEVEL SECURITY`);
    await q.query(
      `CREATE POLICY tenant_isolation ON subscriber_imports USING (app_tenant_visible(tenant_id)) WITH CHECK (app_tenant_visible(tenant_id))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE subscriber_imports`);
  }
}
