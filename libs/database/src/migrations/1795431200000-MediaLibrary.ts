import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each comune's media library (images and documents editors upload to attach to campaigns) and,
 * per sending number, the id WhatsApp gave each uploaded file: Meta keeps an uploaded file 30 days,
 * so the id is cached with its expiry and the file uploaded again before it runs out.
 */
export class MediaLibrary1795431200000 implements MigrationInterface {
  name = 'MediaLibrary1795431200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE media_assets (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('image', 'document')),
        mime_type text NOT NULL,
        filename text NOT NULL CHECK (length(filename) BETWEEN 1 AND 240),
        size_bytes bigint NOT NULL CHECK (size_bytes > 0),
        sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        storage_key text NOT NULL,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- When a campaign last started or sent with it: retention counts from here.
        last_used_at timestamptz,
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(`CREATE INDEX media_assets_created_idx ON media_assets (tenant_id, created_at DESC)`);

    await q.query(`
      CREATE TABLE provider_media_uploads (
        tenant_id uuid NOT NULL,
        number_id uuid NOT NULL,
        media_asset_id uuid NOT NULL,
        provider_media_id text NOT NULL,
        uploaded_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        -- WhatsApp refused this id at send time (expired or unknown): the next use uploads again.
        rejected_at timestamptz,
        -- When the id this one replaced was refused: a refused replacement is not treated as expired again.
        replaced_rejected_at timestamptz,
        PRIMARY KEY (tenant_id, number_id, media_asset_id),
        FOREIGN KEY (tenant_id, media_asset_id) REFERENCES media_assets (tenant_id, id) ON DELETE CASCADE,
        FOREIGN KEY (tenant_id, number_id) REFERENCES whatsapp_numbers (tenant_id, id)
      )`);
    await q.query(`CREATE INDEX provider_media_uploads_asset_idx ON provider_media_uploads (tenant_id, media_asset_id)`);

    // Retention and deletion look for campaigns and schedules still using an asset.
    await q.query(`CREATE INDEX campaigns_media_asset_idx ON campaigns (tenant_id, ((media ->> 'mediaId'))) WHERE media ? 'mediaId'`);

    const tables = ['media_assets', 'provider_media_uploads'];
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${tables.join(', ')} TO araldo_app`);
    for (const table of tables) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`CREATE POLICY tenant_isolation ON ${table} USING (app_tenant_visible(tenant_id)) WITH CHECK (app_tenant_visible(tenant_id))`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX campaigns_media_asset_idx`);
    await q.query(`DROP TABLE provider_media_uploads, media_assets`);
  }
}
