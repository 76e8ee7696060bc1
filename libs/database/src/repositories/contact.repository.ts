import { Injectable } from '@nestjs/common';
import type { ContactId, NumberId, TenantId } from '#common';
import { ContactEntity } from '../entities/contact.entity.js';
import { TenantDb } from '../tenant-db.js';
import type { Page, PageRequest } from './pagination.js';
import { returningRows } from './sql.js';

export interface InboundContactSighting {
  numberId: NumberId;
  waId: string | null;
  userId: string | null;
  profileName: string | null;
  /** When the citizen's message was sent: opens or refreshes the 24-hour window. */
  at: Date;
}

export type ContactKey = `${string}|wa:${string}` | `${string}|bsuid:${string}`;

export function contactKey(numberId: string, waId: string | null, userId: string | null): ContactKey {
  return waId ? `${numberId}|wa:${waId}` : `${numberId}|bsuid:${userId ?? ''}`;
}

@Injectable()
export class ContactRepository {
  constructor(private readonly db: TenantDb) {}

  /**
   * Creates or refreshes the contacts behind a batch of inbound messages and returns their ids by
   * contactKey. Any message from a citizen reopens their window and clears a delivery hold or an
   * undeliverable count (they are evidently reachable).
   */
  upsertSightings(tenantId: TenantId, sightings: readonly InboundContactSighting[]): Promise<Map<ContactKey, ContactId>> {
    // One row per key (ON CONFLICT cannot touch a row twice in one statement), latest sighting wins.
    const byKey = new Map<ContactKey, InboundContactSighting>();
    for (const s of sightings) {
      if (!s.waId && !s.userId) continue;
      const key = contactKey(s.numberId, s.waId, s.userId);
      const seen = byKey.get(key);
      if (!seen || seen.at < s.at)
        byKey.set(key, { ...s, profileName: s.profileName ?? seen?.profileName ?? null, userId: s.userId ?? seen?.userId ?? null });
    }
    const withWa = [...byKey.values()].filter((s) => s.waId);
    const bsuidOnly = [...byKey.values()].filter((s) => !s.waId);
    return this.db.forTenant(tenantId, async (m) => {
      const ids = new Map<ContactKey, ContactId>();
      for (const [rows, target] of [
        [withWa, 'wa_id'],
        [bsuidOnly, 'user_id'],
      ] as const) {
        if (rows.length === 0) continue;
        const result: { id: ContactId; number_id: string; wa_id: string | null; user_id: string | null }[] = await m.query(
          `INSERT INTO contacts AS c (tenant_id, id, number_id, wa_id, user_id, profile_name, last_inbound_at)
           SELECT $1, gen_random_uuid(), x.number_id, x.wa_id, x.user_id, x.profile_name, x.at
             FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS x(number_id, wa_id, user_id, profile_name, at)
           ON CONFLICT (tenant_id, number_id, ${target}) DO UPDATE SET
             profile_name = coalesce(EXCLUDED.profile_name, c.profile_name),
             user_id = coalesce(c.user_id, EXCLUDED.user_id),
             last_inbound_at = greatest(c.last_inbound_at, EXCLUDED.last_inbound_at),
             held_until = NULL,
             undeliverable_count = 0,
             updated_at = now()
           RETURNING id, number_id, wa_id, user_id`,
          [
            tenantId,
            rows.map((r) => r.numberId),
            rows.map((r) => r.waId),
            rows.map((r) => r.userId),
            rows.map((r) => r.profileName),
            rows.map((r) => r.at),
          ],
        );
        for (const r of result) ids.set(contactKey(r.number_id, r.wa_id, r.user_id), r.id);
      }
      return ids;
    });
  }

