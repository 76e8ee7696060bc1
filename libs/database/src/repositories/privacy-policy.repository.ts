import { Injectable } from '@nestjs/common';
import { ConflictError, type TenantId } from '#common';
import { REACHING_STATUSES } from '../entities/outbound-message.entity.js';
import { PrivacyPolicyVersionEntity } from '../entities/privacy-policy-version.entity.js';
import { TenantDb } from '../tenant-db.js';
import { uniqueViolation } from './pagination.js';

export type NewPrivacyPolicyVersion = Omit<PrivacyPolicyVersionEntity, 'tenantId' | 'createdAt' | 'updatedAt'>;
export type PrivacyPolicyVersionPatch = Partial<Pick<PrivacyPolicyVersionEntity, 'url' | 'acceptanceDeadline'>>;

/** Campaign states in which a request to accept a version is still open (one per version at a time). */
export const OPEN_REQUEST_STATUSES = ['draft', 'awaiting_approval', 'scheduled', 'sending', 'paused'] as const;

/** Active subscribers by the version they last accepted (null: none). */
export interface AcceptanceCounts {
  active: number;
  byVersion: Map<string | null, number>;
}

/** Who was sent a request to accept a version: active subscribers, distinct, and when the requests started. */
export interface AskedCounts {
  asked: number;
  /** Of those, how many have not accepted the version (yet). */
  askedPending: number;
  firstAskedAt: Date | null;
  lastAskedAt: Date | null;
}

/** One request to accept a version (a campaign) with its recipients' outcome. */
export interface AcceptanceRequestRow {
  campaignId: string;
  versionId: string;
  status: string;
  reminder: boolean;
  createdBy: string | null;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  targeted: number;
  pending: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  skipped: number;
  /** Recipients of this request who have accepted the version by now. */
  acceptedSince: number;
}

/**
 * A comune's privacy policy versions (history) and the figures of their acceptance: who accepted
 * which version, who was asked, and each request's outcome.
 */
@Injectable()
export class PrivacyPolicyRepository {
  constructor(private readonly db: TenantDb) {}

  /** Newest publication first (the order they were published in, whatever dates they carry). */
  list(tenantId: TenantId): Promise<PrivacyPolicyVersionEntity[]> {
    return this.db.forTenant(tenantId, (m) => m.find(PrivacyPolicyVersionEntity, { where: { tenantId }, order: { createdAt: 'DESC', id: 'ASC' } }));
  }

