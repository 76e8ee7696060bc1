import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ZodValidationPipe } from '../http/zod-validation.pipe.js';
import { InboundService, type InboundResult } from '../inbound/inbound.service.js';
import { inboundSchema, type InboundBody } from './control.schemas.js';

@Controller('_sim/inbound')
export class InboundController {
  constructor(private readonly inbound: InboundService) {}

  /** A citizen writes: the webhook is posted before this answers, with its HTTP status. */
  @Post()
  @HttpCode(200)
  send(@Body(new ZodValidationPipe(inboundSchema)) body: InboundBody): Promise<InboundResult> {
    return this.inbound.send(body);
  }
}
