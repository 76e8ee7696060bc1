import { Injectable } from '@nestjs/common';
import { Clock, ConflictError, isUuid, newId, ValidationError, type TenantId } from '#common';
import {
  PrivacyPolicyRepository,
  TenantRepository,
  type AcceptanceRequestRow,
  type PolicyGate,
  type PrivacyPolicyVersionEntity,
  type TenantEntity,
} from '#database';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { TenantNotFoundError } from '../tenants/tenant.errors.js';
import { checkDeadline, checkPublishedOn, deadlinePassed, todayIn } from './policy-rules.js';
import { PolicyErrorCode, PolicyVersionNotFoundError } from './privacy-policies.errors.js';

export interface PublishPolicyInput {
  version: string;
  url: string | null;
  /** YYYY-MM-DD in the comune's calendar; today when not given. */
  publishedOn?: string;
  acceptanceDeadline?: string | null;
}

export interface PolicyVersionPatch {
  url?: string | null;
  /** null removes the deadline. */
  acceptanceDeadline?: string | null;
}

/** A version with where the comune's active subscribers stand with it. */
export interface PolicyVersionStatus {
  version: PrivacyPolicyVersionEntity;
  current: boolean;
  deadlinePassed: boolean;
  subscribers: {
    active: number;
    /** Active subscribers whose last accepted version is this one. */
    accepted: number;
    /** Current version only: active subscribers who have not accepted it. */
    pending: number | null;
    /** Active subscribers a request for this version reached or is reaching. */
    asked: number;
    /** Of the pending, those never asked (what a request that is not a reminder would reach). */
    notAsked: number | null;
    /** Current version past its deadline: the pending, whom normal broadcasts skip. */
    pausedFromBroadcasts: number;
  };
  firstAskedAt: Date | null;
  lastAskedAt: Date | null;
  requests: AcceptanceRequestRow[];
}

/**
 * A comune's privacy policy versions: publishing one (the history row and the comune's current
 * version change together, audited), its link and acceptance deadline, where the active
 * subscribers stand with each version, and the gate that holds back normal broadcasts from those
 * who have not accepted the current version once its deadline has passed (docs/adr/0008).
 */
@Injectable()
export class PrivacyPoliciesService {
  constructor(
    private readonly policies: PrivacyPolicyRepository,
    private readonly tenants: TenantRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async publish(actor: Actor | null, tenantId: TenantId, input: PublishPolicyInput): Promise<PrivacyPolicyVersionEntity> {
    const tenant = await this.tenant(tenantId);
    const version = input.version.trim();
    if (version === '') throw new ValidationError('version must not be blank', { field: 'version' });
    const today = todayIn(tenant.timezone, this.clock.now());
    const publishedOn = input.publishedOn ?? today;
    checkPublishedOn(publishedOn, today);
    if (input.acceptanceDeadline) checkDeadline(input.acceptanceDeadline, publishedOn, today);
    const row = await this.policies.publish(tenantId, {
      id: newId(),
      version,
      url: input.url,
      publishedOn,
      acceptanceDeadline: input.acceptanceDeadline ?? null,
      publishedBy: actor?.userId ?? null,
    });
    await this.audit.record(
      tenantId,
      actor,
      'privacy_policy.published',
      { type: 'privacy_policy_version', id: row.id },
      { version, url: input.url, publishedOn, acceptanceDeadline: row.acceptanceDeadline, previous: tenant.privacyPolicyVersion },
    );
    return row;
  }

  /**
   * The comune's settings may still name the version and link (onboarding, presets, PATCH of the
   * comune): a different version is a publication, like any other; a new link alone corrects the
   * current version's.
   */
  async applyTenantSettings(actor: Actor | null, tenant: TenantEntity, input: { version?: string | null; url?: string | null }): Promise<void> {
    if (input.version === null && tenant.privacyPolicyVersion !== null) {
      throw new ValidationError(
        'a published privacy policy version cannot be withdrawn: publish the new one instead',
        { field: 'privacyPolicyVersion' },
        PolicyErrorCode.VersionRequired,
      );
    }
    if (input.version && input.version.trim() !== tenant.privacyPolicyVersion) {
      await this.publish(actor, tenant.id, { version: input.version, url: input.url !== undefined ? input.url : tenant.privacyPolicyUrl });
      return;
    }
    if (input.url === undefined || input.url === tenant.privacyPolicyUrl) return;
    const current = tenant.privacyPolicyVersion ? await this.policies.findByVersion(tenant.id, tenant.privacyPolicyVersion) : null;
    if (current) await this.update(actor, tenant.id, current.id, { url: input.url });
    else await this.tenants.update(tenant.id, { privacyPolicyUrl: input.url });
  }

  async list(tenantId: TenantId): Promise<PolicyVersionStatus[]> {
    const [tenant, versions] = await Promise.all([this.tenant(tenantId), this.policies.list(tenantId)]);
    return this.statuses(tenant, versions, null);
  }

  async get(tenantId: TenantId, id: string): Promise<PolicyVersionStatus> {
    const [tenant, version] = await Promise.all([this.tenant(tenantId), this.find(tenantId, id)]);
    const [status] = await this.statuses(tenant, [version], id);
    return status;
  }

  /** 404 for an id that is not one of this comune's versions. */
  async find(tenantId: TenantId, id: string): Promise<PrivacyPolicyVersionEntity> {
    const row = isUuid(id) ? await this.policies.findById(tenantId, id) : null;
    if (!row) throw new PolicyVersionNotFoundError();
    return row;
  }

  async update(actor: Actor | null, tenantId: TenantId, id: string, patch: PolicyVersionPatch): Promise<PrivacyPolicyVersionEntity> {
    const [tenant, row] = await Promise.all([this.tenant(tenantId), this.find(tenantId, id)]);
    if (patch.acceptanceDeadline !== undefined) {
      // A deadline holds back broadcasts from those who have not accepted the version in force; on
      // an older version it would mean nothing.
      if (row.version !== tenant.privacyPolicyVersion) {
        throw new ConflictError(
          `version ${row.version} is no longer in force (current: ${tenant.privacyPolicyVersion ?? 'none'}): only the current version has a deadline`,
          PolicyErrorCode.NotCurrent,
        );
      }
      if (patch.acceptanceDeadline !== null) checkDeadline(patch.acceptanceDeadline, row.publishedOn, todayIn(tenant.timezone, this.clock.now()));
    }
    const updated = await this.policies.update(tenantId, id, patch);
    if (!updated) throw new PolicyVersionNotFoundError();
    await this.audit.record(
      tenantId,
      actor,
      'privacy_policy.updated',
      { type: 'privacy_policy_version', id },
      { version: row.version, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) },
    );
    return updated;
  }

