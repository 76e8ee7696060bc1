import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  APP_CONFIG,
  Clock,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  newId,
  normalizePhone,
  withTimeout,
  type AppConfig,
  type NumberId,
  type TenantId,
} from '#common';
import {
  BusinessPortfolioRepository,
  CampaignRepository,
  OutboundMessageRepository,
  SubscriptionConfigRepository,
  TenantDb,
  TenantRepository,
  WhatsappNumberRepository,
  type AudienceCounts,
  type CampaignAudience,
  type CampaignEntity,
  type CampaignMedia,
  type CampaignPriority,
  type CampaignSettingsEntity,
  type CampaignSnapshotPlan as SnapshotPlan,
  type CampaignStatus,
  type Page,
  type PolicyGate,
  type PageRequest,
  type QueuedRun,
  type WhatsappNumberEntity,
} from '#database';
import { QueueProducer } from '#queue';
import { ProviderError } from '#whatsapp';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { OutboundService } from '../messaging/outbound.service.js';
import { PrivacyPoliciesService } from '../privacy-policies/privacy-policies.service.js';
import { NumberPacer } from '../messaging/number-pacer.js';
import { EMERGENCY_PRIORITY } from '../messaging/send-plan.js';
import { SendPlanner } from '../messaging/send-planner.js';
import { SubscribersService } from '../subscriptions/subscribers.service.js';
import { MediaUploadFailedError } from '../media/media-library.errors.js';
import { CampaignDispatchService } from './campaign-dispatch.service.js';
import { CampaignMediaService } from './campaign-media.service.js';
import { CHUNK_GROWTH, chunkLimit, chunkSize, firstChunkSize, splitChunk } from './snapshot-chunks.js';
import { assertCanApply, capacityFor, outboundPriority, parseScheduleTime, type CapacityView } from './campaign-rules.js';
import { MessageTemplatesService, type ResolvedMessageTemplate } from './message-templates.service.js';
import {
  buildTemplateContent,
  headerMediaProblem,
  mediaMessage,
  missingVariables,
  renderText,
  templateVariables,
  type SendableMedia,
} from './template-rendering.js';

export interface CampaignInput {
  title: string;
  messageTemplateId?: string | null;
  body?: string | null;
  variables?: Record<string, string>;
  media?: CampaignMedia | null;
  audience?: CampaignAudience;
  priority?: CampaignPriority;
  numberId?: string | null;
  capacityMode?: 'refuse' | 'split';
}

/** A request to accept a privacy policy version, sent as a campaign (see AcceptanceRequestsService). */
export interface PolicyRequestInput {
  title: string;
  policyVersionId: string;
  /** A reminder: also those an earlier request for the version reached. */
  includeAsked: boolean;
  messageTemplateId: string | null;
  body: string | null;
  variables: Record<string, string>;
  numberId: string | null;
}

export interface CampaignEstimate {
  audience: AudienceCounts;
  /** Recipients who would get the approved template (outside the window), and so use the portfolio's capacity. */
  outsideWindow: number;
  /** The category the out-of-window messages go as (the approved template's); 'service' when all are in the window. */
  category: 'utility' | 'marketing' | 'authentication' | null;
  capacity: CapacityView & { portfolioId: string | null; tier: string };
  /** Recipients that would go now and those a split would defer by 24 hours. */
  sendNow: number;
  deferredByCapacity: number;
  launch: { threshold: number | null; active: number; reached: boolean; overridden: boolean; broadcastsAllowed: boolean };
  problems: string[];
}

export interface CampaignStats {
  targeted: number;
  pending: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  skipped: number;
  cancelled: number;
  byStatus: Record<string, number>;
  failedByReason: { code: number | null; action: string | null; reason: string | null; count: number }[];
  skippedByReason: { reason: string | null; count: number }[];
  progressPercent: number;
  startedAt: Date | null;
  completedAt: Date | null;
  messagesPerSecond: number | null;
}

const DAY_MS = 24 * 3600_000;
/** A snapshot this large changes the partition enough that its statistics are refreshed at once. */
const ANALYZE_AFTER_ROWS = 2_000;
const WEEK_MS = 7 * DAY_MS;
/** A snapshot with no chunk committed for this long lost its start job: the sweep goes on with it. */
const SNAPSHOT_STALL_MS = 60_000;

/** Why a suspended comune's campaign does not go (refused, or failed at its scheduled time). */
const SUSPENDED_REASON = 'the comune is suspended by the consortium: nothing is sent until an operator makes it live again';

/** Why the launch threshold holds a comune's broadcasts back, or null. */
function launchBlock(launch: CampaignEstimate['launch']): string | null {
  if (launch.broadcastsAllowed) return null;
  return `broadcasts are blocked until the comune reaches its launch threshold: ${launch.active} of ${launch.threshold} active subscribers (an admin can override)`;
}

/** How long a pause or cancel waits for Redis to take the stop signal (see stopSending). */
const STOP_PUBLISH_TIMEOUT_MS = 1_000;

/**
 * Whether a campaign's snapshot may go on: it is sending or paused (a paused campaign's rows wait
 * in the queue) and its last chunk is not in yet; a cancelled campaign gets no more rows.
 */
function snapshotUnderway(c: CampaignEntity): boolean {
  return c.snapshotDoneAt === null && (c.status === 'sending' || c.status === 'paused');
}

/** What one chunk (or piece of one) of a snapshot wrote. */
interface SnapshotPiece {
  queued: QueuedRun;
  rows: number;
  skipped: number;
  last: boolean;
  ms: number;
}

/** A second piece found the campaign not as it was numbered for (its first piece rolled back, the audience changed, or the campaign was cancelled meanwhile). */
class SnapshotPieceAhead extends Error {
  constructor() {
    super('the first piece of the chunk did not commit the rows this piece was numbered after');
  }
}

/**
 * Campaigns from draft to completion: validation against the comune's templates and lists, the
 * audience estimate with window, marketing, cap and capacity figures, approval, scheduling, the
 * launch threshold, pause/resume/cancel, and the start: one INSERT ... SELECT snapshot of the
 * audience as outbound rows, enqueued as paced batches (docs/adr/0009).
 */
@Injectable()
export class CampaignsService {
  private readonly logger = new Logger('Campaigns');

  constructor(
    private readonly campaigns: CampaignRepository,
    private readonly numbers: WhatsappNumberRepository,
    private readonly tenants: TenantRepository,
    private readonly config: SubscriptionConfigRepository,
    private readonly portfolios: BusinessPortfolioRepository,
    private readonly templates: MessageTemplatesService,
    private readonly campaignMedia: CampaignMediaService,
    private readonly subscribers: SubscribersService,
    private readonly outbound: OutboundService,
    private readonly outboundRows: OutboundMessageRepository,
    private readonly planner: SendPlanner,
    private readonly producer: QueueProducer,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly db: TenantDb,
    private readonly policies: PrivacyPoliciesService,
    private readonly dispatch: CampaignDispatchService,
    private readonly pacer: NumberPacer,
    @Inject(APP_CONFIG) private readonly appConfig: AppConfig,
  ) {}

