import { Injectable, Logger } from '@nestjs/common';
import { SimulatorSettings } from '../config/simulator-settings.js';
import { MessageLogService } from '../state/message-log.service.js';
import { NumbersService } from '../state/numbers.service.js';
import { SchedulerService } from '../state/scheduler.service.js';
import { plannedStatuses, StatusBehaviourService, type StatusBehaviour, type StatusStep } from '../state/status-behaviour.service.js';
import type { AsyncError } from './async-errors.js';
import { toMetaJson } from './meta-json.js';
import { WebhookDispatcherService } from './webhook-dispatcher.service.js';
import { statusPayload, unixSeconds, type Pricing } from './webhook-payloads.js';

/** What happens to an accepted message after the HTTP response. */
export interface StatusPlan {
  wamid: string;
  phoneNumberId: string;
  recipientId: string;
  bizOpaqueCallbackData?: string;
  /** On sent and delivered only, as in fixtures 07-09. */
  pricing: Pricing;
  /** Set when the message fails asynchronously: one `failed` status and nothing else. */
  failure?: AsyncError;
}

/** Posts the status webhooks of accepted messages with the number's behaviour (delay, duplicates, order). */
@Injectable()
export class StatusWebhooksService {
  private readonly logger = new Logger(StatusWebhooksService.name);

  constructor(
    private readonly numbers: NumbersService,
    private readonly behaviours: StatusBehaviourService,
    private readonly dispatcher: WebhookDispatcherService,
    private readonly scheduler: SchedulerService,
    private readonly log: MessageLogService,
    private readonly settings: SimulatorSettings,
  ) {}

  schedule(plan: StatusPlan): void {
    const behaviour = this.behaviours.get(plan.phoneNumberId);
    const steps = plan.failure ? (behaviour.duplicate ? ['failed' as const, 'failed' as const] : ['failed' as const]) : plannedStatuses(behaviour);
    // Nothing to post (stopAt 'accepted'): no timer, no promise, nothing kept for the message.
    if (steps.length === 0) return;
    this.run(plan, behaviour, steps).catch((err: unknown) => this.logger.error({ msg: 'status webhooks stopped', err, wamid: plan.wamid }));
  }

  private async run(plan: StatusPlan, behaviour: StatusBehaviour, steps: readonly (StatusStep | 'failed')[]): Promise<void> {
    const generation = this.scheduler.generation;
    const delay = behaviour.delayMs ?? this.settings.statusDelayMs;
    // Timestamps follow the real lifecycle (sent, then delivered, then read) even when the posts are reordered.
    const start = Date.now();
    const lifecycle = { sent: 1, delivered: 2, read: 3, failed: 1 };
    for (const step of steps) {
      // Each post waits for the previous one's first attempt, so the receiver sees the planned order.
      if (!(await this.scheduler.sleep(delay)) || generation !== this.scheduler.generation) return;
      const number = this.numbers.find(plan.phoneNumberId);
      if (!number) return;
      const at = new Date(start + lifecycle[step] * delay);
      const body = toMetaJson(
        statusPayload(number, {
          id: plan.wamid,
          status: step,
          timestamp: unixSeconds(at),
          recipient_id: plan.recipientId,
          biz_opaque_callback_data: plan.bizOpaqueCallbackData,
          pricing: step === 'sent' || step === 'delivered' ? plan.pricing : undefined,
          errors: step === 'failed' && plan.failure ? [plan.failure] : undefined,
        }),
      );
      this.log.recordStatus(plan.wamid, step, at, step === 'failed' && plan.failure ? [plan.failure] : []);
      await this.dispatcher.deliver({ phoneNumberId: plan.phoneNumberId, kind: 'status', body, retry: true, wamid: plan.wamid, status: step });
    }
  }
}
