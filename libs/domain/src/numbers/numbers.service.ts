import { Injectable } from '@nestjs/common';
import { last4, newId, normalizePhone, NotFoundError, SecretBox, ValidationError, type NumberId, type ProviderAppId, type TenantId } from '#common';
import {
  WhatsappNumberRepository,
  type MessagingTier,
  type NumberStatus,
  type Page,
  type PageRequest,
  type WhatsappNumberEntity,
  type WhatsappNumberPatch,
} from '#database';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { NumberHealthService } from '../messaging/number-health.service.js';
import { ProviderAppsService } from '../provider-apps/provider-apps.service.js';

export interface AddNumberInput {
  providerAppId: ProviderAppId;
  label?: string | null;
  phoneNumberId: string;
  displayNumber: string;
  wabaId: string;
  businessPortfolioId?: string | null;
  messagingTier?: MessagingTier;
  accessToken: string;
  mpsCap?: number;
}

export interface UpdateNumberInput {
  label?: string | null;
  displayNumber?: string;
  wabaId?: string;
  businessPortfolioId?: string | null;
  messagingTier?: MessagingTier;
  accessToken?: string;
  mpsCap?: number;
  status?: Exclude<NumberStatus, 'disabled'>;
  pausedReason?: string | null;
}

export class NumberNotFoundError extends NotFoundError {
  constructor() {
    super('Number', 'NUMBER_NOT_FOUND');
  }
}

export const DEFAULT_MPS_CAP = 80;

@Injectable()
export class NumbersService {
  constructor(
    private readonly numbers: WhatsappNumberRepository,
    private readonly providerApps: ProviderAppsService,
    private readonly audit: AuditService,
    private readonly box: SecretBox,
    private readonly health: NumberHealthService,
  ) {}

  async add(actor: Actor | null, tenantId: TenantId, input: AddNumberInput): Promise<WhatsappNumberEntity> {
    await this.providerApps.get(input.providerAppId);
    const id = newId<NumberId>();
    const number = await this.numbers.create(tenantId, {
      id,
      providerAppId: input.providerAppId,
      label: input.label ?? null,
      phoneNumberId: input.phoneNumberId,
      displayNumber: toE164(input.displayNumber),
      wabaId: input.wabaId,
      businessPortfolioId: input.businessPortfolioId ?? null,
      messagingTier: input.messagingTier ?? 'tier_250',
      accessTokenEnc: this.box.encrypt(input.accessToken),
      accessTokenLast4: last4(input.accessToken),
      mpsCap: input.mpsCap ?? DEFAULT_MPS_CAP,
      status: 'active',
      pausedReason: null,
      pausedAt: null,
      pausedErrorCode: null,
      qualityRating: null,
      lastQualityEvent: null,
      lastQualityEventAt: null,
    });
    await this.audit.record(tenantId, actor, 'number.added', { type: 'number', id }, { phoneNumberId: input.phoneNumberId });
    return number;
  }

  list(tenantId: TenantId, page: PageRequest): Promise<Page<WhatsappNumberEntity>> {
    return this.numbers.list(tenantId, page);
  }

  /** Operators' cross-comune view, e.g. every paused number and why. */
  listByStatusUnscoped(status: NumberStatus, page: PageRequest): Promise<Page<{ number: WhatsappNumberEntity; tenantSlug: string }>> {
    return this.numbers.listByStatusUnscoped(status, page);
  }

  async get(tenantId: TenantId, id: NumberId): Promise<WhatsappNumberEntity> {
    const number = await this.numbers.findById(tenantId, id);
    if (!number) throw new NumberNotFoundError();
    return number;
  }

  async update(actor: Actor, tenantId: TenantId, id: NumberId, input: UpdateNumberInput): Promise<WhatsappNumberEntity> {
    const current = await this.get(tenantId, id);
    if (current.status === 'disabled') {
      throw new ValidationError('a disabled number cannot be changed', undefined, 'NUMBER_DISABLED');
    }
    const patch: WhatsappNumberPatch = {};
    if (input.label !== undefined) patch.label = input.label;
    if (input.displayNumber !== undefined) patch.displayNumber = toE164(input.displayNumber);
    if (input.wabaId !== undefined) patch.wabaId = input.wabaId;
    if (input.businessPortfolioId !== undefined) patch.businessPortfolioId = input.businessPortfolioId;
    if (input.messagingTier !== undefined) patch.messagingTier = input.messagingTier;
    if (input.mpsCap !== undefined) patch.mpsCap = input.mpsCap;
    if (input.accessToken !== undefined) {
      patch.accessTokenEnc = this.box.encrypt(input.accessToken);
      patch.accessTokenLast4 = last4(input.accessToken);
    }
    if (input.status === 'paused') {
      const reason = input.pausedReason ?? current.pausedReason;
      if (!reason) throw new ValidationError('pausing a number needs a pausedReason', { field: 'pausedReason' });
      patch.status = 'paused';
      patch.pausedReason = reason;
      if (current.status !== 'paused') {
        patch.pausedAt = new Date();
        patch.pausedErrorCode = null;
      }
    } else if (input.status === 'active') {
      patch.status = 'active';
      patch.pausedReason = null;
      patch.pausedAt = null;
      patch.pausedErrorCode = null;
    } else if (input.pausedReason !== undefined && current.status !== 'paused') {
      throw new ValidationError('pausedReason applies only to a paused number', { field: 'pausedReason' });
    } else if (input.pausedReason) {
      patch.pausedReason = input.pausedReason;
    }
    const updated = await this.numbers.update(tenantId, id, patch);
    if (!updated) throw new NumberNotFoundError();
    const fields = Object.keys(patch).filter((f) => !f.endsWith('Enc') && !f.endsWith('Last4'));
    if (input.accessToken !== undefined) fields.push('accessToken');
    await this.audit.record(tenantId, actor, 'number.updated', { type: 'number', id }, { fields });
    this.health.forget(tenantId, id);
    // Resuming continues where sending stopped: the number's queued messages go out again, in order.
    if (current.status === 'paused' && updated.status === 'active') await this.health.recordResume(actor, tenantId, id);
    return updated;
  }

  /** Disabling is final for the number's row; its history stays. Sending through it stops. */
  async disable(actor: Actor, tenantId: TenantId, id: NumberId): Promise<WhatsappNumberEntity> {
    await this.get(tenantId, id);
    const updated = await this.numbers.update(tenantId, id, { status: 'disabled', pausedReason: null });
    if (!updated) throw new NumberNotFoundError();
    await this.audit.record(tenantId, actor, 'number.disabled', { type: 'number', id });
    return updated;
  }
}

function toE164(input: string): string {
  const res = normalizePhone(input);
  if (!res.ok) throw new ValidationError(`displayNumber: ${res.reason}`, { field: 'displayNumber' }, 'INVALID_PHONE_NUMBER');
  return res.e164;
}