  list(tenantId: TenantId, page: PageRequest, filter: { status?: CampaignStatus } = {}): Promise<Page<CampaignEntity>> {
    return this.campaigns.list(tenantId, page, filter);
  }

  async get(tenantId: TenantId, id: string): Promise<CampaignEntity> {
    const c = await this.campaigns.findById(tenantId, id);
    if (!c) throw new NotFoundError('Campaign', 'CAMPAIGN_NOT_FOUND');
    return c;
  }

  async create(
    tenantId: TenantId,
    actor: Actor | null,
    input: CampaignInput,
    extra: { scheduleId?: string; alertId?: string } = {},
  ): Promise<CampaignEntity> {
    const checked = await this.validate(tenantId, input);
    const row = await this.campaigns.insert(tenantId, {
      id: newId(),
      tenantId,
      title: input.title.trim(),
      status: 'draft',
      priority: input.priority ?? 'normal',
      numberId: checked.number.id,
      messageTemplateId: input.messageTemplateId ?? null,
      body: input.body ?? null,
      variables: input.variables ?? {},
      media: checked.media,
      audience: checked.audience,
      category: checked.template?.approved?.category ?? null,
      capacityMode: input.capacityMode ?? 'refuse',
      scheduledAt: null,
      requestedAction: null,
      scheduleId: extra.scheduleId ?? null,
      alertId: extra.alertId ?? null,
      policyVersionId: null,
      createdBy: actor?.userId ?? null,
    });
    await this.audit.record(tenantId, actor, 'campaign.created', { type: 'campaign', id: row.id }, { title: row.title, priority: row.priority });
    return row;
  }

  /**
   * A request to accept a privacy policy version: a campaign like any other (the same checks,
   * snapshot, pacing and receipts), whose audience is the active subscribers who have not accepted
   * the version, without those an earlier request reached unless it is a reminder. Checked in full
   * before anything is written, then sent at once.
   */
  async startPolicyRequest(
    tenantId: TenantId,
    actor: Actor,
    input: PolicyRequestInput,
  ): Promise<{ campaign: CampaignEntity; estimate: CampaignEstimate }> {
    const audience: CampaignAudience = { policyPending: { versionId: input.policyVersionId, includeAsked: input.includeAsked } };
    const checked = await this.validate(tenantId, { ...input, audience });
    const fields = {
      id: newId(),
      tenantId,
      title: input.title,
      status: 'draft' as const,
      priority: 'normal' as const,
      numberId: checked.number.id,
      messageTemplateId: input.messageTemplateId,
      body: input.body,
      variables: input.variables,
      media: null,
      audience: checked.audience,
      category: checked.template?.approved?.category ?? null,
      capacityMode: 'refuse' as const,
      scheduledAt: null,
      requestedAction: null,
      scheduleId: null,
      alertId: null,
      policyVersionId: input.policyVersionId,
      createdBy: actor.userId,
    };
    const draft: CampaignEntity = {
      ...fields,
      targeted: 0,
      skipped: 0,
      deferred: 0,
      failureReason: null,
      approvedBy: null,
      approvedAt: null,
      startedAt: null,
      snapshotPlan: null,
      snapshotDoneAt: null,
      pausedAt: null,
      completedAt: null,
      cancelledAt: null,
      createdAt: this.clock.now(),
      updatedAt: this.clock.now(),
    };
    // The launch threshold and the portfolio's capacity, as for any campaign, before the row exists.
    await this.assertMaySend(tenantId, draft);
    const estimate = await this.estimateFor(tenantId, draft);
    const row = await this.campaigns.insert(tenantId, fields);
    await this.audit.record(
      tenantId,
      actor,
      'campaign.created',
      { type: 'campaign', id: row.id },
      { title: row.title, priority: row.priority, policyVersionId: input.policyVersionId },
    );
    return { campaign: await this.queueStart(tenantId, actor, row, ['draft'], null), estimate };
  }

  /** Checks a campaign's fields without creating it (recurring schedules store them for later runs). */
  async checkInput(tenantId: TenantId, input: CampaignInput): Promise<void> {
    await this.validate(tenantId, input);
  }

  async update(tenantId: TenantId, actor: Actor, id: string, patch: Partial<CampaignInput>): Promise<CampaignEntity> {
    const current = await this.get(tenantId, id);
    assertCanApply(current.status, 'edit');
    if (current.policyVersionId) {
      throw new ConflictError('a request to accept the privacy policy is not edited: cancel it and ask again', 'CAMPAIGN_STATE');
    }
    const merged: CampaignInput = {
      title: patch.title ?? current.title,
      messageTemplateId: patch.messageTemplateId !== undefined ? patch.messageTemplateId : current.messageTemplateId,
      body: patch.body !== undefined ? patch.body : current.body,
      variables: patch.variables ?? current.variables,
      media: patch.media !== undefined ? patch.media : current.media,
      audience: patch.audience ?? current.audience,
      priority: patch.priority ?? current.priority,
      numberId: patch.numberId ?? current.numberId,
      capacityMode: patch.capacityMode ?? current.capacityMode,
    };
    const checked = await this.validate(tenantId, merged);
    const row = await this.campaigns.transition(tenantId, id, ['draft'], {
      title: merged.title.trim(),
      messageTemplateId: merged.messageTemplateId ?? null,
      body: merged.body ?? null,
      variables: merged.variables ?? {},
      media: checked.media,
      audience: checked.audience,
      priority: merged.priority ?? 'normal',
      numberId: checked.number.id,
      capacityMode: merged.capacityMode ?? 'refuse',
      category: checked.template?.approved?.category ?? null,
    });
    if (!row) throw new ConflictError('the campaign changed state meanwhile', 'CAMPAIGN_STATE');
    await this.audit.record(tenantId, actor, 'campaign.updated', { type: 'campaign', id }, { fields: Object.keys(patch) });
    return row;
  }

