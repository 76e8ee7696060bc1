import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { Clock, CoalescedRuns, NotFoundError, SharedLoads, ValidationError, type ContactId, type OutboundMessageId, type TenantId } from '#common';
import {
  CampaignRepository,
  PrivacyPolicyRepository,
  TenantDb,
  TenantRepository,
  type CampaignEntity,
  type CampaignSettingsEntity,
  type ClaimedContact,
  type ClaimedMessage,
  type SubscriberProfile,
  type TenantEntity,
} from '#database';
import type { MessageContent } from '#whatsapp';
import { isServiceWindowOpen } from '../messaging/window-rules.js';
import { POLICY_IT } from '../privacy-policies/messages.it.js';
import { policyPayload, quickReplyIndex, withAcceptButton } from '../privacy-policies/policy-rules.js';
import { AuditService } from '../audit/audit.service.js';
import { CampaignMediaService, permanentProblem } from './campaign-media.service.js';
import {
  decideRecipientMessage,
  isMediaIdRefusal,
  MEDIA_REUPLOAD_ACTION,
  providerMediaIdOf,
  quietHoursEnd,
  type RecipientPlan,
} from './campaign-rules.js';
import { MessageTemplatesService, type ResolvedMessageTemplate } from './message-templates.service.js';
import { buildTemplateContent, renderText, type RecipientFields, type SendableMedia } from './template-rendering.js';

export type RecipientProfiles = ReadonlyMap<string, SubscriberProfile>;

/**
 * A send batch rereads a campaign, its template and its comune at most this often; past it, the
 * batches go on with what was read while one of them reads it again (SharedLoads' staleMs), for up
 * to STALE_MS. A change that must apply at once (the attachment refused) forgets the entry.
 */
const CACHE_MS = 3_000;
const STALE_MS = 30_000;
/**
 * A campaign's completion is checked at most this often per process while its batches keep ending
 * (CoalescedRuns: the last batch's check still comes, at most this much later).
 */
const COMPLETION_CHECK_MS = 250;

interface CampaignContext {
  campaign: CampaignEntity;
  tenant: TenantEntity;
  settings: CampaignSettingsEntity | null;
  template: ResolvedMessageTemplate | null;
  values: Record<string, string>;
  /** For a request to accept a privacy policy version: the version and its accept button. */
  policy: { version: string; payload: string; quickReply: number | null } | null;
  /** The attachment as WhatsApp takes it for the campaign's number (a library file by its provider id). */
  media: SendableMedia | null;
  /** Why the attachment can never be sent (deleted, refused by WhatsApp): the campaign fails. */
  mediaProblem: string | null;
}

/**
 * The campaign side of a send batch: what each recipient gets (decided at send time, so a citizen
 * who wrote in since the campaign started gets free text), quiet hours, and completion.
 */
