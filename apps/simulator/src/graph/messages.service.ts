import { Injectable } from '@nestjs/common';
import { MediaStoreService } from '../media/media-store.service.js';
import { FaultsService, recipientKey } from '../state/faults.service.js';
import { MessageLogService } from '../state/message-log.service.js';
import { SchedulerService } from '../state/scheduler.service.js';
import { SlidingWindowCounter } from '../state/sliding-window.js';
import { TemplatesService, type SimulatedTemplate } from '../state/templates.service.js';
import { ThroughputService } from '../state/throughput.service.js';
import { AsyncErrors, type AsyncError } from '../webhooks/async-errors.js';
import { StatusWebhooksService } from '../webhooks/status-webhooks.service.js';
import type { Pricing } from '../webhooks/webhook-payloads.js';
import { GraphAuthService } from './graph-auth.service.js';
import { GraphApiError, GraphErrors } from './graph.errors.js';
import { parseMessagesRequest, type OutboundMessage, type TemplateReference } from './outbound-message.js';
import { newWamid } from './wamid.js';

/** Meta's pair rate limit: bursts of up to 45 messages to one user within 6 s. */
export const PAIR_BURST = 45;
export const PAIR_WINDOW_MS = 6_000;

export interface SendResponse {
  messaging_product: 'whatsapp';
  contacts: ({ input: string; wa_id: string } | { input: string; user_id: string })[];
  messages: { id: string; message_status?: 'accepted' }[];
}

export interface MessagesCall {
  version: string;
  phoneNumberId: string;
  authorization: string | undefined;
  body: unknown;
  /** A signal aborted when the client hangs up, which ends a held response early (made on demand). */
  hangUp: () => AbortSignal;
}

/** POST /{phone-number-id}/messages: the checks Meta makes, in Meta's order, then acceptance. */
@Injectable()
export class MessagesService {
  private readonly pairRate = new SlidingWindowCounter(PAIR_WINDOW_MS);

  constructor(
    private readonly auth: GraphAuthService,
    private readonly faults: FaultsService,
    private readonly templates: TemplatesService,
    private readonly media: MediaStoreService,
    private readonly log: MessageLogService,
    private readonly statuses: StatusWebhooksService,
    private readonly scheduler: SchedulerService,
    private readonly throughput: ThroughputService,
  ) {}

  async handle(call: MessagesCall): Promise<SendResponse | { success: true }> {
    const number = this.auth.number(call.version, call.phoneNumberId, call.authorization, 'post');
    const faults = this.faults.get(number.phoneNumberId);
    if (faults.latencyMs > 0) await this.scheduler.sleep(faults.latencyMs, call.hangUp());
    const serverError = this.faults.takeServerError(number.phoneNumberId);
    if (serverError !== undefined) throw serverError === 131016 ? GraphErrors.serviceUnavailable() : GraphErrors.serverError();

    const request = parseMessagesRequest(call.body);
    if (request.kind === 'read') {
      // Lenient on ids it never sent (raw test webhooks carry made-up wamids); Meta's answer for those is unverified.
      this.log.markInboundRead(number.phoneNumberId, request.messageId, new Date());
      return { success: true };
    }

    const now = Date.now();
    const waId =
      request.recipient.kind === 'phone' ? request.recipient.waId : (this.log.waIdForUser(number.phoneNumberId, request.recipient.input) ?? null);
    if (this.faults.takeThroughputError(number.phoneNumberId) || !this.throughput.trySend(number.phoneNumberId, number.mps, now)) {
      throw GraphErrors.throughput();
    }
    if (!this.pairRate.tryAcquire(`${number.phoneNumberId}:${waId ?? request.recipient.input}`, PAIR_BURST, now)) throw GraphErrors.pairRate();
    const template = request.template ? this.approvedTemplate(number.wabaId, request.template) : undefined;
    if (request.mediaId !== undefined) {
      const media = this.media.find(request.mediaId);
      if (!media || media.wabaId !== number.wabaId) {
        throw GraphErrors.parameterValueNotValid(`Invalid media id ${request.mediaId}: it was never uploaded to this account or has been deleted.`);
      }
    }

    const windowOpen = waId !== null && this.log.isWindowOpen(number.phoneNumberId, waId, now);
    const wamid = newWamid(waId ?? request.recipient.input, 'outbound');
    const holdMs = this.faults.takeHold(number.phoneNumberId);
    this.log.addOutbound({
      direction: 'outbound',
      wamid,
      phoneNumberId: number.phoneNumberId,
      to: request.recipient.input,
      waId,
      type: request.type,
      body: call.body,
      bizOpaqueCallbackData: request.bizOpaqueCallbackData ?? null,
      acceptedAt: new Date(now).toISOString(),
      responseHeldMs: holdMs ?? null,
      status: 'accepted',
      statuses: [],
      errors: [],
    });
    this.statuses.schedule({
      wamid,
      phoneNumberId: number.phoneNumberId,
      recipientId: waId ?? request.recipient.input,
      bizOpaqueCallbackData: request.bizOpaqueCallbackData,
      pricing: pricing(template, windowOpen),
      failure: this.asyncFailure(number.phoneNumberId, request, waId, template, windowOpen),
    });

    // The message is accepted and its statuses are on their way; only the answer never comes in time.
    if (holdMs !== undefined) await this.scheduler.sleep(holdMs, call.hangUp());

    return {
      messaging_product: 'whatsapp',
      contacts: [
        request.recipient.kind === 'phone'
          ? { input: request.recipient.input, wa_id: request.recipient.waId }
          : { input: request.recipient.input, user_id: request.recipient.input },
      ],
      messages: [template ? { id: wamid, message_status: 'accepted' } : { id: wamid }],
    };
  }