  /**
   * Everything that must hold before a campaign can exist: the number is the comune's, the template
   * and lists are the comune's, no variable is missing, and — the rule editors most need to hear
   * early — recipients outside the 24-hour window can only be reached with an approved template.
   */
  private async validate(
    tenantId: TenantId,
    input: CampaignInput,
  ): Promise<{ number: WhatsappNumberEntity; template: ResolvedMessageTemplate | null; audience: CampaignAudience; media: CampaignMedia | null }> {
    const hasTemplate = Boolean(input.messageTemplateId);
    const hasBody = input.body !== undefined && input.body !== null && input.body.trim() !== '';
    if (hasTemplate === hasBody) throw new ValidationError('give either messageTemplateId or body (free text), not both and not neither');
    const number = await this.pickNumber(tenantId, input.numberId ?? null);
    const template = hasTemplate ? await this.templates.resolve(tenantId, input.messageTemplateId!) : null;
    const media = await this.campaignMedia.check(tenantId, input.media);
    const body = template ? template.template.body : input.body!;
    const names = template ? template.variables : templateVariables(body);
    const missing = missingVariables(names, input.variables ?? {});
    if (missing.length > 0) throw new ValidationError(`missing variables: ${missing.join(', ')}`, { missing }, 'MISSING_VARIABLES');
    if (media && renderText(body, { ...(input.variables ?? {}), comune: 'x' }, { nome: 'x', cognome: 'x', frazione: 'x' }).length > 1024) {
      throw new ValidationError('with media attached the text is a caption, which WhatsApp limits to 1,024 characters');
    }
    const audience = await this.checkAudience(tenantId, input.audience ?? {});
    if (template?.approved && template.approved.status !== 'APPROVED') {
      throw new ValidationError(
        `the WhatsApp template ${template.approved.name} (${template.approved.language}) is ${template.approved.status}: only an APPROVED template can be sent`,
        undefined,
        'TEMPLATE_NOT_APPROVED',
      );
    }
    if (template?.approved) {
      const headerProblem = headerMediaProblem(template.approved, media);
      if (headerProblem) throw new ValidationError(headerProblem, undefined, 'TEMPLATE_HEADER_MEDIA');
      // Meta's own limits on the parameters, checked now with a sample recipient rather than at send time.
      buildTemplateContent(
        template.approved,
        { ...(input.variables ?? {}), comune: 'x' },
        { nome: null, cognome: null, frazione: null },
        media ? { kind: media.kind, ...(media.link ? { link: media.link } : { providerMediaId: 'uploaded-at-start' }) } : null,
      );
    }
    if (!template?.approved) {
      const counts = await this.campaigns.countAudience(tenantId, number.id, audience, null);
      // inWindow counts only recipients who will not be skipped; the unreachable are skipped anyway.
      const outside = counts.total - counts.unreachable - counts.inWindow;
      if (outside > 0) {
        throw new ValidationError(
          `${outside} of ${counts.total} recipients have not written to the comune in the last 24 hours: WhatsApp only allows an approved template to reach them, and this campaign has none (link the message template to an approved WhatsApp template)`,
          { outsideWindow: outside, total: counts.total },
          'NO_APPROVED_TEMPLATE',
        );
      }
    }
    return { number, template, audience, media };
  }

  private async pickNumber(tenantId: TenantId, numberId: string | null): Promise<WhatsappNumberEntity> {
    if (numberId) {
      const n = await this.numbers.findById(tenantId, numberId as NumberId);
      if (!n) throw new NotFoundError('Number', 'NUMBER_NOT_FOUND');
      if (n.status === 'disabled') throw new ValidationError('this number is disabled and sends nothing', undefined, 'NUMBER_DISABLED');
      return n;
    }
    const all = await this.numbers.list(tenantId, { limit: 100, offset: 0 });
    const n = all.items.find((x) => x.status === 'active') ?? all.items.find((x) => x.status === 'paused');
    if (!n) throw new ValidationError('the comune has no active WhatsApp number to send from', undefined, 'NO_NUMBER');
    return n;
  }

  private async checkAudience(tenantId: TenantId, audience: CampaignAudience): Promise<CampaignAudience> {
    const lists = await this.config.lists(tenantId);
    const known = new Set(lists.map((l) => l.id));
    for (const id of audience.listIds ?? []) if (!known.has(id)) throw new NotFoundError('List', 'LIST_NOT_FOUND');
    for (const d of [audience.subscribedAfter, audience.subscribedBefore]) {
      if (d !== undefined && Number.isNaN(Date.parse(d))) throw new ValidationError(`${d} is not a date`);
    }
    return {
      // Only the service's own requests to accept a policy version carry this (no DTO accepts it).
      ...(audience.policyPending ? { policyPending: audience.policyPending } : {}),
      ...(audience.listIds?.length ? { listIds: [...new Set(audience.listIds)] } : {}),
      ...(audience.frazioni?.length ? { frazioni: audience.frazioni } : {}),
      ...(audience.tags?.length ? { tags: audience.tags } : {}),
      ...(audience.subscribedAfter ? { subscribedAfter: new Date(audience.subscribedAfter).toISOString() } : {}),
      ...(audience.subscribedBefore ? { subscribedBefore: new Date(audience.subscribedBefore).toISOString() } : {}),
    };
  }

  async estimate(tenantId: TenantId, id: string): Promise<CampaignEstimate> {
    const c = await this.get(tenantId, id);
    return this.estimateFor(tenantId, c);
  }

  /** `known`: what the caller has read already (start() reads it for its own decisions). */
  private async estimateFor(
    tenantId: TenantId,
    c: CampaignEntity,
    known?: {
      settings: CampaignSettingsEntity | null;
      frequencyCap: { perWeek: number; campaignIds: string[] } | null;
      policyGate: PolicyGate | null;
      number: WhatsappNumberEntity | null;
      launch: CampaignEstimate['launch'] | null;
    },
  ): Promise<CampaignEstimate> {
    const settings = known ? known.settings : await this.campaigns.getSettings(tenantId);
    const cap = known ? known.frequencyCap : await this.frequencyCap(tenantId, c, settings);
    const gate = known ? known.policyGate : await this.policyGate(tenantId, c);
    const audience = await this.campaigns.countAudience(tenantId, c.numberId, c.audience, cap, gate);
    const number = known ? known.number : await this.numbers.findById(tenantId, c.numberId);
    const portfolioId = number?.businessPortfolioId ?? null;
    const portfolio = portfolioId ? await this.portfolios.findUnscoped(portfolioId) : null;
    // Meta reports the portfolio's tier on each of its numbers (phone_number_quality_update).
    const tier = number?.messagingTier ?? 'tier_250';
    const used = await this.portfolios.usedUnscoped(portfolioId, c.numberId, new Date(Date.now() - DAY_MS));
    const capacity = capacityFor(tier, used, portfolio?.emergencyReserve ?? 0, c.priority);
    const reachable = audience.total - audience.unreachable - audience.frequencyCapped - audience.policyPaused;
    const outsideWindow = Math.max(0, reachable - audience.inWindow);
    const sendNow = capacity.available === null ? reachable : Math.min(reachable, audience.inWindow + capacity.available);
    const launch = known?.launch ?? (await this.subscribers.launch(tenantId));
    const problems: string[] = [];
    if (!launch.broadcastsAllowed)
      problems.push(`the comune has ${launch.active} active subscribers, below its launch threshold of ${launch.threshold}`);
    if (sendNow < reachable && c.capacityMode === 'refuse') {
      problems.push(
        `the portfolio can reach ${capacity.available} more people outside the window in the next 24 hours; this campaign needs ${outsideWindow}`,
      );
    }
    return {
      audience,
      outsideWindow,
      category: outsideWindow > 0 ? c.category : null,
      capacity: { ...capacity, portfolioId, tier },
      sendNow,
      deferredByCapacity: reachable - sendNow,
      launch,
      problems,
    };
  }

