import { Injectable } from '@nestjs/common';
import type { MediaAssetId, NumberId, TenantId } from '#common';
import { MediaAssetEntity, ProviderMediaUploadEntity, type MediaAssetKind } from '../entities/media-asset.entity.js';
import { TenantDb } from '../tenant-db.js';
import type { Page, PageRequest } from './pagination.js';
import { returningRows } from './sql.js';

export interface NewMediaAsset {
  id: MediaAssetId;
  kind: MediaAssetKind;
  mimeType: string;
  filename: string;
  sizeBytes: number;
  sha256: string;
  storageKey: string;
  createdBy: string | null;
}

/** What still may send a library file: campaigns not finished, active recurring schedules. */
export interface MediaAssetUsers {
  campaigns: { id: string; title: string; status: string }[];
  schedules: { id: string; name: string }[];
}

/** Campaign states in which a campaign may still send (or be edited to send) its attachment. */
const LIVE_CAMPAIGN_STATUSES = `('draft', 'awaiting_approval', 'scheduled', 'sending', 'paused')`;

@Injectable()
export class MediaAssetRepository {
  constructor(private readonly db: TenantDb) {}

  insert(tenantId: TenantId, row: NewMediaAsset): Promise<MediaAssetEntity> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.insert(MediaAssetEntity, { ...row, sizeBytes: String(row.sizeBytes), tenantId });
      return m.findOneByOrFail(MediaAssetEntity, { tenantId, id: row.id });
    });
  }

  findById(tenantId: TenantId, id: MediaAssetId): Promise<MediaAssetEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(MediaAssetEntity, { tenantId, id }));
  }

  async findByIds(tenantId: TenantId, ids: readonly MediaAssetId[]): Promise<Map<MediaAssetId, MediaAssetEntity>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.forTenant(tenantId, (m) =>
      m
        .createQueryBuilder(MediaAssetEntity, 'a')
        .where('a.tenant_id = :tenantId AND a.id IN (:...ids)', { tenantId, ids: [...new Set(ids)] })
        .getMany(),
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  async list(tenantId: TenantId, page: PageRequest, filter: { kind?: MediaAssetKind } = {}): Promise<Page<MediaAssetEntity>> {
    const [items, total] = await this.db.forTenant(tenantId, (m) =>
      m.findAndCount(MediaAssetEntity, {
        where: { tenantId, ...(filter.kind ? { kind: filter.kind } : {}) },
        order: { createdAt: 'DESC', id: 'ASC' },
        take: page.limit,
        skip: page.offset,
      }),
    );
    return { items, total, limit: page.limit, offset: page.offset };
  }

  async usersOf(tenantId: TenantId, id: MediaAssetId): Promise<MediaAssetUsers> {
    return this.db.forTenant(tenantId, async (m) => {
      const campaigns: MediaAssetUsers['campaigns'] = await m.query(
        `SELECT id, title, status FROM campaigns
          WHERE tenant_id = $1 AND media ->> 'mediaId' = $2::text AND status IN ${LIVE_CAMPAIGN_STATUSES}
          ORDER BY created_at LIMIT 20`,
        [tenantId, id],
      );
      const schedules: MediaAssetUsers['schedules'] = await m.query(
        `SELECT id, name FROM campaign_schedules
          WHERE tenant_id = $1 AND active AND campaign -> 'media' ->> 'mediaId' = $2::text ORDER BY created_at LIMIT 20`,
        [tenantId, id],
      );
      return { campaigns, schedules };
    });
  }

  /** Deletes the row (its provider uploads go with it); the storage key to delete, or null when there was no such file. */
  async delete(tenantId: TenantId, id: MediaAssetId): Promise<string | null> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ storage_key: string }>(m, `DELETE FROM media_assets WHERE tenant_id = $1 AND id = $2 RETURNING storage_key`, [tenantId, id]),
    );
    return rows[0]?.storage_key ?? null;
  }

  async markUsed(tenantId: TenantId, id: MediaAssetId, at: Date): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(`UPDATE media_assets SET last_used_at = greatest(coalesce(last_used_at, $3), $3) WHERE tenant_id = $1 AND id = $2`, [tenantId, id, at]),
    );
  }

  /**
   * Retention: deletes files neither used nor uploaded since `before` that no live campaign or
   * active schedule refers to; returns their storage keys to delete.
   */
  async purgeUnusedBefore(tenantId: TenantId, before: Date): Promise<string[]> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ storage_key: string }>(
        m,
        `DELETE FROM media_assets a
          WHERE a.tenant_id = $1 AND coalesce(a.last_used_at, a.created_at) < $2
            AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.tenant_id = $1 AND c.media ->> 'mediaId' = a.id::text
                              AND c.status IN ${LIVE_CAMPAIGN_STATUSES})
            AND NOT EXISTS (SELECT 1 FROM campaign_schedules s WHERE s.tenant_id = $1 AND s.active
                              AND s.campaign -> 'media' ->> 'mediaId' = a.id::text)
          RETURNING a.storage_key`,
        [tenantId, before],
      ),
    );
    return rows.map((r) => r.storage_key);
  }

  // ----- provider uploads -----

  findUpload(tenantId: TenantId, numberId: NumberId, mediaAssetId: MediaAssetId): Promise<ProviderMediaUploadEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(ProviderMediaUploadEntity, { tenantId, numberId, mediaAssetId }));
  }

  /**
   * Within the caller's transaction: true when this transaction now holds the upload lock of the
   * (number, file) pair, false when another holds it. Never waits, so no pooled connection sits
   * blocked behind an upload in progress.
   */
  async tryLockUpload(tenantId: TenantId, numberId: NumberId, mediaAssetId: MediaAssetId): Promise<boolean> {
    const rows: { locked: boolean }[] = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked`, [`provider-media:${tenantId}:${numberId}:${mediaAssetId}`]),
    );
    return rows[0]?.locked === true;
  }

  async saveUpload(
    tenantId: TenantId,
    row: {
      numberId: NumberId;
      mediaAssetId: MediaAssetId;
      providerMediaId: string;
      uploadedAt: Date;
      expiresAt: Date;
      replacedRejectedAt: Date | null;
    },
  ): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO provider_media_uploads (tenant_id, number_id, media_asset_id, provider_media_id, uploaded_at, expires_at, replaced_rejected_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id, number_id, media_asset_id) DO UPDATE
           SET provider_media_id = excluded.provider_media_id, uploaded_at = excluded.uploaded_at, expires_at = excluded.expires_at,
               rejected_at = NULL, replaced_rejected_at = excluded.replaced_rejected_at`,
        [tenantId, row.numberId, row.mediaAssetId, row.providerMediaId, row.uploadedAt, row.expiresAt, row.replacedRejectedAt],
      ),
    );
  }

  /** Marks the id refused, only if it is still the current one and not refused yet; true when this call did it. */
  async markUploadRejected(tenantId: TenantId, numberId: NumberId, mediaAssetId: MediaAssetId, providerMediaId: string): Promise<boolean> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ number_id: string }>(
        m,
        `UPDATE provider_media_uploads SET rejected_at = now()
          WHERE tenant_id = $1 AND number_id = $2 AND media_asset_id = $3 AND provider_media_id = $4 AND rejected_at IS NULL
          RETURNING number_id`,
        [tenantId, numberId, mediaAssetId, providerMediaId],
      ),
    );
    return rows.length > 0;
  }
}