  /** Forgets the rate-limit history (POST /_sim/reset). */
  resetLimits(): void {
    this.throughput.clear();
    this.pairRate.clear();
  }

  private approvedTemplate(wabaId: string, reference: TemplateReference): SimulatedTemplate {
    const template = this.templates.find(wabaId, reference.name, reference.languageCode);
    if (template?.status === 'PAUSED') {
      throw new GraphApiError({
        httpStatus: 400,
        code: 132015,
        message: '(#132015) Template is paused',
        details: `Template ${reference.name} is paused due to low quality.`,
      });
    }
    if (template?.status === 'DISABLED') {
      throw new GraphApiError({
        httpStatus: 400,
        code: 132016,
        message: '(#132016) Template has been disabled',
        details: `Template ${reference.name} has been disabled.`,
      });
    }
    if (!template || template.status !== 'APPROVED') throw GraphErrors.templateMissing(reference.name, reference.languageCode);
    if (reference.headerTextParameters !== template.headerParameters) {
      throw GraphErrors.templateParamCount('header', reference.headerTextParameters, template.headerParameters);
    }
    const headerFormat = template.headerMediaFormat;
    if (headerFormat !== undefined && reference.headerMedia?.type !== headerFormat.toLowerCase()) {
      throw GraphErrors.templateParamFormat('header', headerFormat, reference.headerMedia?.type.toUpperCase() ?? 'UNKNOWN');
    }
    if (headerFormat === undefined && reference.headerMedia !== undefined) {
      throw GraphErrors.templateParamCount('header', 1, 0);
    }
    if (reference.bodyParameters.length !== template.bodyParameters.length) {
      throw GraphErrors.templateParamCount('body', reference.bodyParameters.length, template.bodyParameters.length);
    }
    if (template.parameter_format === 'NAMED') {
      const unknown = reference.bodyParameters.find((p) => p.name === undefined || !template.bodyParameters.includes(p.name));
      if (unknown) {
        throw new GraphApiError({
          httpStatus: 400,
          code: 132000,
          message: '(#132000) Number of parameters does not match the expected number of params',
          details: `body: parameter_name (${unknown.name ?? 'missing'}) is not one of the template's parameters (${template.bodyParameters.join(', ')})`,
        });
      }
    }
    return template;
  }

  private asyncFailure(
    phoneNumberId: string,
    request: OutboundMessage,
    waId: string | null,
    template: SimulatedTemplate | undefined,
    windowOpen: boolean,
  ): AsyncError | undefined {
    const faults = this.faults.get(phoneNumberId);
    const keys = [recipientKey(request.recipient.input), ...(waId ? [waId] : [])];
    if (keys.some((k) => faults.undeliverable.has(k))) return AsyncErrors.undeliverable();
    // Meta accepts free-form messages outside the window and fails them afterwards.
    if (!template && !windowOpen) return AsyncErrors.reEngagement();
    if (template?.category === 'MARKETING' && keys.some((k) => faults.marketingOptOut.has(k))) return AsyncErrors.marketingOptOut();
    return undefined;
  }
}

/** Per-message pricing: service messages and utility templates are free inside the window. */
function pricing(template: SimulatedTemplate | undefined, windowOpen: boolean): Pricing {
  if (!template) return { billable: false, pricing_model: 'PMP', type: 'free_customer_service', category: 'service' };
  const category = template.category.toLowerCase();
  if (category === 'utility' && windowOpen) return { billable: false, pricing_model: 'PMP', type: 'free_customer_service', category };
  return { billable: true, pricing_model: 'PMP', type: 'regular', category };
}