  private async frequencyCap(
    tenantId: TenantId,
    c: CampaignEntity,
    settings: CampaignSettingsEntity | null,
  ): Promise<{ perWeek: number; campaignIds: string[] } | null> {
    if (c.priority === 'emergency' || c.policyVersionId || !settings?.frequencyCapPerWeek) return null;
    const ids = (await this.campaigns.recentNormalCampaignIds(tenantId, new Date(Date.now() - WEEK_MS))).filter((x) => x !== c.id);
    return { perWeek: settings.frequencyCapPerWeek, campaignIds: ids };
  }

  /** Send now: to approval first when the comune requires it, then start. */
  async send(tenantId: TenantId, actor: Actor | null, id: string, opts: { consortiumAlert?: boolean } = {}): Promise<CampaignEntity> {
    const c = await this.get(tenantId, id);
    assertCanApply(c.status, 'send');
    await this.assertMaySend(tenantId, c, opts.consortiumAlert === true);
    if (await this.needsApproval(tenantId, actor, c)) return this.toApproval(tenantId, actor, c, 'send', null);
    return this.queueStart(tenantId, actor, c, ['draft'], null);
  }

  /** Schedules at a time given in the comune's timezone (or with an explicit offset). */
  async schedule(tenantId: TenantId, actor: Actor | null, id: string, at: string): Promise<CampaignEntity> {
    const c = await this.get(tenantId, id);
    assertCanApply(c.status, 'schedule');
    const tenant = await this.tenants.findById(tenantId);
    const when = parseScheduleTime(at, tenant?.timezone ?? 'Europe/Rome');
    if (when.getTime() <= this.clock.now().getTime()) throw new ValidationError('scheduledAt must be in the future');
    await this.assertMaySend(tenantId, c);
    if (await this.needsApproval(tenantId, actor, c)) return this.toApproval(tenantId, actor, c, 'schedule', when);
    return this.queueStart(tenantId, actor, c, ['draft'], when);
  }

  async approve(tenantId: TenantId, actor: Actor, id: string): Promise<CampaignEntity> {
    const c = await this.get(tenantId, id);
    assertCanApply(c.status, 'approve');
    if (actor.role === 'editor') throw new ForbiddenError("only the comune's admin can approve a campaign", 'APPROVAL_REQUIRES_ADMIN');
    await this.assertMaySend(tenantId, c);
    const at = c.requestedAction === 'schedule' && c.scheduledAt && c.scheduledAt > this.clock.now() ? c.scheduledAt : null;
    // The approval and the start in one transition: of admins approving at once, one wins, and only
    // its approval is recorded (the others get a 409).
    return this.queueStart(tenantId, actor, c, ['awaiting_approval'], at, { approvedBy: actor.userId, approvedAt: new Date() });
  }

  async reject(tenantId: TenantId, actor: Actor, id: string, reason: string): Promise<CampaignEntity> {
    const c = await this.get(tenantId, id);
    assertCanApply(c.status, 'reject');
    if (actor.role === 'editor') throw new ForbiddenError("only the comune's admin can reject a campaign", 'APPROVAL_REQUIRES_ADMIN');
    const row = await this.campaigns.transition(tenantId, id, ['awaiting_approval'], {
      status: 'draft',
      requestedAction: null,
      scheduledAt: null,
      failureReason: `rejected: ${reason}`,
    });
    if (!row) throw new ConflictError('the campaign changed state meanwhile', 'CAMPAIGN_STATE');
    await this.audit.record(tenantId, actor, 'campaign.rejected', { type: 'campaign', id }, { reason });
    return row;
  }

  async pause(tenantId: TenantId, actor: Actor, id: string): Promise<CampaignEntity> {
    const c = await this.get(tenantId, id);
    assertCanApply(c.status, 'pause');
    const row = await this.campaigns.transition(tenantId, id, ['sending'], { status: 'paused', pausedAt: new Date() });
    if (!row) throw new ConflictError('the campaign changed state meanwhile', 'CAMPAIGN_STATE');
    await this.stopSending(tenantId, id);
    await this.audit.record(tenantId, actor, 'campaign.paused', { type: 'campaign', id });
    return row;
  }

  /** Resumes from where it stopped: the remaining queued recipients are planned again from now. */
  async resume(tenantId: TenantId, actor: Actor, id: string): Promise<CampaignEntity> {
    const c = await this.get(tenantId, id);
    assertCanApply(c.status, 'resume');
    await this.assertNotSuspended(tenantId);
    const row = await this.campaigns.transition(tenantId, id, ['paused'], { status: 'sending', pausedAt: null });
    if (!row) throw new ConflictError('the campaign changed state meanwhile', 'CAMPAIGN_STATE');
    const queued = await this.outboundRows.listQueuedOfCampaign(tenantId, id);
    await this.planner.enqueue(
      queued.map((q) => ({ ...q, nextAttemptAt: q.nextAttemptAt && q.nextAttemptAt > new Date() ? q.nextAttemptAt : null })),
    );
    await this.audit.record(tenantId, actor, 'campaign.resumed', { type: 'campaign', id }, { remaining: queued.length });
    await this.campaigns.completeIfDone(tenantId, [id]);
    return row;
  }

  async cancel(tenantId: TenantId, actor: Actor, id: string): Promise<CampaignEntity> {
    const c = await this.get(tenantId, id);
    assertCanApply(c.status, 'cancel');
    const moved = await this.campaigns.transitionFrom(tenantId, id, ['draft', 'awaiting_approval', 'scheduled', 'sending', 'paused'], {
      status: 'cancelled',
      cancelledAt: new Date(),
    });
    if (!moved) throw new ConflictError('the campaign changed state meanwhile', 'CAMPAIGN_STATE');
    const { row, previous } = moved;
    // By the status the cancel replaced, not the one read above: a start may have committed in
    // between, and its first batches hold slots.
    if (previous === 'sending' || previous === 'paused') await this.stopSending(tenantId, id);
    const cancelled = await this.campaigns.cancelQueued(tenantId, id);
    await this.audit.record(tenantId, actor, 'campaign.cancelled', { type: 'campaign', id }, { notSent: cancelled });
    return row;
  }

