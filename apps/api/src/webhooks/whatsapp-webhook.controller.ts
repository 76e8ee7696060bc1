import { Controller, Get, Header, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { WebhookIntakeService } from '#domain';
import { Public } from '../http/auth.decorators.js';

export const WEBHOOK_PATH_PREFIX = '/webhooks/';

/**
 * Meta's callback URL, one per provider app: /webhooks/whatsapp/{appId}. The app id in the path
 * selects the secrets to check the signature with before anything is parsed. Thin by design: the
 * signature check, the durable store and the 200 are all this route does.
 */
@ApiExcludeController()
@Public()
@Controller('webhooks/whatsapp')
export class WhatsappWebhookController {
  constructor(private readonly intake: WebhookIntakeService) {}

  @Get(':appId')
  @Header('content-type', 'text/plain; charset=utf-8')
  async verify(
    @Param('appId') appId: string,
    @Query('hub.mode') mode: unknown,
    @Query('hub.verify_token') token: unknown,
    @Query('hub.challenge') challenge: unknown,
  ): Promise<string> {
    return this.intake.verifySubscription(appId, mode, token, challenge);
  }

  @Post(':appId')
  @HttpCode(200)
  async receive(@Param('appId') appId: string, @Req() req: FastifyRequest & { rawBody?: Buffer }): Promise<string> {
    const signature = req.headers['x-hub-signature-256'];
    await this.intake.receive(appId, req.rawBody, typeof signature === 'string' ? signature : undefined);
    return '';
  }
}