@Injectable()
export class CampaignDispatchService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('CampaignDispatch');
  /**
   * The completion check looks for any of the campaign's rows still to send or settle; at 5,000
   * msg/s a campaign's batches end fifty times a second, and that look-up was one in eight of the
   * worker's statements.
   */
  private readonly completionChecks = new CoalescedRuns(COMPLETION_CHECK_MS, (key, err) =>
    this.logger.warn(
      { event: 'campaign_completion_check_failed', campaign: key, reason: (err as Error).message },
      'campaign completion not checked: the minute sweep will',
    ),
  );
  /** Loads in flight are shared: the fifty batches a campaign starts with would otherwise each load the same context. */
  private readonly cache = new SharedLoads<CampaignContext | null>(CACHE_MS, { staleMs: STALE_MS });

  constructor(
    private readonly campaigns: CampaignRepository,
    private readonly tenants: TenantRepository,
    private readonly templates: MessageTemplatesService,
    private readonly policies: PrivacyPolicyRepository,
    private readonly campaignMedia: CampaignMediaService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly db: TenantDb,
  ) {}

  async prepare(
    tenantId: TenantId,
    rows: readonly ClaimedMessage[],
    contacts: ReadonlyMap<ContactId, ClaimedContact>,
    profiles: RecipientProfiles,
    departed: ReadonlySet<OutboundMessageId> = new Set(),
  ): Promise<Map<OutboundMessageId, RecipientPlan>> {
    const plans = new Map<OutboundMessageId, RecipientPlan>();
    if (rows.length === 0) return plans;
    const now = this.clock.now();
    // Campaigns that can never be sent as they are (attachment gone or refused, template they cannot fill), with the reason.
    const failing = new Map<string, string>();
    for (const row of rows) {
      if (departed.has(row.id)) {
        plans.set(row.id, {
          kind: 'skip',
          reason: "the citizen left the campaign's audience after it started (unsubscribed, erased or blocked)",
          action: 'unsubscribed',
        });
        continue;
      }
      const ctx = await this.context(tenantId, row.campaignId!);
      if (!ctx) {
        plans.set(row.id, { kind: 'fail', reason: 'the campaign no longer exists', action: 'bug' });
        continue;
      }
      if (ctx.mediaProblem !== null) {
        plans.set(row.id, { kind: 'fail', reason: ctx.mediaProblem, action: 'bug' });
        failing.set(ctx.campaign.id, ctx.mediaProblem);
        continue;
      }
      const { campaign, tenant, settings } = ctx;
      if (campaign.priority === 'normal' && settings?.quietHoursStart && settings.quietHoursEnd) {
        const until = quietHoursEnd(now, tenant.timezone, settings.quietHoursStart, settings.quietHoursEnd);
        if (until) {
          plans.set(row.id, { kind: 'defer', until: new Date(Date.now() + (until.getTime() - now.getTime())), reason: 'quiet hours' });
          continue;
        }
      }
      const profile = row.subscriberId ? profiles.get(row.subscriberId) : undefined;
      const recipient: RecipientFields = {
        nome: profile?.firstName ?? null,
        cognome: profile?.lastName ?? null,
        frazione: profile?.frazione ?? null,
      };
      const contact = row.contactId ? contacts.get(row.contactId) : undefined;
      const body = ctx.template?.template.body ?? campaign.body;
      const approved = ctx.template?.approved ?? null;
      if (ctx.policy) {
        // Decided again at send time: the citizen may have accepted since the snapshot, or the comune published a newer version.
        if (profile?.policyVersionAccepted === ctx.policy.version) {
          plans.set(row.id, { kind: 'skip', reason: 'the citizen accepted this version meanwhile', action: 'policy_accepted' });
          continue;
        }
        if (tenant.privacyPolicyVersion !== ctx.policy.version) {
          plans.set(row.id, { kind: 'skip', reason: 'a newer privacy policy version was published meanwhile', action: 'policy_superseded' });
          continue;
        }
      }
      const windowOpen = isServiceWindowOpen(contact?.lastInboundAt ?? null, now);
      const forceTemplate = row.errorAction === 'template';
      // Only what can go is rendered: the free text inside the window (unless a template is forced),
      // else the approved template. Most recipients are outside their window on any given day, and
      // rendering both for each of them was about 1.8 KB of garbage a message (5 % of the worker's).
      let plan: RecipientPlan;
      try {
        const text = body !== null && windowOpen && !forceTemplate ? renderText(body, ctx.values, recipient) : null;
        plan = decideRecipientMessage({
          windowOpen,
          forceTemplate,
          text,
          media: ctx.media,
          template:
            approved && text === null
              ? {
                  content: buildTemplateContent(approved, ctx.values, recipient, ctx.media),
                  category: approved.category,
                  approved: approved.status === 'APPROVED',
                  name: approved.name,
                  status: approved.status,
                }
              : null,
          marketingOptedOut: contact?.marketingOptedOutAt != null,
        });
      } catch (err) {
        // The template now needs a value the campaign does not have (it changed while the campaign
        // was a draft): no recipient can get this message, and retrying the batch would only
        // release it again and again. The campaign fails with the reason, for its editor.
        if (!(err instanceof ValidationError)) throw err;
        const reason = `the message cannot be written: ${err.message}`;
        plans.set(row.id, { kind: 'fail', reason, action: 'bug' });
        failing.set(campaign.id, reason);
        continue;
      }
      if (ctx.policy && plan.kind === 'send') {
        plans.set(row.id, { ...plan, content: withAcceptButton(plan.content, ctx.policy.payload, POLICY_IT.acceptButton, ctx.policy.quickReply) });
      } else plans.set(row.id, plan);
    }
    for (const [campaignId, reason] of failing) {
      await this.failCampaign(tenantId, campaignId, reason);
      this.cache.delete(`${tenantId}/${campaignId}`);
    }
    return plans;
  }

  /**
   * Fails a campaign that can never be sent as it is (its attachment refused or gone, its template
   * needing a value it lacks): once, with the reason for the editor, and its messages still
   * waiting are cancelled rather than each failing the same way.
   */
  private async failCampaign(tenantId: TenantId, campaignId: string, reason: string): Promise<void> {
    const failed = await this.campaigns.transition(tenantId, campaignId, ['scheduled', 'sending', 'paused'], {
      status: 'failed',
      failureReason: reason,
    });
    if (!failed) return;
    const notSent = await this.campaigns.cancelQueued(tenantId, campaignId, reason);
    this.logger.error({ event: 'campaign_failed', tenantId, campaignId, notSent, reason }, 'campaign failed: its message can never be sent as it is');
    await this.audit.record(tenantId, null, 'campaign.failed', { type: 'campaign', id: campaignId }, { reason, notSent });
  }

  /**
   * A campaign message failed: true when Meta refused the id of the campaign's uploaded file
   * (expired or unknown) and the message should go again, once, with a fresh upload.
   */
  async retryWithFreshMedia(tenantId: TenantId, row: ClaimedMessage, content: MessageContent, err: unknown): Promise<boolean> {
    if (row.campaignId === null || row.errorAction === MEDIA_REUPLOAD_ACTION) return false;
    if (typeof err !== 'object' || err === null || !isMediaIdRefusal(err as { kind: string; code: number | null })) return false;
    const providerMediaId = providerMediaIdOf(content);
    const ctx = providerMediaId === null ? null : await this.context(tenantId, row.campaignId);
    if (!ctx || providerMediaId === null) return false;
    const retry = await this.campaignMedia.reportRefused(tenantId, ctx.campaign.numberId, ctx.campaign, providerMediaId);
    if (retry) this.cache.delete(`${tenantId}/${row.campaignId}`);
    return retry;
  }

  /**
   * After a batch's outcomes are committed: completes its campaigns that have nothing left. The
   * first batch to end in a while checks at once; the ones ending within COMPLETION_CHECK_MS after
   * it share one check at the end of that time, which therefore sees all of their outcomes.
   */
  async afterBatch(tenantId: TenantId, campaignIds: readonly string[]): Promise<void> {
    await Promise.all(campaignIds.map((id) => this.completionChecks.run(`${tenantId}/${id}`, () => this.completeIfDone(tenantId, id))));
  }

  /** A check still waiting for its time runs now: a worker that stops leaves no campaign to the sweep. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.completionChecks.flush();
  }

  private async completeIfDone(tenantId: TenantId, campaignId: string): Promise<void> {
    const done = await this.campaigns.completeIfDone(tenantId, [campaignId]);
    for (const id of done) {
      this.cache.delete(`${tenantId}/${id}`);
      this.logger.log({ event: 'campaign_completed', tenantId, campaignId: id }, 'campaign completed');
    }
  }

  /**
   * Reads a campaign's context into this process's cache as it starts, before its first batches
   * arrive: they then find it rather than each waiting for it behind the others' claims. A failure
   * is only logged; the batches read it again themselves.
   */
  async warm(tenantId: TenantId, campaignId: string): Promise<void> {
    try {
      await this.context(tenantId, campaignId);
    } catch (err) {
      this.logger.warn(
        { event: 'campaign_context_not_warmed', tenantId, campaignId, reason: (err as Error).message },
        'campaign context not read ahead',
      );
    }
  }

  private context(tenantId: TenantId, campaignId: string): Promise<CampaignContext | null> {
    return this.cache.get(`${tenantId}/${campaignId}`, () => this.load(tenantId, campaignId));
  }

  private async load(tenantId: TenantId, campaignId: string): Promise<CampaignContext | null> {
    // One transaction, so one wait for a pooled connection: as separate statements each waited again
    // behind the claims of the fifty batches a campaign starts with (400 ms on a busy machine).
    const rows = await this.db.forTenant(tenantId, async () => {
      const campaign = await this.campaigns.findById(tenantId, campaignId);
      const tenant = await this.tenants.findById(tenantId);
      if (!campaign || !tenant) return null;
      const settings = await this.campaigns.getSettings(tenantId);
      let template: ResolvedMessageTemplate | null = null;
      try {
        template = campaign.messageTemplateId ? await this.templates.resolve(tenantId, campaign.messageTemplateId) : null;
      } catch (err) {
        // Deleted while the campaign sends: recipients outside the window then fail with that reason.
        if (!(err instanceof NotFoundError)) throw err;
      }
      const version = campaign.policyVersionId ? await this.policies.findById(tenantId, campaign.policyVersionId) : null;
      return { campaign, tenant, settings, template, version };
    });
    if (!rows) return null;
    const { campaign, tenant, settings, template, version } = rows;
    const policy = version
      ? { version: version.version, payload: policyPayload(version.id), quickReply: quickReplyIndex(template?.approved?.components ?? []) }
      : null;
    let media: SendableMedia | null = null;
    let mediaProblem: string | null = null;
    try {
      // Outside the transaction: a file not yet uploaded for the number is uploaded to Meta here.
      media = await this.campaignMedia.sendable(tenantId, campaign.numberId, campaign.media);
    } catch (err) {
      // A passing failure (upload in progress elsewhere, Meta unreachable) puts the batch back.
      mediaProblem = permanentProblem(err);
      if (mediaProblem === null) throw err;
    }
    return { campaign, tenant, settings, template, values: { ...campaign.variables, comune: tenant.displayName }, policy, media, mediaProblem };
  }
}