  /** Sends the campaign as one recipient would get it to a phone of the editor's, marked as a test. */
  async testSend(tenantId: TenantId, actor: Actor, id: string, to: string): Promise<{ outboundMessageId: string; as: 'text' | 'template' }> {
    const c = await this.get(tenantId, id);
    await this.assertNotSuspended(tenantId);
    const phone = normalizePhone(to);
    if (!phone.ok) throw new ValidationError(phone.reason, undefined, 'INVALID_PHONE');
    const e164 = phone.e164;
    const tenant = await this.tenants.findById(tenantId);
    const resolved = c.messageTemplateId ? await this.templates.resolve(tenantId, c.messageTemplateId) : null;
    const values = { ...c.variables, comune: tenant?.displayName ?? '' };
    const recipient = { nome: null, cognome: null, frazione: null };
    const body = resolved?.template.body ?? c.body ?? '';
    let media: SendableMedia | null;
    try {
      media = await this.campaignMedia.sendable(tenantId, c.numberId, c.media);
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      throw new MediaUploadFailedError(err.message);
    }
    const asText = async (): Promise<string> => {
      const text = `[PROVA] ${renderText(body, values, recipient)}`;
      const row = await this.outbound.send(tenantId, {
        numberId: c.numberId,
        to: { kind: 'phone', e164 },
        content: media ? mediaMessage(media, text.slice(0, 1024)) : { type: 'text', body: text, previewUrl: true },
        kind: 'test',
        category: 'service',
      });
      return row.id;
    };
    let result: { outboundMessageId: string; as: 'text' | 'template' };
    try {
      result = { outboundMessageId: await asText(), as: 'text' };
    } catch (err) {
      if (!(err instanceof ValidationError) || err.code !== 'WINDOW_CLOSED' || !resolved?.approved) throw err;
      const row = await this.outbound.send(tenantId, {
        numberId: c.numberId,
        to: { kind: 'phone', e164 },
        content: buildTemplateContent(resolved.approved, values, recipient, media),
        kind: 'test',
        category: resolved.approved.category,
      });
      result = { outboundMessageId: row.id, as: 'template' };
    }
    await this.audit.record(tenantId, actor, 'campaign.test_sent', { type: 'campaign', id }, { as: result.as });
    return result;
  }

  async stats(tenantId: TenantId, id: string): Promise<CampaignStats> {
    const c = await this.get(tenantId, id);
    const k = await this.campaigns.counts(tenantId, id);
    const pending = k.queued + k.sending + k.unknown;
    const done = k.targeted - pending;
    const seconds = k.firstAcceptedAt && k.lastAcceptedAt ? (k.lastAcceptedAt.getTime() - k.firstAcceptedAt.getTime()) / 1000 : null;
    const goneOut = k.accepted + k.sent + k.delivered + k.read;
    return {
      targeted: k.targeted,
      pending,
      sent: goneOut,
      delivered: k.delivered + k.read,
      read: k.read,
      failed: k.failed,
      skipped: k.skipped,
      cancelled: k.cancelled,
      byStatus: {
        queued: k.queued,
        sending: k.sending,
        unknown: k.unknown,
        accepted: k.accepted,
        sent: k.sent,
        delivered: k.delivered,
        read: k.read,
        failed: k.failed,
        skipped: k.skipped,
        cancelled: k.cancelled,
      },
      failedByReason: k.failedByReason,
      skippedByReason: k.skippedByReason,
      progressPercent: k.targeted === 0 ? (c.status === 'completed' ? 100 : 0) : Math.round((done / k.targeted) * 1000) / 10,
      startedAt: c.startedAt,
      completedAt: c.completedAt,
      messagesPerSecond: seconds && seconds > 0 ? Math.round((goneOut / seconds) * 10) / 10 : null,
    };
  }

  getSettings(tenantId: TenantId): Promise<CampaignSettingsEntity> {
    return this.campaigns.saveSettings(tenantId, {});
  }

  async updateSettings(
    tenantId: TenantId,
    actor: Actor,
    input: Partial<Omit<CampaignSettingsEntity, 'tenantId' | 'updatedAt'>>,
  ): Promise<CampaignSettingsEntity> {
    const patch = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as typeof input;
    if (patch.quietHoursStart !== undefined || patch.quietHoursEnd !== undefined) {
      // Quiet hours are a pair: what the comune would have after this change, both set or neither.
      const current = await this.campaigns.getSettings(tenantId);
      const start = patch.quietHoursStart !== undefined ? patch.quietHoursStart : (current?.quietHoursStart ?? null);
      const end = patch.quietHoursEnd !== undefined ? patch.quietHoursEnd : (current?.quietHoursEnd ?? null);
      if ((start === null) !== (end === null)) {
        throw new ValidationError('set quietHoursStart and quietHoursEnd together (both null to remove quiet hours)', {
          fields: ['quietHoursStart', 'quietHoursEnd'],
        });
      }
    }
    const row = await this.campaigns.saveSettings(tenantId, patch);
    await this.audit.record(
      tenantId,
      actor,
      'campaign_settings.updated',
      { type: 'campaign_settings', id: tenantId },
      { fields: Object.keys(patch) },
    );
    return row;
  }

  // ----- start (worker) -----