  findById(tenantId: TenantId, id: string): Promise<PrivacyPolicyVersionEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(PrivacyPolicyVersionEntity, { tenantId, id }));
  }

  findByVersion(tenantId: TenantId, version: string): Promise<PrivacyPolicyVersionEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(PrivacyPolicyVersionEntity, { tenantId, version }));
  }

  /**
   * Publishes a version: its history row and the comune's current version and link change in one
   * transaction, so a consent recorded at any moment quotes a version the history holds.
   */
  async publish(tenantId: TenantId, row: NewPrivacyPolicyVersion): Promise<PrivacyPolicyVersionEntity> {
    try {
      return await this.db.forTenant(tenantId, async (m) => {
        await m.insert(PrivacyPolicyVersionEntity, { ...row, tenantId });
        await m.query(`UPDATE tenants SET privacy_policy_version = $2, privacy_policy_url = $3, updated_at = now() WHERE id = $1`, [
          tenantId,
          row.version,
          row.url,
        ]);
        return m.findOneByOrFail(PrivacyPolicyVersionEntity, { tenantId, id: row.id });
      });
    } catch (err) {
      if (uniqueViolation(err) === 'privacy_policy_versions_version_key') {
        throw new ConflictError(`version "${row.version}" was already published: give the new text a new version label`, 'POLICY_VERSION_EXISTS');
      }
      throw err;
    }
  }

  /** Corrects a version's link or deadline; the current version's link is the comune's too. */
  update(tenantId: TenantId, id: string, patch: PrivacyPolicyVersionPatch): Promise<PrivacyPolicyVersionEntity | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const row = await m.findOneBy(PrivacyPolicyVersionEntity, { tenantId, id });
      if (!row) return null;
      await m.update(PrivacyPolicyVersionEntity, { tenantId, id }, { ...patch, updatedAt: new Date() });
      if (patch.url !== undefined) {
        await m.query(`UPDATE tenants SET privacy_policy_url = $3, updated_at = now() WHERE id = $1 AND privacy_policy_version = $2`, [
          tenantId,
          row.version,
          patch.url,
        ]);
      }
      return m.findOneByOrFail(PrivacyPolicyVersionEntity, { tenantId, id });
    });
  }

  async acceptanceCounts(tenantId: TenantId): Promise<AcceptanceCounts> {
    const rows: { version: string | null; n: number }[] = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT policy_version_accepted AS version, count(*)::int AS n FROM subscribers
          WHERE tenant_id = $1 AND status = 'active' AND erased_at IS NULL GROUP BY policy_version_accepted`,
        [tenantId],
      ),
    );
    return { active: rows.reduce((sum, r) => sum + r.n, 0), byVersion: new Map(rows.map((r) => [r.version, r.n])) };
  }

  /** Per version id: the active subscribers a request reached or is reaching (REACHING_STATUSES). */
  async askedCounts(tenantId: TenantId): Promise<Map<string, AskedCounts>> {
    const rows: (AskedCounts & { versionId: string })[] = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT k.policy_version_id AS "versionId",
                count(DISTINCT o.subscriber_id)::int AS asked,
                count(DISTINCT o.subscriber_id) FILTER (WHERE s.policy_version_accepted IS DISTINCT FROM v.version)::int AS "askedPending",
                min(coalesce(k.started_at, k.created_at)) AS "firstAskedAt",
                max(coalesce(k.started_at, k.created_at)) AS "lastAskedAt"
           FROM campaigns k
           JOIN privacy_policy_versions v ON v.tenant_id = k.tenant_id AND v.id = k.policy_version_id
           JOIN outbound_messages o ON o.tenant_id = k.tenant_id AND o.campaign_id = k.id
           JOIN subscribers s ON s.tenant_id = o.tenant_id AND s.id = o.subscriber_id
          WHERE k.tenant_id = $1 AND k.policy_version_id IS NOT NULL AND o.status = ANY($2::text[])
            AND s.status = 'active' AND s.erased_at IS NULL
          GROUP BY k.policy_version_id`,
        [tenantId, REACHING_STATUSES],
      ),
    );
    return new Map(rows.map(({ versionId, ...counts }) => [versionId, counts]));
  }

  /** The requests to accept a version (all versions when none is given), oldest first. */
  requests(tenantId: TenantId, versionId?: string): Promise<AcceptanceRequestRow[]> {
    return this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT k.id AS "campaignId", k.policy_version_id AS "versionId", k.status,
                coalesce((k.audience -> 'policyPending' ->> 'includeAsked')::boolean, false) AS reminder,
                k.created_by AS "createdBy", k.created_at AS "createdAt", k.started_at AS "startedAt", k.completed_at AS "completedAt",
                count(o.id)::int AS targeted,
                count(o.id) FILTER (WHERE o.status IN ('queued', 'sending', 'unknown'))::int AS pending,
                count(o.id) FILTER (WHERE o.status IN ('accepted', 'sent', 'delivered', 'read'))::int AS sent,
                count(o.id) FILTER (WHERE o.status IN ('delivered', 'read'))::int AS delivered,
                count(o.id) FILTER (WHERE o.status = 'read')::int AS read,
                count(o.id) FILTER (WHERE o.status = 'failed')::int AS failed,
                count(o.id) FILTER (WHERE o.status = 'skipped')::int AS skipped,
                count(o.id) FILTER (WHERE s.policy_version_accepted = v.version)::int AS "acceptedSince"
           FROM campaigns k
           JOIN privacy_policy_versions v ON v.tenant_id = k.tenant_id AND v.id = k.policy_version_id
           LEFT JOIN outbound_messages o ON o.tenant_id = k.tenant_id AND o.campaign_id = k.id
           LEFT JOIN subscribers s ON s.tenant_id = o.tenant_id AND s.id = o.subscriber_id
          WHERE k.tenant_id = $1 AND k.policy_version_id IS NOT NULL AND ($2::uuid IS NULL OR k.policy_version_id = $2::uuid)
          GROUP BY k.tenant_id, k.id
          ORDER BY k.created_at, k.id`,
        [tenantId, versionId ?? null],
      ),
    );
  }

  /** The request to accept this version that is still open (not completed, cancelled or failed), if any. */
  async openRequestId(tenantId: TenantId, versionId: string): Promise<string | null> {
    const rows: { id: string }[] = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT id FROM campaigns WHERE tenant_id = $1 AND policy_version_id = $2 AND status = ANY($3::text[]) LIMIT 1`, [
        tenantId,
        versionId,
        OPEN_REQUEST_STATUSES,
      ]),
    );
    return rows[0]?.id ?? null;
  }

  /**
   * The request a citizen's tap answers: the acceptance-request campaign whose message has this
   * wamid (the tap's context), so the ledger can point at what was asked.
   */
  async requestOfMessage(tenantId: TenantId, wamid: string): Promise<{ campaignId: string; versionId: string } | null> {
    const rows: { campaignId: string; versionId: string }[] = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT k.id AS "campaignId", k.policy_version_id AS "versionId"
           FROM outbound_messages o JOIN campaigns k ON k.tenant_id = o.tenant_id AND k.id = o.campaign_id
          WHERE o.tenant_id = $1 AND o.provider_message_id = $2 AND k.policy_version_id IS NOT NULL`,
        [tenantId, wamid],
      ),
    );
    return rows[0] ?? null;
  }
}
