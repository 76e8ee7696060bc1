import { Injectable } from '@nestjs/common';
import { ConsortiumAlertEntity } from '../entities/consortium-alert.entity.js';
import { TenantDb } from '../tenant-db.js';

/** Consortium-wide alerts (operators); each comune's share is a campaign pointing here. */
@Injectable()
export class ConsortiumAlertRepository {
  constructor(private readonly db: TenantDb) {}

  async insertUnscoped(row: Omit<ConsortiumAlertEntity, 'createdAt'>): Promise<ConsortiumAlertEntity> {
    return this.db.unscoped(async (m) => {
      await m.insert(ConsortiumAlertEntity, row);
      return m.findOneByOrFail(ConsortiumAlertEntity, { id: row.id });
    });
  }

  findUnscoped(id: string): Promise<ConsortiumAlertEntity | null> {
    return this.db.unscoped((m) => m.findOneBy(ConsortiumAlertEntity, { id }));
  }

  /** The comuni an alert went to, with their campaign. */
  sharesUnscoped(alertId: string): Promise<{ tenantId: string; campaignId: string }[]> {
    return this.db.unscoped((m) =>
      m.query(`SELECT tenant_id AS "tenantId", id AS "campaignId" FROM campaigns WHERE alert_id = $1 ORDER BY created_at`, [alertId]),
    );
  }
}