  findById(tenantId: TenantId, id: ContactId): Promise<ContactEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(ContactEntity, { tenantId, id }));
  }

  findByUserId(tenantId: TenantId, numberId: NumberId, userId: string): Promise<ContactEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(ContactEntity, { tenantId, numberId, userId }));
  }

  /** Finds the contact, creating it without a window (someone the comune writes to first). */
  async findOrCreateByWaId(tenantId: TenantId, numberId: NumberId, waId: string): Promise<ContactEntity> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.query(
        `INSERT INTO contacts (tenant_id, id, number_id, wa_id) VALUES ($1, gen_random_uuid(), $2, $3)
         ON CONFLICT (tenant_id, number_id, wa_id) DO NOTHING`,
        [tenantId, numberId, waId],
      );
      return m.findOneByOrFail(ContactEntity, { tenantId, numberId, waId });
    });
  }

  list(tenantId: TenantId, page: PageRequest): Promise<Page<ContactEntity>> {
    return this.db.forTenant(tenantId, async (m) => {
      const [items, total] = await m.findAndCount(ContactEntity, {
        where: { tenantId },
        order: { updatedAt: 'DESC', id: 'ASC' },
        take: page.limit,
        skip: page.offset,
      });
      return { items, total, ...page };
    });
  }

  /** Records what a delivery failure says about the citizen (see the error actions in #whatsapp). */
  async recordDeliveryFailure(
    tenantId: TenantId,
    id: ContactId,
    effect: { errorCode: number | null; undeliverable?: boolean; marketingOptOutAt?: Date; holdUntil?: Date },
  ): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `UPDATE contacts SET
           last_error_code = $3,
           undeliverable_count = undeliverable_count + CASE WHEN $4 THEN 1 ELSE 0 END,
           marketing_opted_out_at = coalesce($5, marketing_opted_out_at),
           held_until = CASE WHEN $6::timestamptz IS NULL THEN held_until ELSE greatest(held_until, $6::timestamptz) END,
           updated_at = now()
         WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id, effect.errorCode, effect.undeliverable === true, effect.marketingOptOutAt ?? null, effect.holdUntil ?? null],
      ),
    );
  }

  /**
   * Takes (or, with the same token, extends) the right to handle this contact's messages for `ms`:
   * 'taken' when this caller holds it now, 'held' when another holder's has not expired, 'gone'
   * when there is no such contact (erased). See ContactHandlingLease1795436000000.
   */
  async takeHandling(tenantId: TenantId, id: ContactId, token: string, ms: number): Promise<'taken' | 'held' | 'gone'> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ taken: boolean }>(
        m,
        `WITH c AS (SELECT id FROM contacts WHERE tenant_id = $1 AND id = $2),
              t AS (UPDATE contacts SET handling_token = $3, handling_until = now() + $4 * interval '1 millisecond'
                     WHERE tenant_id = $1 AND id = $2 AND (handling_token IS NULL OR handling_token = $3 OR handling_until < now())
                     RETURNING id)
         SELECT EXISTS (SELECT 1 FROM t) AS taken FROM c`,
        [tenantId, id, token, ms],
      ),
    );
    return rows.length === 0 ? 'gone' : rows[0].taken ? 'taken' : 'held';
  }

  /** Gives the handling lease back, if this token still holds it. */
  async releaseHandling(tenantId: TenantId, id: ContactId, token: string): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(`UPDATE contacts SET handling_token = NULL, handling_until = NULL WHERE tenant_id = $1 AND id = $2 AND handling_token = $3`, [
        tenantId,
        id,
        token,
      ]),
    );
  }

  /** Claims today's auto-reply for this contact: true only for the first caller in 24 hours. */
  async claimAutoReply(tenantId: TenantId, id: ContactId): Promise<boolean> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ id: string }>(
        m,
        `UPDATE contacts SET auto_replied_at = now() WHERE tenant_id = $1 AND id = $2
            AND (auto_replied_at IS NULL OR auto_replied_at < now() - interval '24 hours') RETURNING id`,
        [tenantId, id],
      ),
    );
    return rows.length > 0;
  }

  /** user_preferences webhook: the citizen stopped (or resumed) marketing messages from this business. */
  async setMarketingPreference(
    tenantId: TenantId,
    numberId: NumberId,
    who: { waId: string | null; userId: string | null },
    stoppedAt: Date | null,
  ): Promise<number> {
    const column = who.waId ? 'wa_id' : 'user_id';
    const value = who.waId ?? who.userId;
    if (!value) return 0;
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ id: string }>(
        m,
        `UPDATE contacts SET marketing_opted_out_at = $4, updated_at = now()
          WHERE tenant_id = $1 AND number_id = $2 AND ${column} = $3 RETURNING id`,
        [tenantId, numberId, value, stoppedAt],
      ),
    );
    return rows.length;
  }
}
