import { Injectable, Logger } from '@nestjs/common';
import { Clock, NotFoundError, newId, type TenantId } from '#common';
import { CampaignScheduleRepository, TenantRepository, type CampaignScheduleEntity } from '#database';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { assertCron, nextRun } from './campaign-rules.js';
import { CampaignsService, type CampaignInput } from './campaigns.service.js';

export interface ScheduleInput {
  name: string;
  /** Five-field cron in the comune's timezone: '0 10 * * 2,5' is Tuesday and Friday at 10:00. */
  cron: string;
  active?: boolean;
  campaign: CampaignInput;
}

/**
 * Recurring cadences: each due run creates a campaign from the schedule's fields and sends it
 * through the same path as an editor's click (approval, launch threshold, capacity). A run is
 * claimed in Postgres, so it creates one campaign however many workers sweep.
 */
@Injectable()
export class CampaignSchedulesService {
  private readonly logger = new Logger('CampaignSchedules');

  constructor(
    private readonly schedules: CampaignScheduleRepository,
    private readonly tenants: TenantRepository,
    private readonly campaigns: CampaignsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  list(tenantId: TenantId): Promise<CampaignScheduleEntity[]> {
    return this.schedules.list(tenantId);
  }

  async get(tenantId: TenantId, id: string): Promise<CampaignScheduleEntity> {
    const s = await this.schedules.findById(tenantId, id);
    if (!s) throw new NotFoundError('Schedule', 'SCHEDULE_NOT_FOUND');
    return s;
  }

  async create(tenantId: TenantId, actor: Actor, input: ScheduleInput): Promise<CampaignScheduleEntity> {
    const tz = await this.timezone(tenantId);
    assertCron(input.cron, tz);
    await this.campaigns.checkInput(tenantId, input.campaign);
    const active = input.active ?? true;
    const row = await this.schedules.insert(tenantId, {
      id: newId(),
      name: input.name.trim(),
      cron: input.cron.trim(),
      active,
      campaign: input.campaign as unknown as Record<string, unknown>,
      nextRunAt: active ? nextRun(input.cron, tz, this.clock.now()) : null,
      createdBy: actor.userId,
    });
    await this.audit.record(tenantId, actor, 'campaign_schedule.created', { type: 'campaign_schedule', id: row.id }, { cron: row.cron });
    return row;
  }

  async update(tenantId: TenantId, actor: Actor, id: string, patch: Partial<ScheduleInput>): Promise<CampaignScheduleEntity> {
    const current = await this.get(tenantId, id);
    const tz = await this.timezone(tenantId);
    const cron = patch.cron?.trim() ?? current.cron;
    assertCron(cron, tz);
    if (patch.campaign) await this.campaigns.checkInput(tenantId, patch.campaign);
    const active = patch.active ?? current.active;
    const row = await this.schedules.update(tenantId, id, {
      ...(patch.name ? { name: patch.name.trim() } : {}),
      cron,
      active,
      ...(patch.campaign ? { campaign: patch.campaign as unknown as Record<string, unknown> } : {}),
      nextRunAt: active ? nextRun(cron, tz, this.clock.now()) : null,
    });
    if (!row) throw new NotFoundError('Schedule', 'SCHEDULE_NOT_FOUND');
    await this.audit.record(tenantId, actor, 'campaign_schedule.updated', { type: 'campaign_schedule', id }, { fields: Object.keys(patch) });
    return row;
  }

  async remove(tenantId: TenantId, actor: Actor, id: string): Promise<void> {
    if (!(await this.schedules.remove(tenantId, id))) throw new NotFoundError('Schedule', 'SCHEDULE_NOT_FOUND');
    await this.audit.record(tenantId, actor, 'campaign_schedule.deleted', { type: 'campaign_schedule', id });
  }

  /** Runs every due schedule once (the sweep calls this every minute). */
  async runDue(): Promise<number> {
    const now = this.clock.now();
    let runs = 0;
    for (const due of await this.schedules.listDueUnscoped(now, 100)) {
      const schedule = await this.schedules.findById(due.tenantId, due.id);
      if (!schedule) continue;
      const tz = await this.timezone(due.tenantId);
      if (!(await this.schedules.claimRun(due.tenantId, due.id, due.nextRunAt, nextRun(schedule.cron, tz, now)))) continue;
      runs++;
      try {
        const input = schedule.campaign as unknown as CampaignInput;
        const local = due.nextRunAt.toISOString().slice(0, 16).replace('T', ' ');
        const campaign = await this.campaigns.create(
          due.tenantId,
          null,
          { ...input, title: `${input.title} (${local})` },
          { scheduleId: schedule.id },
        );
        await this.schedules.recordRunCampaign(due.tenantId, schedule.id, campaign.id);
        await this.campaigns.send(due.tenantId, null, campaign.id);
      } catch (err) {
        // The next run still comes; this one is recorded for the comune's staff to see.
        this.logger.warn({ event: 'schedule_run_failed', tenantId: due.tenantId, scheduleId: due.id, reason: (err as Error).message });
        await this.audit.record(
          due.tenantId,
          null,
          'campaign_schedule.run_failed',
          { type: 'campaign_schedule', id: due.id },
          { reason: (err as Error).message },
        );
      }
    }
    return runs;
  }

  private async timezone(tenantId: TenantId): Promise<string> {
    return (await this.tenants.findById(tenantId))?.timezone ?? 'Europe/Rome';
  }
}
