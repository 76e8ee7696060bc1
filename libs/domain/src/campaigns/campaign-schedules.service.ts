import { Injectable, Logger } from '@nestjs/common';
import { Clock, ConflictError, NotFoundError, asUserId, newId, type TenantId } from '#common';
import { CampaignScheduleRepository, TenantRepository, UserRepository, type CampaignScheduleEntity } from '#database';
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

/** Why a run acts with no more than an editor's rights although its author's role may be higher. */
type AuthorLimit = 'no_author_recorded' | 'author_not_found' | 'author_disabled';

/**
 * Recurring cadences: each due run creates a campaign from the schedule's fields and sends it
 * through the same path as a click on send by the person who wrote the schedule's content
 * (approval, launch threshold, capacity), so a schedule is no way around the comune's approval.
 * A run is claimed in Postgres, so it creates one campaign however many workers sweep.
 */
@Injectable()
export class CampaignSchedulesService {
  private readonly logger = new Logger('CampaignSchedules');

  constructor(
    private readonly schedules: CampaignScheduleRepository,
    private readonly tenants: TenantRepository,
    private readonly users: UserRepository,
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
      contentUpdatedBy: actor.userId,
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
      // Whoever sets the content answers for it, an admin taking over an editor's text included; a
      // rename, a pause or a new cron leaves the text, and so its author, as they were.
      ...(patch.campaign ? { campaign: patch.campaign as unknown as Record<string, unknown>, contentUpdatedBy: actor.userId } : {}),
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
      let actor: Actor | null = null;
      try {
        const runAs = await this.runActor(due.tenantId, schedule);
        actor = runAs.actor;
        const input = schedule.campaign as unknown as CampaignInput;
        const local = due.nextRunAt.toISOString().slice(0, 16).replace('T', ' ');
        const campaign = await this.campaigns.create(
          due.tenantId,
          actor,
          { ...input, title: `${input.title} (${local})` },
          { scheduleId: schedule.id },
        );
        // Before the send, so a run that waits for approval or fails is still the schedule's last.
        await this.schedules.recordRunCampaign(due.tenantId, schedule.id, campaign.id);
        const sent = await this.campaigns.send(due.tenantId, actor, campaign.id);
        await this.audit.record(
          due.tenantId,
          actor,
          'campaign_schedule.ran',
          { type: 'campaign_schedule', id: schedule.id },
          { campaignId: campaign.id, status: sent.status, ...(runAs.limit ? { limitedToEditor: runAs.limit } : {}) },
        );
      } catch (err) {
        // The next run still comes; this one is recorded for the comune's staff to see.
        this.logger.warn({ event: 'schedule_run_failed', tenantId: due.tenantId, scheduleId: due.id, reason: (err as Error).message });
        await this.audit.record(
          due.tenantId,
          actor,
          'campaign_schedule.run_failed',
          { type: 'campaign_schedule', id: due.id },
          { reason: (err as Error).message },
        );
      }
    }
    return runs;
  }

  /**
   * Who a run acts as: the author of the schedule's content, read again at each run as a signed-in
   * user is at each request, so a disabled account or a lower role counts from the next run on.
   * An author who can no longer act for the comune (disabled or gone), or none on record (schedules
   * written before authors were recorded), acts with no more than an editor's rights, so the run
   * waits for an admin whenever the comune requires approval; the audit still names the person.
   */
  private async runActor(tenantId: TenantId, schedule: CampaignScheduleEntity): Promise<{ actor: Actor; limit: AuthorLimit | null }> {
    const authorId = schedule.contentUpdatedBy;
    // Unscoped because operators belong to no comune; a user of another comune counts as unknown.
    const user = authorId ? await this.users.findByIdUnscoped(asUserId(authorId)) : null;
    const belongs = user !== null && (user.role === 'operator' || user.tenantId === tenantId);
    if (user && belongs && !user.disabled) return { actor: { userId: user.id, role: user.role, tenantId: user.tenantId }, limit: null };
    const limit: AuthorLimit = !authorId ? 'no_author_recorded' : !belongs ? 'author_not_found' : 'author_disabled';
    // With no author on record the schedule's creator is the only person it can be put down to.
    const responsible = authorId ?? schedule.createdBy;
    if (!responsible) {
      throw new ConflictError('the schedule records neither its author nor its creator: save its content again to run it', 'SCHEDULE_NO_AUTHOR');
    }
    return { actor: { userId: asUserId(responsible), role: 'editor', tenantId }, limit };
  }

  private async timezone(tenantId: TenantId): Promise<string> {
    return (await this.tenants.findById(tenantId))?.timezone ?? 'Europe/Rome';
  }
}
