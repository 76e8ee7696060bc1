import { Injectable } from '@nestjs/common';
import { ForbiddenError, newId, ValidationError, type TenantId } from '#common';
import { TenantRepository, type Page, type PageRequest, type TenantEntity, type TenantMode, type TenantPatch, type TenantStatus } from '#database';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { CampaignsService } from '../campaigns/campaigns.service.js';
import { PrivacyPoliciesService } from '../privacy-policies/privacy-policies.service.js';
import { TenantNotFoundError } from './tenant.errors.js';

export interface CreateTenantInput {
  slug: string;
  displayName: string;
  istatCode?: string | null;
  timezone?: string;
  status?: TenantStatus;
  mode?: TenantMode;
  privacyPolicyUrl?: string | null;
  privacyPolicyVersion?: string | null;
  officeEmail?: string | null;
  officePhone?: string | null;
  officeAddress?: string | null;
  websiteUrl?: string | null;
  messageRetentionDays?: number;
}

export type UpdateTenantInput = Partial<Omit<CreateTenantInput, 'slug'>>;

/** Six months: long enough to follow up a citizen's report, short enough for GDPR minimisation. */
export const DEFAULT_MESSAGE_RETENTION_DAYS = 180;

/** True when the runtime knows the IANA time zone (e.g. Europe/Rome). */
export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('it-IT', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

@Injectable()
export class TenantsService {
  constructor(
    private readonly tenants: TenantRepository,
    private readonly audit: AuditService,
    private readonly policies: PrivacyPoliciesService,
    private readonly campaigns: CampaignsService,
  ) {}

  async create(actor: Actor | null, input: CreateTenantInput): Promise<TenantEntity> {
    const timezone = input.timezone ?? 'Europe/Rome';
    if (!isValidTimezone(timezone)) throw new ValidationError(`unknown time zone "${timezone}"`, { field: 'timezone' });
    const id = newId<TenantId>();
    const tenant = await this.tenants.create({
      id,
      slug: input.slug,
      displayName: input.displayName,
      istatCode: input.istatCode ?? null,
      timezone,
      status: input.status ?? 'onboarding',
      mode: input.mode ?? 'one_way',
      privacyPolicyUrl: input.privacyPolicyUrl ?? null,
      // Set by its publication below, which also starts the comune's history of versions.
      privacyPolicyVersion: null,
      officeEmail: input.officeEmail ?? null,
      officePhone: input.officePhone ?? null,
      officeAddress: input.officeAddress ?? null,
      websiteUrl: input.websiteUrl ?? null,
      messageRetentionDays: input.messageRetentionDays ?? DEFAULT_MESSAGE_RETENTION_DAYS,
    });
    await this.audit.record(id, actor, 'tenant.created', { type: 'tenant', id }, { slug: tenant.slug });
    if (!input.privacyPolicyVersion) return tenant;
    await this.policies.publish(actor, id, { version: input.privacyPolicyVersion, url: tenant.privacyPolicyUrl });
    return this.get(id);
  }

  list(page: PageRequest): Promise<Page<TenantEntity>> {
    return this.tenants.listUnscoped(page);
  }

  async get(tenantId: TenantId): Promise<TenantEntity> {
    const tenant = await this.tenants.findById(tenantId);
    if (!tenant) throw new TenantNotFoundError();
    return tenant;
  }

  /** Resolves a route's `:tenant` slug; callers check the actor's rights before using it. */
  async resolveSlugUnscoped(slug: string): Promise<TenantEntity> {
    const tenant = await this.tenants.findBySlugUnscoped(slug);
    if (!tenant) throw new TenantNotFoundError();
    return tenant;
  }

  async update(actor: Actor, tenantId: TenantId, input: UpdateTenantInput): Promise<TenantEntity> {
    if (actor.role !== 'operator' && input.status !== undefined) {
      throw new ForbiddenError("only the consortium's operators change a comune's status");
    }
    if (input.timezone !== undefined && !isValidTimezone(input.timezone)) {
      throw new ValidationError(`unknown time zone "${input.timezone}"`, { field: 'timezone' });
    }
    const { privacyPolicyVersion, privacyPolicyUrl, ...rest } = input;
    const before = await this.get(tenantId);
    // The version and its link go through the policy history (a new version is a publication).
    await this.policies.applyTenantSettings(actor, before, { version: privacyPolicyVersion, url: privacyPolicyUrl });
    const patch: TenantPatch = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    const tenant = Object.keys(patch).length > 0 ? await this.tenants.update(tenantId, patch) : await this.tenants.findById(tenantId);
    if (!tenant) throw new TenantNotFoundError();
    const fields = Object.entries(input).flatMap(([k, v]) => (v === undefined ? [] : [k]));
    await this.audit.record(tenantId, actor, 'tenant.updated', { type: 'tenant', id: tenantId }, { fields });
    // Suspended: nothing goes out any more (CampaignsService refuses new sends), the campaigns going
    // out now included.
    if (tenant.status === 'suspended' && before.status !== 'suspended') await this.campaigns.pauseForSuspension(tenantId, actor);
    return tenant;
  }
}
