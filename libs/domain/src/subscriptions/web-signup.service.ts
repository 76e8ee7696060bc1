import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { newId, normalizePhone, NotFoundError, RateLimitedError, REDIS, ValidationError, type TenantId } from '#common';
import {
  SubscriberRepository,
  SubscriptionConfigRepository,
  TenantRepository,
  WebSignupRepository,
  WhatsappNumberRepository,
  type SubscriberField,
} from '#database';
import { OutboundService } from '../messaging/outbound.service.js';
import { compact } from './keyword-text.js';

export interface WebSignupInput {
  firstName?: string;
  lastName?: string;
  phone: string;
  /** List slugs; none means the comune's default lists. */
  lists?: string[];
  frazione?: string;
  consent: boolean;
  /** Honeypot: a person leaves it empty, a bot fills it in. */
  website?: string;
}

export interface WebSignupMeta {
  ip: string | null;
  userAgent: string | null;
}

/** How long a web-form sign-up waits for the citizen's confirmation from WhatsApp. */
export const WEB_SIGNUP_TTL_MS = 48 * 60 * 60 * 1000;

export class WebFormUnavailableError extends NotFoundError {
  constructor() {
    super('Sign-up form', 'WEB_FORM_UNAVAILABLE');
  }
}

/**
 * The web form on a comune's site. Double opt-in: the request only creates a pending sign-up and
 * sends the citizen an approved utility template with a confirm button (no 24-hour window is open),
 * and the subscription starts when they tap it (KeywordService). The answer is the same whether or
 * not the number is already subscribed, so the form reveals nothing; it is rate-limited per IP and
 * per phone, and a filled honeypot is silently ignored.
 */
@Injectable()
export class WebSignupService {
  private readonly logger = new Logger('WebSignup');
  private readonly perIp: RateLimiterRedis;
  private readonly perPhone: RateLimiterRedis;

