import { Body, Controller, Get, Header, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { WebSignupService } from '#domain';
import { Public } from '../http/auth.decorators.js';
import { PublicSubscriptionDto, PublicSubscriptionResponse } from './public-subscription.dto.js';
import { renderSignupForm } from './signup-form.html.js';

const ACCEPTED = 'Controlla WhatsApp: ti abbiamo inviato un messaggio per confermare l’iscrizione. La richiesta scade dopo 48 ore.';

/**
 * The citizens' web form: public, rate-limited, and always the same answer, so it never tells
 * whether a number is already subscribed. The comune is named by the URL only.
 */
@ApiTags('public')
@Public()
@Controller('public/v1/tenants/:slug')
export class PublicSubscriptionsController {
  constructor(private readonly signups: WebSignupService) {}

  @Get('form')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({ summary: 'The sign-up form to embed on the comune’s site (iframe)' })
  async form(@Param('slug') slug: string): Promise<string> {
    const form = await this.signups.form(slug);
    return renderSignupForm({ slug, ...form });
  }

  @Post('subscriptions')
  @HttpCode(202)
  @ApiOperation({ summary: 'Web-form sign-up: the citizen confirms from WhatsApp (double opt-in)' })
  @ApiAcceptedResponse({ type: PublicSubscriptionResponse })
  async subscribe(@Param('slug') slug: string, @Body() dto: PublicSubscriptionDto, @Req() req: FastifyRequest): Promise<PublicSubscriptionResponse> {
    const ua = req.headers['user-agent'];
    await this.signups.request(slug, dto, { ip: req.ip ?? null, userAgent: typeof ua === 'string' ? ua : null });
    return { message: ACCEPTED };
  }
}
