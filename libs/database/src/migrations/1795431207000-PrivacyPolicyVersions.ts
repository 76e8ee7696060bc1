import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Privacy policy versions: the history of each comune's published versions (label, link, date of
 * publication, optional deadline for re-acceptance), of which `tenants.privacy_policy_version` and
 * `privacy_policy_url` stay the current one. A campaign may be a request to accept a version
 * (`campaigns.policy_version_id`); at most one such request per version is open at a time, so two
 * clicks cannot ask the same citizens twice.
 */
export class PrivacyPolicyVersions1795431207000 implements MigrationInterface {
  name = 'PrivacyPolicyVersions1795431207000';

  async up(q: QueryRunner): Promise<void> {
    // A handful of rows per comune over years: not partitioned.
    await q.query(`
      CREATE TABLE privacy_policy_versions (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        version text NOT NULL CHECK (length(version) BETWEEN 1 AND 50),
        url text CHECK (length(url) <= 2000),
        -- The date the comune published the text (its own record), in the comune's calendar.
        published_on date NOT NULL,
        -- Optional: after this day, subscribers who have not accepted the version get no normal broadcasts.
        acceptance_deadline date,
        published_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT privacy_policy_versions_deadline_after_publication CHECK (acceptance_deadline IS NULL OR acceptance_deadline > published_on)
      )`);
    await q.query(`CREATE UNIQUE INDEX privacy_policy_versions_version_key ON privacy_policy_versions (tenant_id, version)`);

    // The versions comuni set before this history existed become its first entries.
    await q.query(`
      INSERT INTO privacy_policy_versions (tenant_id, id, version, url, published_on, created_at, updated_at)
      SELECT id, gen_random_uuid(), privacy_policy_version, privacy_policy_url, (updated_at AT TIME ZONE timezone)::date, updated_at, updated_at
        FROM tenants WHERE privacy_policy_version IS NOT NULL`);

    await q.query(`ALTER TABLE campaigns ADD COLUMN policy_version_id uuid`);
    await q.query(`ALTER TABLE campaigns ADD CONSTRAINT campaigns_policy_version_fkey
      FOREIGN KEY (tenant_id, policy_version_id) REFERENCES privacy_policy_versions (tenant_id, id)`);
    await q.query(`CREATE UNIQUE INDEX campaigns_open_policy_request_key ON campaigns (tenant_id, policy_version_id)
      WHERE policy_version_id IS NOT NULL AND status IN ('draft', 'awaiting_approval', 'scheduled', 'sending', 'paused')`);
    await q.query(`CREATE INDEX campaigns_policy_version_idx ON campaigns (tenant_id, policy_version_id) WHERE policy_version_id IS NOT NULL`);

    // History is kept: the application may correct a version's link or deadline, never delete it.
    await q.query(`GRANT SELECT, INSERT, UPDATE ON privacy_policy_versions TO araldo_app`);
    await q.query(`ALTER TABLE privacy_policy_versions ENABLE ROW LEVEL SECURITY`);
    await q.query(
      `CREATE POLICY tenant_isolation ON privacy_policy_versions USING (app_tenant_visible(tenant_id)) WITH CHECK (app_tenant_visible(tenant_id))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX campaigns_policy_version_idx`);
    await q.query(`DROP INDEX campaigns_open_policy_request_key`);
    await q.query(`ALTER TABLE campaigns DROP CONSTRAINT campaigns_policy_version_fkey`);
    await q.query(`ALTER TABLE campaigns DROP COLUMN policy_version_id`);
    await q.query(`DROP TABLE privacy_policy_versions`);
  }
}