  constructor(
    private readonly tenants: TenantRepository,
    private readonly config: SubscriptionConfigRepository,
    private readonly subscribers: SubscriberRepository,
    private readonly signups: WebSignupRepository,
    private readonly numbers: WhatsappNumberRepository,
    private readonly outbound: OutboundService,
    @Inject(REDIS) redis: Redis,
  ) {
    this.perIp = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'webform-ip', points: 20, duration: 3600 });
    this.perPhone = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'webform-phone', points: 3, duration: 86_400 });
  }

  /** What the form needs to show: lists, frazioni, required fields. */
  async form(slug: string): Promise<{
    tenantId: TenantId;
    displayName: string;
    privacyPolicyUrl: string | null;
    requiredFields: SubscriberField[];
    frazioni: string[];
    lists: { slug: string; name: string; description: string | null; isDefault: boolean }[];
  }> {
    const tenant = await this.tenants.findBySlugUnscoped(slug);
    const settings = tenant ? await this.config.getSettings(tenant.id) : null;
    if (!tenant || tenant.status === 'suspended' || !settings?.confirmTemplateName) throw new WebFormUnavailableError();
    const lists = await this.config.lists(tenant.id);
    return {
      tenantId: tenant.id,
      displayName: tenant.displayName,
      privacyPolicyUrl: tenant.privacyPolicyUrl,
      requiredFields: settings.requiredFields,
      frazioni: settings.frazioni,
      lists: lists.map((l) => ({ slug: l.slug, name: l.name, description: l.description, isDefault: l.isDefault })),
    };
  }

  async request(slug: string, input: WebSignupInput, meta: WebSignupMeta): Promise<void> {
    const form = await this.form(slug);
    const tenantId = form.tenantId;
    if (input.website && input.website.trim().length > 0) {
      this.logger.warn({ event: 'webform_honeypot', tenantId });
      return;
    }
    await this.limit(this.perIp, `${tenantId}:${meta.ip ?? 'unknown'}`);
    if (!input.consent) throw new ValidationError('the privacy policy must be accepted to subscribe', { field: 'consent' }, 'CONSENT_REQUIRED');
    const phone = normalizePhone(input.phone);
    if (!phone.ok) throw new ValidationError(`phone: ${phone.reason}`, { field: 'phone' }, 'INVALID_PHONE_NUMBER');
    await this.limit(this.perPhone, `${tenantId}:${phone.e164}`);

    const firstName = input.firstName?.trim() || null;
    const lastName = input.lastName?.trim() || null;
    const missing = form.requiredFields.filter((f) => (f === 'first_name' ? !firstName : f === 'last_name' ? !lastName : !input.frazione?.trim()));
    if (missing.length > 0) throw new ValidationError(`required: ${missing.join(', ')}`, { fields: missing }, 'FIELDS_REQUIRED');
    let frazione: string | null = null;
    if (input.frazione?.trim()) {
      frazione = form.frazioni.find((f) => compact(f) === compact(input.frazione!)) ?? null;
      if (!frazione)
        throw new ValidationError(
          `unknown frazione; the comune's frazioni are: ${form.frazioni.join(', ')}`,
          { field: 'frazione' },
          'UNKNOWN_FRAZIONE',
        );
    }
    const allLists = await this.config.lists(tenantId);
    const wanted = input.lists && input.lists.length > 0 ? input.lists : allLists.filter((l) => l.isDefault).map((l) => l.slug);
    const unknown = wanted.filter((s) => !allLists.some((l) => l.slug === s));
    if (unknown.length > 0)
      throw new ValidationError(`unknown lists: ${unknown.join(', ')}`, { field: 'lists', valid: allLists.map((l) => l.slug) }, 'UNKNOWN_LIST');
    const listIds = allLists.filter((l) => wanted.includes(l.slug)).map((l) => l.id);
    if (listIds.length === 0) throw new ValidationError('choose at least one list', { field: 'lists' }, 'NO_LIST');

    const number = (await this.numbers.list(tenantId, { limit: 50, offset: 0 })).items.find((n) => n.status === 'active');
    if (!number) throw new WebFormUnavailableError();
    const subscriber =
      (await this.subscribers.findByPhone(tenantId, phone.e164)) ??
      (await this.subscribers.create(tenantId, {
        id: newId(),
        phoneE164: phone.e164,
        waId: phone.e164.slice(1),
        userId: null,
        source: 'web_form',
        status: 'pending',
      }));
    if (subscriber.status === 'blocked') return;
    if (subscriber.status === 'active') {
      const active = await this.subscribers.activeListIds(tenantId, subscriber.id);
      // Nothing new to confirm: the same answer as for anyone else, and no message.
      if (listIds.every((id) => active.includes(id))) return;
    }
    const signupId = newId();
    await this.signups.create(tenantId, {
      id: signupId,
      subscriberId: subscriber.id,
      listIds,
      firstName,
      lastName,
      frazione,
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 500) ?? null,
      expiresAt: new Date(Date.now() + WEB_SIGNUP_TTL_MS),
    });
    const settings = (await this.config.getSettings(tenantId))!;
    const sent = await this.outbound.send(tenantId, {
      numberId: number.id,
      to: { kind: 'phone', e164: phone.e164 },
      content: {
        type: 'template',
        name: settings.confirmTemplateName!,
        languageCode: settings.confirmTemplateLanguage,
        body: [{ text: form.displayName }],
        buttons: [{ index: 0, subType: 'quick_reply', payload: `CONFIRM:${signupId}` }],
      },
      kind: 'notification',
      category: 'utility',
    });
    await this.signups.setOutbound(tenantId, signupId, sent.id);
  }

  private async limit(limiter: RateLimiterRedis, key: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        throw new RateLimitedError('too many sign-up requests: try again later', Math.ceil(err.msBeforeNext / 1000), 'WEB_FORM_RATE_LIMITED');
      }
      throw err;
    }
  }
}