  /**
   * The gate for normal broadcasts: the current version once its acceptance deadline is over, or
   * null. Emergencies and the requests to accept are never gated.
   */
  async broadcastGate(tenantId: TenantId): Promise<PolicyGate | null> {
    const tenant = await this.tenants.findById(tenantId);
    if (!tenant?.privacyPolicyVersion) return null;
    const current = await this.policies.findByVersion(tenantId, tenant.privacyPolicyVersion);
    if (!current || !deadlinePassed(current.acceptanceDeadline, tenant.timezone, this.clock.now())) return null;
    return {
      version: current.version,
      reason: `has not accepted privacy policy version ${current.version} by its deadline (${current.acceptanceDeadline}): only emergencies until they do`,
    };
  }

  /** Whether the version's deadline is over, in the comune's calendar. */
  deadlinePassed(tenant: TenantEntity, version: PrivacyPolicyVersionEntity): boolean {
    return deadlinePassed(version.acceptanceDeadline, tenant.timezone, this.clock.now());
  }

  private async statuses(tenant: TenantEntity, versions: PrivacyPolicyVersionEntity[], versionId: string | null): Promise<PolicyVersionStatus[]> {
    const [acceptance, asked, requests] = await Promise.all([
      this.policies.acceptanceCounts(tenant.id),
      this.policies.askedCounts(tenant.id),
      this.policies.requests(tenant.id, versionId ?? undefined),
    ]);
    return versions.map((v) => {
      const current = v.version === tenant.privacyPolicyVersion;
      const accepted = acceptance.byVersion.get(v.version) ?? 0;
      const a = asked.get(v.id);
      const pending = current ? acceptance.active - accepted : null;
      const passed = current && this.deadlinePassed(tenant, v);
      return {
        version: v,
        current,
        deadlinePassed: passed,
        subscribers: {
          active: acceptance.active,
          accepted,
          pending,
          asked: a?.asked ?? 0,
          notAsked: pending === null ? null : Math.max(0, pending - (a?.askedPending ?? 0)),
          pausedFromBroadcasts: passed ? (pending ?? 0) : 0,
        },
        firstAskedAt: a?.firstAskedAt ?? null,
        lastAskedAt: a?.lastAskedAt ?? null,
        requests: requests.filter((r) => r.versionId === v.id),
      };
    });
  }

  private async tenant(tenantId: TenantId): Promise<TenantEntity> {
    const tenant = await this.tenants.findById(tenantId);
    if (!tenant) throw new TenantNotFoundError();
    return tenant;
  }
}