  /**
   * Starts a scheduled campaign: wins the scheduled → sending transition once, snapshots the
   * audience as outbound rows and enqueues them as paced batches. Idempotent: a second start finds
   * the campaign no longer scheduled, and the rows are unique per (campaign, subscriber).
   */
  async start(tenantId: TenantId, id: string): Promise<void> {
    const c = await this.campaigns.findById(tenantId, id);
    if (!c) return;
    // A start interrupted between two chunks of its snapshot (a worker died) goes on where it stopped.
    if (snapshotUnderway(c) && c.snapshotPlan !== null) {
      await this.materialiseRest(tenantId, id, c.snapshotPlan);
      return;
    }
    if (c.status !== 'scheduled') return;
    if (c.scheduledAt && c.scheduledAt.getTime() > this.clock.now().getTime() + 1000) return;
    const launch = c.alertId ? null : await this.subscribers.launch(tenantId);
    const suspended = (await this.tenants.findById(tenantId))?.status === 'suspended';
    const blocked =
      (suspended ? SUSPENDED_REASON : null) ?? (launch ? launchBlock(launch) : null) ?? (await this.campaignMedia.prepareForStart(tenantId, c));
    if (blocked) {
      await this.campaigns.transition(tenantId, id, ['scheduled'], { status: 'failed', failureReason: blocked });
      await this.audit.record(tenantId, null, 'campaign.failed', { type: 'campaign', id }, { reason: blocked });
      return;
    }
    const number = await this.numbers.findById(tenantId, c.numberId);
    const settings = await this.campaigns.getSettings(tenantId);
    const frequencyCap = await this.frequencyCap(tenantId, c, settings);
    const policyGate = await this.policyGate(tenantId, c);
    // The audience count is only needed where the portfolio's tier limits the reach.
    const est =
      number?.messagingTier !== 'unlimited' ? await this.estimateFor(tenantId, c, { settings, frequencyCap, policyGate, number, launch }) : null;
    if (est && est.deferredByCapacity > 0 && c.capacityMode === 'refuse') {
      const reason = est.problems.find((p) => p.startsWith('the portfolio')) ?? 'over the portfolio capacity';
      await this.campaigns.transition(tenantId, id, ['scheduled'], { status: 'failed', failureReason: reason });
      await this.audit.record(tenantId, null, 'campaign.failed', { type: 'campaign', id }, { reason });
      return;
    }
    const rate = Math.max(0.1, (number?.mpsCap ?? 80) * this.appConfig.whatsapp.pacingShare);
    const plan: SnapshotPlan = {
      numberId: c.numberId,
      category: c.category,
      priority: outboundPriority(c.priority),
      start: new Date().toISOString(),
      intervalMs: 1000 / rate,
      // Over capacity: the recipients inside the window all go now (they use none of it), and of
      // those outside it as many as the capacity the estimate found; the snapshot decides who, per row.
      immediate: est && est.deferredByCapacity > 0 ? est.capacity.available : null,
      frequencyCap,
      policyGate,
      firstChunk: firstChunkSize(rate),
    };
    const t0 = Date.now();
    // The transition to 'sending' and the first chunk of the snapshot commit together; the
    // campaign counts as complete only once the last chunk is in (snapshot_done_at).
    const first = await this.db.forTenant(tenantId, async () => {
      const started = await this.campaigns.transition(tenantId, id, ['scheduled'], { status: 'sending', startedAt: new Date(), snapshotPlan: plan });
      if (!started) return null;
      return this.snapshotChunk(tenantId, started, plan, { limit: plan.firstChunk, after: null });
    });
    if (!first) return;
    // The start runs in a worker: the batches it is about to queue find their campaign read. Waited
    // for only at the end, beside the next chunks (it never fails).
    const warming = this.dispatch.warm(tenantId, id);
    await this.enqueueChunk(tenantId, c.numberId, id, plan, first.queued);
    let rest = { rows: 0, queued: 0, skipped: 0 };
    if (!first.last) rest = await this.materialiseRest(tenantId, id, plan, plan.firstChunk * CHUNK_GROWTH);
    else await this.afterSnapshot(tenantId, id, first.rows);
    await warming;
    const queued = first.queued.length + rest.queued;
    const skipped = first.skipped + rest.skipped;
    this.logger.log(
      { event: 'campaign_started', tenantId, campaignId: id, queued, skipped, firstChunk: first.rows, firstChunkMs: first.ms, ms: Date.now() - t0 },
      'campaign started',
    );
    await this.audit.record(tenantId, null, 'campaign.started', { type: 'campaign', id }, { queued, skipped });
  }

  /**
   * The snapshot's later chunks, each growing CHUNK_GROWTH times (or the whole rest, see
   * chunkSize), each in its own transaction that locks the campaign and reads where the snapshot
   * stands (so a second caller, a retried start job or the sweep, only ever continues it), each
   * enqueued as soon as it commits. A chunk's jobs go
   * to Redis while the next chunk is written to PostgreSQL (one enqueue in flight at a time); rows
   * committed whose jobs failed to go are the sweep's, as any queued row without a job.
   */
  private async materialiseRest(
    tenantId: TenantId,
    id: string,
    plan: SnapshotPlan,
    size = plan.firstChunk * CHUNK_GROWTH,
  ): Promise<{ rows: number; queued: number; skipped: number }> {
    const total = { rows: 0, queued: 0, skipped: 0 };
    // The previous chunk's enqueue, in flight while the next chunk is written; awaited (and its
    // failure thrown) before another starts. Marked handled meanwhile, so a failure waits its turn.
    let enqueuing: Promise<void> | null = null;
    // How much of the audience is still to be written, counted with the first of these chunks.
    let left: number | null = null;
    // A chunk's second piece, in flight on its own connection while the first is written: never
    // left behind, even when the first piece fails (it then rolls back: secondPiece).
    const inFlight: { second: Promise<SnapshotPiece | null> | null } = { second: null };
    try {
      for (let grown = size; ; grown *= CHUNK_GROWTH) {
        // A large chunk goes in two pieces written at once on two connections (splitChunk): this
        // transaction writes the first, the second piece the rest, committed only after this one.
        const chunk = await this.db.forTenant(tenantId, async () => {
          const locked = await this.campaigns.lockForSnapshot(tenantId, id);
          // Cancelled meanwhile: nothing more is materialised. Paused: the rows wait in the queue.
          if (!locked || !snapshotUnderway(locked)) return null;
          const after = locked.targeted > 0 ? await this.campaigns.snapshotLastSubscriber(tenantId, id) : null;
          left ??= await this.campaigns.countAudienceAfter(tenantId, locked, after);
          const limit = chunkLimit(chunkSize(grown, locked.targeted, left, 1000 / plan.intervalMs), left);
          // Halves of what the chunk will find (all that is left, when its limit is more); the second
          // piece keeps the rest of the limit, for subscribers who joined since the count. A capacity
          // split's chunk goes whole: who of it goes now depends on how much of the capacity the rows
          // before it used, which a piece written beside the first cannot know (ADR 0009).
          const pieces = plan.immediate === null ? splitChunk(Math.min(limit, left)) : null;
          const cut = pieces ? await this.campaigns.audienceSubscriberAt(tenantId, locked, after, pieces[0]) : null;
          if (!pieces || cut === null) return { first: await this.snapshotChunk(tenantId, locked, plan, { limit, after }), second: null };
          const second = this.secondPiece(tenantId, locked, plan, { limit: limit - pieces[0], after: cut, offset: locked.targeted + pieces[0] });
          inFlight.second = second;
          // The first piece goes by the cut alone: a subscriber who joined before it since the cut was
          // found makes it one row longer (and the second piece roll back), where a limit would leave
          // out the subscriber at the cut, the second piece starting after it.
          return { first: await this.snapshotChunk(tenantId, locked, plan, { limit, after, upTo: cut, last: false }), second };
        });
        await enqueuing;
        enqueuing = null;
        if (!chunk) break;
        const taken = [chunk.first];
        enqueuing = this.enqueueChunk(tenantId, plan.numberId, id, plan, chunk.first.queued);
        enqueuing.catch(() => undefined);
        const piece = await chunk.second;
        inFlight.second = null;
        if (piece) {
          // After the first piece's jobs, without waiting for them here: the next chunk is written
          // meanwhile (a failure of either is thrown once that chunk is in, as any enqueue's).
          taken.push(piece);
          enqueuing = enqueuing.then(() => this.enqueueChunk(tenantId, plan.numberId, id, plan, piece.queued));
          enqueuing.catch(() => undefined);
        }
        for (const t of taken) {
          total.rows += t.rows;
          total.queued += t.queued.length;
          total.skipped += t.skipped;
          left = Math.max(0, (left ?? 0) - t.rows);
        }
        if (taken[taken.length - 1].last) break;
      }
      await enqueuing;
    } finally {
      // Never leave an enqueue behind, even when a chunk failed (that chunk's error is the one thrown).
      await enqueuing?.catch(() => undefined);
      await inFlight.second;
    }
    await this.afterSnapshot(tenantId, id, total.rows);
    return total;
  }

