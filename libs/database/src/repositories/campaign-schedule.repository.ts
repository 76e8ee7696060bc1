import { Injectable } from '@nestjs/common';
import type { TenantId } from '#common';
import { CampaignScheduleEntity } from '../entities/campaign-schedule.entity.js';
import { TenantDb } from '../tenant-db.js';
import { returningRows } from './sql.js';

export type NewCampaignSchedule = Pick<
  CampaignScheduleEntity,
  'id' | 'name' | 'cron' | 'active' | 'campaign' | 'nextRunAt' | 'createdBy' | 'contentUpdatedBy'
>;

@Injectable()
export class CampaignScheduleRepository {
  constructor(private readonly db: TenantDb) {}

  async insert(tenantId: TenantId, row: NewCampaignSchedule): Promise<CampaignScheduleEntity> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.save(CampaignScheduleEntity, m.create(CampaignScheduleEntity, { ...row, tenantId }));
      return m.findOneByOrFail(CampaignScheduleEntity, { tenantId, id: row.id });
    });
  }

  findById(tenantId: TenantId, id: string): Promise<CampaignScheduleEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(CampaignScheduleEntity, { tenantId, id }));
  }

  list(tenantId: TenantId): Promise<CampaignScheduleEntity[]> {
    return this.db.forTenant(tenantId, (m) => m.find(CampaignScheduleEntity, { where: { tenantId }, order: { createdAt: 'ASC' } }));
  }

  async update(
    tenantId: TenantId,
    id: string,
    patch: Partial<Pick<CampaignScheduleEntity, 'name' | 'cron' | 'active' | 'campaign' | 'contentUpdatedBy' | 'nextRunAt'>>,
  ): Promise<CampaignScheduleEntity | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const current = await m.findOneBy(CampaignScheduleEntity, { tenantId, id });
      if (!current) return null;
      return m.save(CampaignScheduleEntity, m.merge(CampaignScheduleEntity, current, { ...patch, updatedAt: new Date() }));
    });
  }

  async remove(tenantId: TenantId, id: string): Promise<boolean> {
    const result = await this.db.forTenant(tenantId, (m) => m.delete(CampaignScheduleEntity, { tenantId, id }));
    return (result.affected ?? 0) > 0;
  }

  /** Active schedules whose run is due, across comuni. */
  listDueUnscoped(now: Date, limit: number): Promise<{ tenantId: TenantId; id: string; nextRunAt: Date }[]> {
    return this.db.unscoped((m) =>
      m.query(
        `SELECT tenant_id AS "tenantId", id, next_run_at AS "nextRunAt" FROM campaign_schedules
          WHERE active AND next_run_at <= $1 ORDER BY next_run_at LIMIT $2`,
        [now, limit],
      ),
    );
  }

  /** Takes a due run: only one worker wins it, so a run creates one campaign however many sweeps race. */
  async claimRun(tenantId: TenantId, id: string, dueAt: Date, nextRunAt: Date): Promise<boolean> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ id: string }>(
        m,
        `UPDATE campaign_schedules SET next_run_at = $4, last_run_at = $3, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND active AND next_run_at = $3 RETURNING id`,
        [tenantId, id, dueAt, nextRunAt],
      ),
    );
    return rows.length > 0;
  }

  async recordRunCampaign(tenantId: TenantId, id: string, campaignId: string): Promise<void> {
    await this.db.forTenant(tenantId, (m) => m.update(CampaignScheduleEntity, { tenantId, id }, { lastCampaignId: campaignId }));
  }
}
