import { Injectable, Logger } from '@nestjs/common';
import { AppError, NotFoundError, ValidationError, newId, type TenantId } from '#common';
import { ConsortiumAlertRepository, MessageTemplateRepository, TenantRepository, type ConsortiumAlertEntity } from '#database';
import type { Actor } from '../auth/actor.js';
import { CampaignsService, type CampaignStats } from './campaigns.service.js';

export interface ConsortiumAlertInput {
  title: string;
  /** Free text for citizens inside their 24-hour window, when no message template is named. */
  body?: string | null;
  /** The message template each comune has under this name (linked to its own approved template). */
  messageTemplateName?: string | null;
  variables?: Record<string, string>;
  /** The comuni, by slug. */
  tenants: string[];
}

export interface AlertShare {
  tenant: string;
  campaignId: string | null;
  /** Why this comune's share could not start (no template, no number, ...), in the error's words. */
  error: string | null;
}

/**
 * One alert from the consortium (a regional weather warning) to the subscribers of several comuni:
 * each comune's share is an emergency campaign from its own number, to its own subscribers, counted
 * in its own stats. A comune whose share cannot go is reported with the reason; the others go.
 */
@Injectable()
export class ConsortiumAlertsService {
  private readonly logger = new Logger('ConsortiumAlerts');

  constructor(
    private readonly alerts: ConsortiumAlertRepository,
    private readonly tenants: TenantRepository,
    private readonly templates: MessageTemplateRepository,
    private readonly campaigns: CampaignsService,
  ) {}

  async send(actor: Actor, input: ConsortiumAlertInput): Promise<{ alert: ConsortiumAlertEntity; shares: AlertShare[] }> {
    if (!input.body && !input.messageTemplateName)
      throw new ValidationError("give messageTemplateName (each comune's template of that name) or body");
    const slugs = [...new Set(input.tenants)];
    if (slugs.length === 0) throw new ValidationError('name at least one comune');
    const found = await Promise.all(slugs.map(async (slug) => ({ slug, tenant: await this.tenants.findBySlugUnscoped(slug) })));
    const unknown = found.filter((f) => !f.tenant).map((f) => f.slug);
    if (unknown.length > 0) throw new ValidationError(`unknown comuni: ${unknown.join(', ')}`);
    const alert = await this.alerts.insertUnscoped({
      id: newId(),
      title: input.title.trim(),
      body: input.body ?? '',
      whatsappTemplateName: input.messageTemplateName ?? null,
      whatsappTemplateLanguage: null,
      createdBy: actor.userId,
    });
    const shares: AlertShare[] = [];
    for (const { slug, tenant } of found) {
      const tenantId = tenant!.id;
      try {
        const template = input.messageTemplateName ? await this.templates.findByName(tenantId, input.messageTemplateName) : null;
        if (input.messageTemplateName && !template)
          throw new NotFoundError(`Message template "${input.messageTemplateName}"`, 'MESSAGE_TEMPLATE_NOT_FOUND');
        const campaign = await this.campaigns.create(
          tenantId,
          actor,
          {
            title: input.title,
            messageTemplateId: template?.id ?? null,
            body: template ? null : (input.body ?? null),
            variables: input.variables ?? {},
            audience: {},
            priority: 'emergency',
          },
          { alertId: alert.id },
        );
        await this.campaigns.send(tenantId, actor, campaign.id, { consortiumAlert: true });
        shares.push({ tenant: slug, campaignId: campaign.id, error: null });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        this.logger.warn({ event: 'alert_share_refused', alertId: alert.id, tenantId, reason: err.message });
        shares.push({ tenant: slug, campaignId: null, error: err.message });
      }
    }
    return { alert, shares };
  }

  /** The alert and each comune's share of it, with its stats. */
  async get(
    id: string,
  ): Promise<{ alert: ConsortiumAlertEntity; shares: { tenantId: TenantId; campaignId: string; status: string; stats: CampaignStats }[] }> {
    const alert = await this.alerts.findUnscoped(id);
    if (!alert) throw new NotFoundError('Alert', 'ALERT_NOT_FOUND');
    const shares = [];
    for (const s of await this.alerts.sharesUnscoped(id)) {
      const tenantId = s.tenantId as TenantId;
      const campaign = await this.campaigns.get(tenantId, s.campaignId);
      shares.push({ tenantId, campaignId: s.campaignId, status: campaign.status, stats: await this.campaigns.stats(tenantId, s.campaignId) });
    }
    return { alert, shares };
  }
}
