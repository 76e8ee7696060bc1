import { Injectable } from '@nestjs/common';
import { newId, type TenantId } from '#common';
import { CannedReplyRepository, type CannedReplyEntity } from '#database';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { CannedReplyNotFoundError } from './conversations.errors.js';

/** The comune's reusable replies; editors pick one instead of typing (it still needs the window open). */
@Injectable()
export class CannedRepliesService {
  constructor(
    private readonly replies: CannedReplyRepository,
    private readonly audit: AuditService,
  ) {}

  list(tenantId: TenantId): Promise<CannedReplyEntity[]> {
    return this.replies.list(tenantId);
  }

  async create(actor: Actor, tenantId: TenantId, input: { title: string; body: string }): Promise<CannedReplyEntity> {
    const row = await this.replies.create(tenantId, { id: newId(), title: input.title.trim(), body: input.body });
    await this.audit.record(tenantId, actor, 'canned_reply.created', { type: 'canned_reply', id: row.id });
    return row;
  }

  async update(actor: Actor, tenantId: TenantId, id: string, input: { title?: string; body?: string }): Promise<CannedReplyEntity> {
    const row = await this.replies.update(tenantId, id, { ...input, ...(input.title !== undefined ? { title: input.title.trim() } : {}) });
    if (!row) throw new CannedReplyNotFoundError();
    await this.audit.record(tenantId, actor, 'canned_reply.updated', { type: 'canned_reply', id });
    return row;
  }

  async delete(actor: Actor, tenantId: TenantId, id: string): Promise<void> {
    if (!(await this.replies.delete(tenantId, id))) throw new CannedReplyNotFoundError();
    await this.audit.record(tenantId, actor, 'canned_reply.deleted', { type: 'canned_reply', id });
  }
}