  private async afterSnapshot(tenantId: TenantId, id: string, rows: number): Promise<void> {
    // After the first batches are on their way: claims do not depend on it, later queries do.
    if (rows >= ANALYZE_AFTER_ROWS) await this.campaigns.analyzeOutbound(tenantId);
    // Everyone skipped, or everything sent while the last chunks went in.
    await this.campaigns.completeIfDone(tenantId, [id]);
  }

  /**
   * The second piece of a chunk split in two (splitChunk), in a transaction of its own beside the
   * first's: its rows are numbered after the first piece's, so it commits only once the first has,
   * with exactly that many rows, and the campaign still sending or paused (it waits for the first
   * piece's lock on the campaign, then reads it). Otherwise, or on any error, it rolls back and
   * resolves null: the next chunk takes its subscribers, after the first piece's last.
   */
  private async secondPiece(
    tenantId: TenantId,
    c: CampaignEntity,
    plan: SnapshotPlan,
    piece: { limit: number; after: string; offset: number },
  ): Promise<SnapshotPiece | null> {
    try {
      return await this.db.forTenantApart(tenantId, () =>
        this.snapshotChunk(tenantId, c, plan, { limit: piece.limit, after: piece.after, offset: piece.offset, expectTargeted: piece.offset }),
      );
    } catch (err) {
      if (!(err instanceof SnapshotPieceAhead)) {
        this.logger.warn(
          { event: 'snapshot_piece_rolled_back', tenantId, campaignId: c.id, reason: (err as Error).message },
          'second piece of a snapshot chunk rolled back: the next chunk writes its rows',
        );
      }
      return null;
    }
  }

  /**
   * One chunk of the snapshot, in the caller's transaction: the next `limit` subscribers of the
   * audience after `after` (up to `upTo`), the last one already in, numbered after `offset` rows
   * (the campaign's `targeted` when left out). `last` is left to the row count unless given.
   */
  private async snapshotChunk(
    tenantId: TenantId,
    c: CampaignEntity,
    plan: SnapshotPlan,
    chunk: { limit: number; after: string | null; upTo?: string; offset?: number; last?: boolean; expectTargeted?: number },
  ): Promise<SnapshotPiece> {
    const { limit: size, after } = chunk;
    const t0 = Date.now();
    const snap = await this.campaigns.materialise(
      tenantId,
      c,
      {
        numberId: plan.numberId,
        category: plan.category,
        priority: plan.priority,
        start: new Date(plan.start),
        intervalMs: plan.intervalMs,
        immediate: plan.immediate,
        frequencyCap: plan.frequencyCap,
        policyGate: plan.policyGate ?? null,
      },
      { after, upTo: chunk.upTo ?? null, limit: size, offset: chunk.offset ?? c.targeted },
    );
    if (snap.withoutContact > 0) {
      // The last row this transaction sees is its own: a piece beside it has not committed.
      const upTo = await this.campaigns.snapshotLastSubscriber(tenantId, c.id);
      if (upTo !== null) await this.campaigns.attachContacts(tenantId, plan.numberId, c.id, after, upTo);
    }
    if (chunk.expectTargeted !== undefined) {
      // A second piece: waits here for the first piece's transaction (its lock on the campaign),
      // then reads the campaign as that left it.
      const now = await this.campaigns.lockForSnapshot(tenantId, c.id);
      if (!now || now.targeted !== chunk.expectTargeted || !snapshotUnderway(now)) {
        throw new SnapshotPieceAhead();
      }
    }
    const last = chunk.last ?? snap.rows < size;
    await this.campaigns.addSnapshotChunk(tenantId, c.id, {
      rows: snap.rows,
      skipped: snap.skipped,
      deferred: snap.deferred,
      capacityUsed: snap.capacityUsed,
      last,
    });
    return { queued: snap.queued, rows: snap.rows, skipped: snap.skipped, last, ms: Date.now() - t0 };
  }

  private async enqueueChunk(tenantId: TenantId, numberId: NumberId, campaignId: string, plan: SnapshotPlan, queued: QueuedRun): Promise<void> {
    // The rows a capacity split defers go in jobs of their own: a job that carried rows of both
    // would come now, claim only the rows due, and leave the others to the sweep the next day.
    for (const [from, to] of [
      [0, queued.goingNow],
      [queued.goingNow, queued.length],
    ]) {
      if (to === from) continue;
      await this.planner.enqueueRun({
        tenantId,
        numberId,
        campaignId,
        urgent: plan.priority >= EMERGENCY_PRIORITY,
        length: to - from,
        idAt: (i) => queued.idAt(from + i),
        plannedAt: (i) => queued.plannedAt(from + i),
      });
    }
  }

  /** Starts scheduled campaigns whose time has come and completes finished ones (the sweep's share). */
  async runDue(): Promise<{ started: number; completed: number }> {
    const due = await this.campaigns.listDueScheduledUnscoped(new Date(this.clock.now().getTime() + 1000), 100);
    let started = 0;
    for (const d of due) if (await this.startSwept(d.tenantId, d.id)) started++;
    // Snapshots whose start job was lost (Redis) or died between chunks and has not been retried.
    for (const d of await this.campaigns.listStalledSnapshotsUnscoped(new Date(Date.now() - SNAPSHOT_STALL_MS), 100))
      await this.startSwept(d.tenantId, d.id);
    let completed = 0;
    const sending = await this.campaigns.listSendingUnscoped(1000);
    const byTenant = new Map<TenantId, string[]>();
    for (const s of sending) byTenant.set(s.tenantId, [...(byTenant.get(s.tenantId) ?? []), s.id]);
    for (const [tenantId, ids] of byTenant) completed += (await this.campaigns.completeIfDone(tenantId, ids)).length;
    return { started, completed };
  }

