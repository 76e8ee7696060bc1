import { Injectable } from '@nestjs/common';
import type { ProviderAppId } from '#common';
import { WebhookDeadLetterEntity, type DeadLetterResolution } from '../entities/webhook-dead-letter.entity.js';
import { TenantDb } from '../tenant-db.js';
import type { Page, PageRequest } from './pagination.js';

export interface NewDeadLetter {
  webhookEventId: string;
  providerAppId: ProviderAppId;
  phoneNumberId: string | null;
  wabaId: string | null;
  field: string;
  reason: string;
  payload: Record<string, unknown>;
}

/** Webhook changes no comune owns; consortium-level, reached only by operators. */
@Injectable()
export class WebhookDeadLetterRepository {
  constructor(private readonly db: TenantDb) {}

  async insertMany(letters: readonly NewDeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.db.withoutTenant((m) =>
      m.query(
        `INSERT INTO webhook_dead_letters (webhook_event_id, provider_app_id, phone_number_id, waba_id, field, reason, payload)
         SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])`,
        [
          letters.map((l) => l.webhookEventId),
          letters.map((l) => l.providerAppId),
          letters.map((l) => l.phoneNumberId),
          letters.map((l) => l.wabaId),
          letters.map((l) => l.field),
          letters.map((l) => l.reason),
          letters.map((l) => JSON.stringify(l.payload)),
        ],
      ),
    );
  }

  list(page: PageRequest, open: boolean | undefined): Promise<Page<WebhookDeadLetterEntity>> {
    return this.db.withoutTenant(async (m) => {
      const qb = m.createQueryBuilder(WebhookDeadLetterEntity, 'd').orderBy('d.id', 'DESC').take(page.limit).skip(page.offset);
      if (open === true) qb.where('d.resolved_at IS NULL');
      if (open === false) qb.where('d.resolved_at IS NOT NULL');
      const [items, total] = await qb.getManyAndCount();
      return { items, total, ...page };
    });
  }

  findById(id: string): Promise<WebhookDeadLetterEntity | null> {
    return this.db.withoutTenant((m) => m.findOneBy(WebhookDeadLetterEntity, { id }));
  }

  /** Resolves an open letter; false when it was already resolved (a double click). */
  async resolve(id: string, resolution: DeadLetterResolution): Promise<boolean> {
    const result = await this.db.withoutTenant((m) =>
      m
        .createQueryBuilder()
        .update(WebhookDeadLetterEntity)
        .set({ resolvedAt: () => 'now()', resolution })
        .where('id = :id AND resolved_at IS NULL', { id })
        .execute(),
    );
    return (result.affected ?? 0) > 0;
  }

  async purgeResolvedBefore(before: Date): Promise<number> {
    const result = await this.db.withoutTenant((m) =>
      m.createQueryBuilder().delete().from(WebhookDeadLetterEntity).where('resolved_at < :before', { before }).execute(),
    );
    return result.affected ?? 0;
  }
}
