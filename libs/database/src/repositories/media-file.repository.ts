import { Injectable } from '@nestjs/common';
import type { InboundMessageId, MediaFileId, NumberId, TenantId } from '#common';
import { MediaFileEntity } from '../entities/media-file.entity.js';
import { TenantDb } from '../tenant-db.js';
import { returningRows } from './sql.js';

export interface NewMediaFile {
  id: MediaFileId;
  numberId: NumberId;
  inboundMessageId: InboundMessageId | null;
  providerMediaId: string;
  mimeType: string | null;
  expectedSha256: string | null;
}

@Injectable()
export class MediaFileRepository {
  constructor(private readonly db: TenantDb) {}

  /** Records media to download; returns the ids of rows actually created (a redelivery creates none). */
  async insertNew(tenantId: TenantId, rows: readonly NewMediaFile[]): Promise<MediaFileId[]> {
    if (rows.length === 0) return [];
    const inserted: { id: MediaFileId }[] = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO media_files (tenant_id, id, number_id, inbound_message_id, provider_media_id, mime_type, expected_sha256)
         SELECT $1, x.id, x.number_id, x.inbound_message_id, x.provider_media_id, x.mime_type, x.expected_sha256
           FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[])
             AS x(id, number_id, inbound_message_id, provider_media_id, mime_type, expected_sha256)
         ON CONFLICT (tenant_id, number_id, provider_media_id) DO NOTHING
         RETURNING id`,
        [
          tenantId,
          rows.map((r) => r.id),
          rows.map((r) => r.numberId),
          rows.map((r) => r.inboundMessageId),
          rows.map((r) => r.providerMediaId),
          rows.map((r) => r.mimeType),
          rows.map((r) => r.expectedSha256),
        ],
      ),
    );
    return inserted.map((r) => r.id);
  }

  findById(tenantId: TenantId, id: MediaFileId): Promise<MediaFileEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(MediaFileEntity, { tenantId, id }));
  }

  findByInboundMessage(tenantId: TenantId, inboundMessageId: InboundMessageId): Promise<MediaFileEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(MediaFileEntity, { tenantId, inboundMessageId }));
  }

  /** False when the file stopped being pending meanwhile (purged: a blocked citizen's message): the caller deletes what it wrote. */
  async markStored(
    tenantId: TenantId,
    id: MediaFileId,
    stored: { sha256: string; sizeBytes: number; storageKey: string; mimeType: string },
  ): Promise<boolean> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ id: string }>(
        m,
        `UPDATE media_files SET status = 'stored', sha256 = $3, size_bytes = $4, storage_key = $5, mime_type = coalesce(mime_type, $6),
            stored_at = now(), error = NULL, attempts = attempts + 1
          WHERE tenant_id = $1 AND id = $2 AND status = 'pending' RETURNING id`,
        [tenantId, id, stored.sha256, stored.sizeBytes, stored.storageKey, stored.mimeType],
      ),
    );
    return rows.length > 0;
  }

  /** A file whose message was dropped before it was downloaded (a blocked citizen): never downloaded. */
  async markPurged(tenantId: TenantId, id: MediaFileId, reason: string): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(`UPDATE media_files SET status = 'purged', error = $3 WHERE tenant_id = $1 AND id = $2 AND status = 'pending'`, [tenantId, id, reason]),
    );
  }

  async recordFailure(tenantId: TenantId, id: MediaFileId, error: string, final: boolean): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `UPDATE media_files SET error = left($3, 1000), attempts = attempts + 1, status = CASE WHEN $4 THEN 'failed' ELSE status END
          WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id, error, final],
      ),
    );
  }

  /** Retention: marks stored files older than `before` as purged and returns their storage keys to delete. */
  async purgeBefore(tenantId: TenantId, before: Date): Promise<string[]> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ storage_key: string | null }>(
        m,
        `WITH old AS (
           SELECT id, storage_key FROM media_files
            WHERE tenant_id = $1 AND created_at < $2 AND status IN ('stored', 'pending', 'failed') FOR UPDATE)
         UPDATE media_files f SET status = 'purged', storage_key = NULL
           FROM old WHERE f.tenant_id = $1 AND f.id = old.id
         RETURNING old.storage_key AS storage_key`,
        [tenantId, before],
      ),
    );
    return rows.map((r) => r.storage_key).filter((k): k is string => k !== null);
  }
}
