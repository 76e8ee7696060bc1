import { Injectable } from '@nestjs/common';
import type { TenantId } from '#common';
import { AuditEventRepository, type AuditEventEntity, type Page, type PageRequest } from '#database';
import type { Actor } from '../auth/actor.js';

/** Records who changed what in a comune; details never hold secrets or citizens' numbers. */
@Injectable()
export class AuditService {
  constructor(private readonly events: AuditEventRepository) {}

  record(
    tenantId: TenantId,
    actor: Actor | null,
    action: string,
    target: { type: string; id: string | null },
    details: Record<string, unknown> = {},
  ): Promise<void> {
    return this.events.append(tenantId, {
      actorUserId: actor?.userId ?? null,
      actorRole: actor?.role ?? 'system',
      action,
      targetType: target.type,
      targetId: target.id,
      details,
    });
  }

  list(tenantId: TenantId, page: PageRequest): Promise<Page<AuditEventEntity>> {
    return this.events.list(tenantId, page);
  }
}
