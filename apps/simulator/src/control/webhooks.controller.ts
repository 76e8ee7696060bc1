import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ZodValidationPipe } from '../http/zod-validation.pipe.js';
import { WebhookDispatcherService, type WebhookDeliveryAttempt } from '../webhooks/webhook-dispatcher.service.js';
import { ControlService } from './control.service.js';
import { deliveriesQuery, rawWebhookSchema, type DeliveriesQuery, type RawWebhookBody } from './control.schemas.js';

@Controller('_sim')
export class WebhooksController {
  constructor(
    private readonly control: ControlService,
    private readonly dispatcher: WebhookDispatcherService,
  ) {}

  @Post('webhooks/raw')
  @HttpCode(200)
  postRaw(@Body(new ZodValidationPipe(rawWebhookSchema)) body: RawWebhookBody): Promise<WebhookDeliveryAttempt> {
    return this.control.postRaw(body);
  }

  /** Every delivery attempt (first tries and retries) in the order they were made. */
  @Get('webhook-deliveries')
  list(@Query(new ZodValidationPipe(deliveriesQuery)) query: DeliveriesQuery): WebhookDeliveryAttempt[] {
    return this.dispatcher.list(query);
  }
}
