import { Injectable } from '@nestjs/common';
import type { TenantId } from '#common';
import { WhatsappTemplateEntity } from '../entities/whatsapp-template.entity.js';
import { TenantDb } from '../tenant-db.js';
import type { Page, PageRequest } from './pagination.js';
import { returningRows } from './sql.js';

export interface SyncedTemplate {
  providerTemplateId: string | null;
  name: string;
  language: string;
  category: string;
  status: string;
  components: unknown[];
}

@Injectable()
export class WhatsappTemplateRepository {
  constructor(private readonly db: TenantDb) {}

  /** Inserts or refreshes the templates Meta lists for one WABA. */
  async upsertMany(tenantId: TenantId, wabaId: string, templates: readonly SyncedTemplate[]): Promise<number> {
    if (templates.length === 0) return 0;
    const rows: unknown[] = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO whatsapp_templates AS t (tenant_id, id, waba_id, provider_template_id, name, language, category, status, components, synced_at)
         SELECT $1, gen_random_uuid(), $2, x.pid, x.name, x.language, x.category, x.status, x.components, now()
           FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[]) AS x(pid, name, language, category, status, components)
         ON CONFLICT (tenant_id, waba_id, name, language) DO UPDATE SET
           provider_template_id = coalesce(EXCLUDED.provider_template_id, t.provider_template_id),
           category = EXCLUDED.category, status = EXCLUDED.status, components = EXCLUDED.components,
           synced_at = now(), updated_at = now()
         RETURNING id`,
        [
          tenantId,
          wabaId,
          templates.map((t) => t.providerTemplateId),
          templates.map((t) => t.name),
          templates.map((t) => t.language),
          templates.map((t) => t.category.toLowerCase()),
          templates.map((t) => t.status.toUpperCase()),
          templates.map((t) => JSON.stringify(t.components)),
        ],
      ),
    );
    return rows.length;
  }

  list(tenantId: TenantId, page: PageRequest): Promise<Page<WhatsappTemplateEntity>> {
    return this.db.forTenant(tenantId, async (m) => {
      const [items, total] = await m.findAndCount(WhatsappTemplateEntity, {
        where: { tenantId },
        order: { name: 'ASC', language: 'ASC' },
        take: page.limit,
        skip: page.offset,
      });
      return { items, total, ...page };
    });
  }

  /** message_template_status_update: approval, rejection, pause, disable. Unknown templates are created. */
  async applyStatus(
    tenantId: TenantId,
    wabaId: string,
    u: { providerTemplateId: string | null; name: string; language: string; status: string; reason: string | null },
  ): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO whatsapp_templates AS t (tenant_id, id, waba_id, provider_template_id, name, language, category, status, status_reason)
         VALUES ($1, gen_random_uuid(), $2, $3, $4, $5, 'unknown', $6, $7)
         ON CONFLICT (tenant_id, waba_id, name, language) DO UPDATE SET
           status = EXCLUDED.status, status_reason = EXCLUDED.status_reason,
           provider_template_id = coalesce(t.provider_template_id, EXCLUDED.provider_template_id), updated_at = now()`,
        [tenantId, wabaId, u.providerTemplateId, u.name, u.language, u.status.toUpperCase(), u.reason],
      ),
    );
  }

  /** template_category_update: Meta re-classified the template; the new category is what is paid. */
  async applyCategory(tenantId: TenantId, wabaId: string, u: { name: string; language: string; category: string }): Promise<number> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ id: string }>(
        m,
        `UPDATE whatsapp_templates SET category = $5, updated_at = now()
          WHERE tenant_id = $1 AND waba_id = $2 AND name = $3 AND language = $4 RETURNING id`,
        [tenantId, wabaId, u.name, u.language, u.category.toLowerCase()],
      ),
    );
    return rows.length;
  }
}
