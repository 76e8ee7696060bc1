import { Injectable } from '@nestjs/common';
import { AppError, ConflictError, ValidationError, type TenantId } from '#common';
import { PrivacyPolicyRepository, TenantRepository, type CampaignEntity } from '#database';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { CampaignsService, type CampaignEstimate } from '../campaigns/campaigns.service.js';
import { MessageTemplatesService } from '../campaigns/message-templates.service.js';
import { TenantNotFoundError } from '../tenants/tenant.errors.js';
import { POLICY_IT } from './messages.it.js';
import { italianDate } from './policy-rules.js';
import { PolicyErrorCode } from './privacy-policies.errors.js';
import { PrivacyPoliciesService } from './privacy-policies.service.js';

export interface AcceptanceRequestInput {
  /** A message template of the comune linked to an approved utility WhatsApp template, for those outside the window. */
  messageTemplateId?: string | null;
  /** Ask again those an earlier request for this version reached (they have not accepted yet). */
  reminder?: boolean;
  numberId?: string | null;
}

export interface AcceptanceRequestResult {
  campaign: CampaignEntity;
  reminder: boolean;
  estimate: CampaignEstimate;
}

/**
 * Asks the comune's active subscribers who have not accepted the current privacy policy version to
 * accept it. The request is a campaign (one dispatch path: snapshot, pacing, receipts, stats): free
 * text with an «Accetto» button inside the 24-hour window, the approved utility template with a
 * quick-reply button outside it. Nobody is asked twice for the same version unless the admin sends
 * a reminder; what cannot go is refused with the reason, before anything is written.
 */
@Injectable()
export class AcceptanceRequestsService {
  constructor(
    private readonly versions: PrivacyPoliciesService,
    private readonly policies: PrivacyPolicyRepository,
    private readonly tenants: TenantRepository,
    private readonly campaigns: CampaignsService,
    private readonly templates: MessageTemplatesService,
    private readonly audit: AuditService,
  ) {}

  async ask(actor: Actor, tenantId: TenantId, versionId: string, input: AcceptanceRequestInput): Promise<AcceptanceRequestResult> {
    const version = await this.versions.find(tenantId, versionId);
    const tenant = await this.tenants.findById(tenantId);
    if (!tenant) throw new TenantNotFoundError();
    if (version.version !== tenant.privacyPolicyVersion) {
      throw new ConflictError(
        `version ${version.version} is no longer in force (current: ${tenant.privacyPolicyVersion ?? 'none'}): ask citizens to accept the current one`,
        PolicyErrorCode.NotCurrent,
      );
    }
    const open = await this.policies.openRequestId(tenantId, version.id);
    if (open) {
      throw new ConflictError(
        'a request to accept this version is still being sent: wait until it completes, or cancel it',
        PolicyErrorCode.RequestInProgress,
        { campaignId: open },
      );
    }
    const reminder = input.reminder === true;
    const status = await this.versions.get(tenantId, version.id);
    const pending = status.subscribers.pending ?? 0;
    if (pending === 0) {
      throw new ConflictError(
        `all ${status.subscribers.active} active subscribers have accepted version ${version.version}: nobody to ask`,
        PolicyErrorCode.NothingPending,
      );
    }
    if (!reminder && status.subscribers.notAsked === 0) {
      throw new ConflictError(
        `the ${pending} subscribers who have not accepted version ${version.version} were all asked already (last on ${status.lastAskedAt?.toISOString() ?? 'an earlier request'}): send a reminder to ask them again`,
        PolicyErrorCode.AlreadyAsked,
        { pending, lastAskedAt: status.lastAskedAt },
      );
    }

    const messageTemplateId = input.messageTemplateId ?? null;
    if (messageTemplateId) {
      const approved = (await this.templates.resolve(tenantId, messageTemplateId)).approved;
      if (approved && approved.category !== 'utility') {
        throw new ValidationError(
          `the WhatsApp template ${approved.name} is ${approved.category}: a privacy notice goes as a utility template (marketing ones are refused by citizens who stopped marketing, and cost more)`,
          { field: 'messageTemplateId' },
          PolicyErrorCode.TemplateNotUtility,
        );
      }
    }
    const variables = {
      versione: version.version,
      informativa: version.url ?? POLICY_IT.noLink,
      data: italianDate(version.publishedOn),
      ...(version.acceptanceDeadline ? { scadenza: italianDate(version.acceptanceDeadline) } : {}),
    };
    const text = version.acceptanceDeadline ? POLICY_IT.requestWithDeadline : POLICY_IT.request;
    const title = (reminder ? POLICY_IT.reminderTitle : POLICY_IT.title).replace('{version}', version.version);
    let started: { campaign: CampaignEntity; estimate: CampaignEstimate };
    try {
      started = await this.campaigns.startPolicyRequest(tenantId, actor, {
        title: title.slice(0, 200),
        policyVersionId: version.id,
        includeAsked: reminder,
        messageTemplateId,
        body: messageTemplateId ? null : `${reminder ? POLICY_IT.reminderPrefix : ''}${text}`,
        variables,
        numberId: input.numberId ?? null,
      });
    } catch (err) {
      throw explain(err);
    }
    await this.audit.record(
      tenantId,
      actor,
      'privacy_policy.acceptance_requested',
      { type: 'privacy_policy_version', id: version.id },
      { version: version.version, campaignId: started.campaign.id, reminder, recipients: started.estimate.audience.total },
    );
    return { ...started, reminder };
  }
}

/** The campaign rule editors hear in campaign terms, said in the terms of this request. */
function explain(err: unknown): unknown {
  if (!(err instanceof AppError) || err.code !== 'NO_APPROVED_TEMPLATE') return err;
  const d = err.details as { outsideWindow?: number; total?: number } | undefined;
  const who = d?.outsideWindow !== undefined && d.total !== undefined ? `${d.outsideWindow} of the ${d.total}` : 'some of the';
  return new ValidationError(
    `${who} subscribers to ask have not written to the comune in the last 24 hours: WhatsApp only lets an approved template reach them. Give messageTemplateId: a message template linked to an approved utility WhatsApp template (with a quick-reply button "Accetto", or asking to answer ACCETTO)`,
    err.details,
    'NO_APPROVED_TEMPLATE',
  );
}
