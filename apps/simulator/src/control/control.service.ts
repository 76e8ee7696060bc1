import { Injectable } from '@nestjs/common';
import { NotFoundError } from '#common';
import { MessagesService } from '../graph/messages.service.js';
import { MediaStoreService } from '../media/media-store.service.js';
import { FaultsService } from '../state/faults.service.js';
import { MessageLogService } from '../state/message-log.service.js';
import { NumbersService } from '../state/numbers.service.js';
import { SchedulerService } from '../state/scheduler.service.js';
import { StatusBehaviourService } from '../state/status-behaviour.service.js';
import { TemplatesService } from '../state/templates.service.js';
import { WebhookDispatcherService, type SignatureMode, type WebhookDeliveryAttempt } from '../webhooks/webhook-dispatcher.service.js';

/** The control operations that span several stores: raw webhooks, windows, reset. */
@Injectable()
export class ControlService {
  constructor(
    private readonly numbers: NumbersService,
    private readonly templates: TemplatesService,
    private readonly media: MediaStoreService,
    private readonly log: MessageLogService,
    private readonly faults: FaultsService,
    private readonly behaviours: StatusBehaviourService,
    private readonly dispatcher: WebhookDispatcherService,
    private readonly scheduler: SchedulerService,
    private readonly messages: MessagesService,
  ) {}

  /** Posts arbitrary bytes to a number's webhook, signed as asked (for tests of the platform's intake). */
  postRaw(input: { phoneNumberId: string; body: string; signature: SignatureMode; retry: boolean }): Promise<WebhookDeliveryAttempt> {
    return this.dispatcher.deliver({
      phoneNumberId: input.phoneNumberId,
      kind: 'raw',
      body: input.body,
      signature: input.signature,
      retry: input.retry,
    });
  }

  setWindow(phoneNumberId: string, waId: string, lastInboundAt: string | null): { windowOpenUntil: string | null } {
    if (!this.numbers.find(phoneNumberId)) throw new NotFoundError(`Number ${phoneNumberId}`);
    const digits = waId.replace(/\D/g, '');
    this.log.setLastInbound(phoneNumberId, digits, lastInboundAt === null ? null : new Date(lastInboundAt).getTime());
    const until = this.log.windowOpenUntil(phoneNumberId, digits);
    return { windowOpenUntil: until === null ? null : new Date(until).toISOString() };
  }

  /** Forgets everything and cancels every pending webhook, as if the process had just started. */
  reset(): void {
    this.scheduler.cancelAll();
    this.numbers.clear();
    this.templates.clear();
    this.media.clear();
    this.log.clear();
    this.faults.clear();
    this.behaviours.clear();
    this.dispatcher.clear();
    this.messages.resetLimits();
  }
}