  /**
   * One of the sweep's starts. A start that throws (one comune's data, a chunk's statement) is
   * logged and left for the next sweep, which finds the campaign still scheduled or its snapshot
   * stalled: it must not hold up every other comune's campaigns. Returns whether it went through.
   */
  private async startSwept(tenantId: TenantId, id: string): Promise<boolean> {
    try {
      await this.start(tenantId, id);
      return true;
    } catch (err) {
      // The reason only: recipients and message texts stay out of the logs.
      this.logger.error(
        { event: 'campaign_start_failed', tenantId, campaignId: id, reason: (err as Error).message },
        'campaign start failed in the sweep: the next sweep tries again',
      );
      return false;
    }
  }

  // ----- helpers -----

  /**
   * Tells the workers a campaign no longer sends (paused or cancelled, committed): the messages
   * they hold slots for do not go (NumberPacer.stopCampaign). Should Redis be unreachable, the
   * pause or cancel still stands: no batch claims the campaign's messages any more, and only those
   * already claimed go, up to the reservation horizon.
   */
  private async stopSending(tenantId: TenantId, id: string): Promise<void> {
    try {
      // Not waited for beyond a second: the editor's request does not hang on Redis reconnecting.
      await withTimeout(this.pacer.stopCampaign(id), STOP_PUBLISH_TIMEOUT_MS, 'Redis did not answer within a second');
    } catch (err) {
      this.logger.warn(
        { event: 'campaign_stop_not_published', tenantId, campaignId: id, reason: (err as Error).message },
        'workers not told the campaign stopped: its claimed messages may still go',
      );
    }
  }

  /**
   * Normal broadcasts skip subscribers who have not accepted the current privacy policy version
   * once its deadline is over; emergencies reach everyone, and a request to accept is for them.
   */
  private policyGate(tenantId: TenantId, c: CampaignEntity): Promise<PolicyGate | null> {
    if (c.priority === 'emergency' || c.policyVersionId) return Promise.resolve(null);
    return this.policies.broadcastGate(tenantId);
  }

  /**
   * The launch threshold holds back a comune's own broadcasts; a consortium alert (civil protection
   * across comuni) goes regardless, to however many citizens have subscribed.
   */
  private async assertMaySend(tenantId: TenantId, c: CampaignEntity, consortiumAlert = false): Promise<void> {
    await this.assertNotSuspended(tenantId);
    const reason = consortiumAlert ? null : await this.whyNotSend(tenantId, c);
    if (reason) throw new ConflictError(reason, 'CAMPAIGN_BLOCKED');
    const limited = (await this.numbers.findById(tenantId, c.numberId))?.messagingTier !== 'unlimited';
    if (c.capacityMode === 'refuse' && limited) {
      const est = await this.estimateFor(tenantId, c);
      if (est.deferredByCapacity > 0) {
        throw new ConflictError(
          `${est.problems.find((p) => p.startsWith('the portfolio')) ?? 'over capacity'}: choose capacityMode "split" to send what fits now and the rest in 24 hours`,
          'OVER_CAPACITY',
          { available: est.capacity.available, needed: est.outsideWindow },
        );
      }
    }
  }

  /**
   * A comune the consortium suspended sends nothing: no campaign (a consortium alert's share
   * included), resume or test goes until an operator makes it live again.
   */
  private async assertNotSuspended(tenantId: TenantId): Promise<void> {
    if ((await this.tenants.findById(tenantId))?.status === 'suspended') throw new ConflictError(SUSPENDED_REASON, 'TENANT_SUSPENDED');
  }

  /**
   * The consortium suspended the comune: its campaigns going out now are paused (an editor resumes
   * them once it is live again), as if an editor had paused them, and the audit says why. Scheduled
   * ones fail at their time if it is still suspended then (start). Returns the paused campaigns' ids.
   */
  async pauseForSuspension(tenantId: TenantId, actor: Actor): Promise<string[]> {
    const paused: string[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = await this.campaigns.list(tenantId, { limit: 100, offset }, { status: 'sending' });
      for (const c of page.items) {
        const row = await this.campaigns.transition(tenantId, c.id, ['sending'], { status: 'paused', pausedAt: new Date() });
        if (!row) continue;
        await this.stopSending(tenantId, c.id);
        await this.audit.record(tenantId, actor, 'campaign.paused', { type: 'campaign', id: c.id }, { reason: 'comune suspended' });
        paused.push(c.id);
      }
      if (page.items.length < 100) return paused;
    }
  }

  /** Why a campaign may not go now: the launch threshold (unless overridden). */
  private async whyNotSend(tenantId: TenantId, _c: CampaignEntity): Promise<string | null> {
    return launchBlock(await this.subscribers.launch(tenantId));
  }

  private async needsApproval(tenantId: TenantId, actor: Actor | null, c: CampaignEntity): Promise<boolean> {
    if (!actor || actor.role !== 'editor') return false;
    const settings = await this.campaigns.getSettings(tenantId);
    if (!settings) return false;
    return c.priority === 'emergency' ? settings.emergencyRequiresApproval : settings.requiresApproval;
  }

  private async toApproval(
    tenantId: TenantId,
    actor: Actor | null,
    c: CampaignEntity,
    action: 'send' | 'schedule',
    at: Date | null,
  ): Promise<CampaignEntity> {
    const row = await this.campaigns.transition(tenantId, c.id, ['draft'], { status: 'awaiting_approval', requestedAction: action, scheduledAt: at });
    if (!row) throw new ConflictError('the campaign changed state meanwhile', 'CAMPAIGN_STATE');
    await this.audit.record(tenantId, actor, 'campaign.submitted_for_approval', { type: 'campaign', id: c.id }, { action, at });
    return row;
  }

  private async queueStart(
    tenantId: TenantId,
    actor: Actor | null,
    c: CampaignEntity,
    from: CampaignStatus[],
    at: Date | null,
    approval: { approvedBy: string; approvedAt: Date } | null = null,
  ): Promise<CampaignEntity> {
    const row = await this.campaigns.transition(tenantId, c.id, from, {
      status: 'scheduled',
      scheduledAt: at ?? this.clock.now(),
      requestedAction: at ? 'schedule' : 'send',
      ...(approval ?? {}),
    });
    if (!row) throw new ConflictError('the campaign changed state meanwhile', 'CAMPAIGN_STATE');
    if (approval) await this.audit.record(tenantId, actor, 'campaign.approved', { type: 'campaign', id: c.id });
    await this.audit.record(tenantId, actor, at ? 'campaign.scheduled' : 'campaign.sent', { type: 'campaign', id: c.id }, at ? { at } : {});
    await this.producer.startCampaign(tenantId, c.id, at ? at.getTime() - this.clock.now().getTime() : 0, at ?? undefined);
    return row;
  }
}
