import { Injectable, Logger } from '@nestjs/common';
import type { NumberId, TenantId } from '#common';
import { OutboundMessageRepository, WhatsappNumberRepository } from '#database';
import { AuditService } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import { NumberDirectory } from './number-directory.js';
import { SendPlanner } from './send-planner.js';

/**
 * Pauses a number when Meta says its account, token or templates are in trouble, and resumes it.
 * A paused number's queued messages stay queued in Postgres (the dispatcher puts back any it
 * claims); resuming enqueues them again in their original order, so sending continues where it
 * stopped.
 */
@Injectable()
export class NumberHealthService {
  private readonly logger = new Logger('NumberHealth');

  constructor(
    private readonly numbers: WhatsappNumberRepository,
    private readonly outbound: OutboundMessageRepository,
    private readonly directory: NumberDirectory,
    private readonly planner: SendPlanner,
    private readonly audit: AuditService,
  ) {}

  /** Pauses the number once (concurrent failures pause it once) and tells operators. */
  async pauseForError(tenantId: TenantId, numberId: NumberId, errorCode: number | null, reason: string): Promise<boolean> {
    const paused = await this.numbers.pauseIfActive(tenantId, numberId, { reason, errorCode });
    this.directory.invalidate(tenantId, numberId);
    if (!paused) return false;
    // An operator alert: error level, so it reaches whoever watches the logs, plus the audit trail the API shows.
    this.logger.error({ event: 'number_paused', alert: 'operators', tenantId, numberId, errorCode, reason }, 'WhatsApp number paused');
    await this.audit.record(tenantId, null, 'number.paused', { type: 'number', id: numberId }, { errorCode, reason });
    return true;
  }

  /** Re-enqueues every queued message of the number, in order; called after it becomes active again. */
  async requeue(tenantId: TenantId, numberId: NumberId): Promise<number> {
    this.directory.invalidate(tenantId, numberId);
    const queued = await this.outbound.listQueuedIds(tenantId, numberId, 1_000_000);
    await this.planner.enqueue(
      queued.map((q) => ({ tenantId, id: q.id, numberId, campaignId: q.campaignId, priority: q.priority, nextAttemptAt: q.nextAttemptAt })),
    );
    return queued.length;
  }

  /** Drops this process's cached view of the number after an edit (token, cap, status). */
  forget(tenantId: TenantId, numberId: NumberId): void {
    this.directory.invalidate(tenantId, numberId);
  }

  async recordResume(actor: Actor, tenantId: TenantId, numberId: NumberId): Promise<void> {
    const requeued = await this.requeue(tenantId, numberId);
    this.logger.log({ event: 'number_resumed', tenantId, numberId, requeued }, 'WhatsApp number resumed');
    await this.audit.record(tenantId, actor, 'number.resumed', { type: 'number', id: numberId }, { requeued });
  }
}
