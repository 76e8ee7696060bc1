import { Injectable } from '@nestjs/common';
import { ConflictError, type TenantId } from '#common';
import { MessageTemplateEntity } from '../entities/message-template.entity.js';
import { WhatsappTemplateEntity } from '../entities/whatsapp-template.entity.js';
import { TenantDb } from '../tenant-db.js';
import { uniqueViolation, type Page, type PageRequest } from './pagination.js';

export type NewMessageTemplate = Omit<MessageTemplateEntity, 'tenantId' | 'createdAt' | 'updatedAt'>;
export type MessageTemplatePatch = Partial<Omit<NewMessageTemplate, 'id' | 'createdBy'>>;

/** Campaign states in which a campaign may still render its template. */
const LIVE_CAMPAIGN_STATUSES = ['draft', 'awaiting_approval', 'scheduled', 'sending', 'paused'];
/** What a recipient's message is made of (the name is only the editors' label). */
const CONTENT_FIELDS = [
  'body',
  'whatsappTemplateName',
  'whatsappTemplateLanguage',
  'bodyParameters',
  'headerParameters',
  'buttonParameters',
] as const satisfies readonly (keyof MessageTemplatePatch)[];
/** Live states past the draft: the text was submitted for approval, approved, or is going out. */
const COMMITTED_CAMPAIGN_STATUSES = LIVE_CAMPAIGN_STATUSES.filter((s) => s !== 'draft');

/** A comune's message templates (named variables, optional link to a WhatsApp-approved template). */
@Injectable()
export class MessageTemplateRepository {
  constructor(private readonly db: TenantDb) {}

  list(tenantId: TenantId, page: PageRequest): Promise<Page<MessageTemplateEntity>> {
    return this.db.forTenant(tenantId, async (m) => {
      const [items, total] = await m.findAndCount(MessageTemplateEntity, {
        where: { tenantId },
        order: { name: 'ASC', id: 'ASC' },
        take: page.limit,
        skip: page.offset,
      });
      return { items, total, ...page };
    });
  }

  /** By name, ignoring case (names are unique per comune that way). */
  findByName(tenantId: TenantId, name: string): Promise<MessageTemplateEntity | null> {
    return this.db.forTenant(tenantId, (m) =>
      m.createQueryBuilder(MessageTemplateEntity, 't').where('t.tenant_id = :tenantId AND lower(t.name) = lower(:name)', { tenantId, name }).getOne(),
    );
  }

  findById(tenantId: TenantId, id: string): Promise<MessageTemplateEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(MessageTemplateEntity, { tenantId, id }));
  }

  async create(tenantId: TenantId, template: NewMessageTemplate): Promise<MessageTemplateEntity> {
    try {
      return await this.db.forTenant(tenantId, (m) => m.save(m.create(MessageTemplateEntity, { ...template, tenantId })));
    } catch (err) {
      throw nameConflict(err) ?? err;
    }
  }

  /**
   * Returns null when the comune has no such template. A campaign renders its template when each
   * message goes, so the text (or its WhatsApp link) of a template that a campaign awaiting
   * approval, scheduled or sending uses cannot change: citizens would get words nobody approved.
   */
  async update(tenantId: TenantId, id: string, patch: MessageTemplatePatch): Promise<MessageTemplateEntity | null> {
    try {
      return await this.db.forTenant(tenantId, async (m) => {
        const repo = m.getRepository(MessageTemplateEntity);
        const template = await repo.findOneBy({ tenantId, id });
        if (!template) return null;
        const contentChanges = CONTENT_FIELDS.some((k) => patch[k] !== undefined && JSON.stringify(patch[k]) !== JSON.stringify(template[k]));
        if (contentChanges) {
          const committed: unknown[] = await m.query(
            `SELECT 1 FROM campaigns WHERE tenant_id = $1 AND message_template_id = $2 AND status = ANY($3::text[]) LIMIT 1 FOR SHARE`,
            [tenantId, id, COMMITTED_CAMPAIGN_STATUSES],
          );
          if (committed.length > 0) {
            throw new ConflictError(
              'this message template is used by a campaign awaiting approval, scheduled or sending: its text cannot change until that campaign has finished (create a new template for the new text)',
              'MESSAGE_TEMPLATE_IN_USE',
            );
          }
        }
        return repo.save(repo.merge(template, { ...patch, updatedAt: new Date() }));
      });
    } catch (err) {
      throw nameConflict(err) ?? err;
    }
  }

  /**
   * Deletes the template; false when there was none. A campaign that has not finished still needs
   * its template to render each recipient's message, so deleting one in use is a conflict.
   */
  delete(tenantId: TenantId, id: string): Promise<boolean> {
    return this.db.forTenant(tenantId, async (m) => {
      const inUse: unknown[] = await m.query(
        `SELECT 1 FROM campaigns WHERE tenant_id = $1 AND message_template_id = $2 AND status = ANY($3::text[]) LIMIT 1`,
        [tenantId, id, LIVE_CAMPAIGN_STATUSES],
      );
      if (inUse.length > 0) {
        throw new ConflictError('this message template is used by a campaign that has not finished', 'MESSAGE_TEMPLATE_IN_USE');
      }
      const res = await m.delete(MessageTemplateEntity, { tenantId, id });
      return (res.affected ?? 0) > 0;
    });
  }

  /**
   * The comune's WhatsApp templates with these (name, language) pairs, one per pair. A comune with
   * several WABAs may hold copies of a template in each: the approved one, then the most recently
   * updated, stands for the pair.
   */
  whatsappTemplates(tenantId: TenantId, pairs: readonly { name: string; language: string }[]): Promise<WhatsappTemplateEntity[]> {
    if (pairs.length === 0) return Promise.resolve([]);
    return this.db.forTenant(tenantId, async (m) => {
      const rows: { id: string }[] = await m.query(
        `SELECT DISTINCT ON (t.name, t.language) t.id
           FROM whatsapp_templates t
           JOIN unnest($2::text[], $3::text[]) AS p(name, language) ON p.name = t.name AND p.language = t.language
          WHERE t.tenant_id = $1
          ORDER BY t.name, t.language, (t.status = 'APPROVED') DESC, t.updated_at DESC`,
        [tenantId, pairs.map((p) => p.name), pairs.map((p) => p.language)],
      );
      if (rows.length === 0) return [];
      return m
        .createQueryBuilder(WhatsappTemplateEntity, 't')
        .where('t.tenantId = :tenantId AND t.id IN (:...ids)', { tenantId, ids: rows.map((r) => r.id) })
        .getMany();
    });
  }
}

function nameConflict(err: unknown): ConflictError | null {
  if (uniqueViolation(err) === 'message_templates_name_key') {
    return new ConflictError('this comune already has a message template with this name', 'MESSAGE_TEMPLATE_NAME_TAKEN');
  }
  return null;
}
