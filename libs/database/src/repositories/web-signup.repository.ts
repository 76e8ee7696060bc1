import { Injectable } from '@nestjs/common';
import type { TenantId } from '#common';
import { TenantDb } from '../tenant-db.js';
import { returningRows } from './sql.js';

export interface WebSignup {
  tenantId: TenantId;
  id: string;
  subscriberId: string;
  listIds: string[];
  firstName: string | null;
  lastName: string | null;
  frazione: string | null;
  ip: string | null;
  userAgent: string | null;
  status: 'pending' | 'confirmed' | 'expired';
  createdAt: Date;
  expiresAt: Date;
  confirmedAt: Date | null;
}

const COLUMNS = `tenant_id AS "tenantId", id, subscriber_id AS "subscriberId", list_ids AS "listIds", first_name AS "firstName",
  last_name AS "lastName", frazione, ip, user_agent AS "userAgent", status, created_at AS "createdAt", expires_at AS "expiresAt",
  confirmed_at AS "confirmedAt"`;

/** Web-form sign-ups waiting for the citizen's confirmation from WhatsApp (double opt-in). */
@Injectable()
export class WebSignupRepository {
  constructor(private readonly db: TenantDb) {}

  async create(tenantId: TenantId, s: Omit<WebSignup, 'tenantId' | 'status' | 'createdAt' | 'confirmedAt'>): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO web_signups (tenant_id, id, subscriber_id, list_ids, first_name, last_name, frazione, ip, user_agent, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [tenantId, s.id, s.subscriberId, s.listIds, s.firstName, s.lastName, s.frazione, s.ip, s.userAgent, s.expiresAt],
      ),
    );
  }

  async findById(tenantId: TenantId, id: string): Promise<WebSignup | null> {
    const rows: WebSignup[] = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT ${COLUMNS} FROM web_signups WHERE tenant_id = $1 AND id = $2`, [tenantId, id]),
    );
    return rows[0] ?? null;
  }

  async setOutbound(tenantId: TenantId, id: string, outboundMessageId: string): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(`UPDATE web_signups SET outbound_message_id = $3 WHERE tenant_id = $1 AND id = $2`, [tenantId, id, outboundMessageId]),
    );
  }

  /** Confirms a pending, unexpired sign-up once; false when it was not (already confirmed, expired). */
  async confirm(tenantId: TenantId, id: string): Promise<boolean> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ id: string }>(
        m,
        `UPDATE web_signups SET status = 'confirmed', confirmed_at = now()
          WHERE tenant_id = $1 AND id = $2 AND status = 'pending' AND expires_at > now() RETURNING id`,
        [tenantId, id],
      ),
    );
    return rows.length > 0;
  }

  /** Sign-ups nobody confirmed in time, across comuni. */
  async expireDueUnscoped(now: Date): Promise<number> {
    const rows = await this.db.unscoped((m) =>
      returningRows<{ id: string }>(m, `UPDATE web_signups SET status = 'expired' WHERE status = 'pending' AND expires_at <= $1 RETURNING id`, [now]),
    );
    return rows.length;
  }
}
