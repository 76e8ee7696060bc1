import { Injectable } from '@nestjs/common';
import type { ProviderAppId } from '#common';
import { WebhookEventEntity, type WebhookEventStatus } from '../entities/webhook-event.entity.js';
import { TenantDb } from '../tenant-db.js';
import { returningRows } from './sql.js';

export interface NewWebhookEvent {
  providerAppId: ProviderAppId;
  receivedAt: Date;
  body: Buffer;
  status: Extract<WebhookEventStatus, 'pending' | 'malformed'>;
}

/** Raw webhook bodies: consortium-level rows, written by the intake and read by the worker. */
@Injectable()
export class WebhookEventRepository {
  constructor(private readonly db: TenantDb) {}

  /**
   * Stores a micro-batch in one statement (one round trip and one WAL flush for the batch), and
   * returns the ids in input order.
   */
  insertMany(events: readonly NewWebhookEvent[]): Promise<string[]> {
    if (events.length === 0) return Promise.resolve([]);
    // The bodies travel as one binary parameter cut by offset and length: a bytea[] parameter would
    // be hex-encoded into a string by the driver, which costs the api more CPU than the rest of the
    // request. WITH ORDINALITY keeps the returned ids in input order.
    const offsets: number[] = [];
    let at = 0;
    for (const e of events) {
      offsets.push(at);
      at += e.body.length;
    }
    return this.db.withoutTenant(async (m) => {
      const rows: { id: string }[] = await m.query(
        `INSERT INTO webhook_events (provider_app_id, received_at, body, status)
         SELECT x.app, x.at, substring($3::bytea FROM x.off + 1 FOR x.len), x.status
           FROM unnest($1::uuid[], $2::timestamptz[], $4::int[], $5::int[], $6::text[]) WITH ORDINALITY AS x(app, at, off, len, status, n)
          ORDER BY x.n
         RETURNING id`,
        [
          events.map((e) => e.providerAppId),
          events.map((e) => e.receivedAt),
          Buffer.concat(events.map((e) => e.body)),
          offsets,
          events.map((e) => e.body.length),
          events.map((e) => e.status),
        ],
      );
      return rows.map((r) => String(r.id));
    });
  }

  /** The pending events among ids, oldest first. */
  findPending(ids: readonly string[]): Promise<WebhookEventEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.withoutTenant((m) =>
      m
        .createQueryBuilder(WebhookEventEntity, 'e')
        .where('e.id IN (:...ids)', { ids })
        .andWhere(`e.status = 'pending'`)
        .orderBy('e.id', 'ASC')
        .getMany(),
    );
  }

  /** Pending events received before `before`: the sweeper's safety net when a queue job was lost. */
  async listStalePendingIds(before: Date, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.db.withoutTenant((m) =>
      m.query(`SELECT id FROM webhook_events WHERE status = 'pending' AND received_at < $1 ORDER BY id LIMIT $2`, [before, limit]),
    );
    return rows.map((r) => String(r.id));
  }

  /** Marks a batch processed in one statement; events with problems keep them for inspection. */
  async markProcessedMany(events: readonly { id: string; problems: readonly string[] }[]): Promise<void> {
    if (events.length === 0) return;
    await this.db.withoutTenant((m) =>
      m.query(
        `UPDATE webhook_events e SET status = 'processed', processed_at = now(), attempts = e.attempts + 1, problems = x.problems
           FROM unnest($1::bigint[], $2::jsonb[]) AS x(id, problems)
          WHERE e.id = x.id`,
        [events.map((e) => e.id), events.map((e) => (e.problems.length > 0 ? JSON.stringify(e.problems) : null))],
      ),
    );
  }

  /** Counts a failed attempt; after maxAttempts the event is parked as failed for an operator to look at. */
  async recordFailure(id: string, error: string, maxAttempts: number): Promise<WebhookEventStatus> {
    const rows = await this.db.withoutTenant((m) =>
      returningRows<{ status: WebhookEventStatus }>(
        m,
        `UPDATE webhook_events
            SET attempts = attempts + 1, last_error = left($2, 2000),
                status = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE status END
          WHERE id = $1 RETURNING status`,
        [id, error, maxAttempts],
      ),
    );
    return rows[0]?.status ?? 'failed';
  }

  /** Deletes raw bodies older than `before` that need nothing more (processed or malformed). */
  async purgeOlderThan(before: Date): Promise<number> {
    const rows: { n: string }[] = await this.db.withoutTenant((m) =>
      m.query(
        `WITH gone AS (DELETE FROM webhook_events WHERE received_at < $1 AND status IN ('processed', 'malformed') RETURNING 1)
         SELECT count(*) AS n FROM gone`,
        [before],
      ),
    );
    return Number(rows[0]?.n ?? 0);
  }
}
