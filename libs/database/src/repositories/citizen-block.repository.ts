import { Injectable } from '@nestjs/common';
import type { ContactId, InboundMessageId, TenantId } from '#common';
import { CitizenBlockEntity } from '../entities/citizen-block.entity.js';
import { TenantDb } from '../tenant-db.js';
import { returningRows } from './sql.js';

@Injectable()
export class CitizenBlockRepository {
  constructor(private readonly db: TenantDb) {}

  find(tenantId: TenantId, contactId: ContactId): Promise<CitizenBlockEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(CitizenBlockEntity, { tenantId, contactId }));
  }

  list(tenantId: TenantId): Promise<CitizenBlockEntity[]> {
    return this.db.forTenant(tenantId, (m) => m.find(CitizenBlockEntity, { where: { tenantId }, order: { blockedAt: 'DESC' } }));
  }

  /** Blocks the citizen; false when they were blocked already. */
  async insert(tenantId: TenantId, block: Pick<CitizenBlockEntity, 'contactId' | 'reason' | 'note' | 'blockedBy' | 'blockedAt'>): Promise<boolean> {
    const rows: unknown[] = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO citizen_blocks (tenant_id, contact_id, reason, note, blocked_by, blocked_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id, contact_id) DO NOTHING RETURNING contact_id`,
        [tenantId, block.contactId, block.reason, block.note, block.blockedBy, block.blockedAt],
      ),
    );
    return rows.length > 0;
  }

  async delete(tenantId: TenantId, contactId: ContactId): Promise<boolean> {
    const result = await this.db.forTenant(tenantId, (m) => m.delete(CitizenBlockEntity, { tenantId, contactId }));
    return (result.affected ?? 0) > 0;
  }

  /** Claims telling the citizen they are blocked: true only for the first caller. */
  async claimNotice(tenantId: TenantId, contactId: ContactId, at: Date): Promise<boolean> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ contact_id: string }>(
        m,
        `UPDATE citizen_blocks SET notified_at = $3 WHERE tenant_id = $1 AND contact_id = $2 AND notified_at IS NULL RETURNING contact_id`,
        [tenantId, contactId, at],
      ),
    );
    return rows.length > 0;
  }

  async releaseNotice(tenantId: TenantId, contactId: ContactId): Promise<void> {
    await this.db.forTenant(tenantId, (m) => m.update(CitizenBlockEntity, { tenantId, contactId }, { notifiedAt: null }));
  }

  /**
   * Drops what a blocked citizen wrote, keeping the metadata (type, wamid, times): the message's
   * text and content, and its media (pending downloads are cancelled, stored files are returned
   * for deletion from storage). Same shape as the retention purge of inbound messages and media.
   */
  dropMessage(tenantId: TenantId, contactId: ContactId, inboundMessageId: InboundMessageId): Promise<{ storageKeys: string[] }> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.query(
        `UPDATE inbound_messages SET body = NULL, content = jsonb_build_object('type', type, 'purged', true, 'blocked', true), content_purged_at = now()
          WHERE tenant_id = $1 AND id = $2`,
        [tenantId, inboundMessageId],
      );
      const media = await returningRows<{ storage_key: string | null }>(
        m,
        `WITH dropped AS (
           SELECT id, storage_key FROM media_files
            WHERE tenant_id = $1 AND inbound_message_id = $2 AND status IN ('pending', 'stored', 'failed') FOR UPDATE)
         UPDATE media_files f SET status = 'purged', storage_key = NULL, error = 'citizen blocked'
           FROM dropped WHERE f.tenant_id = $1 AND f.id = dropped.id
         RETURNING dropped.storage_key AS storage_key`,
        [tenantId, inboundMessageId],
      );
      await m.query(`UPDATE citizen_blocks SET dropped_count = dropped_count + 1 WHERE tenant_id = $1 AND contact_id = $2`, [tenantId, contactId]);
      return { storageKeys: media.map((r) => r.storage_key).filter((k): k is string => k !== null) };
    });
  }
}
