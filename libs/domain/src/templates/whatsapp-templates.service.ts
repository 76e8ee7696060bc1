import { Injectable } from '@nestjs/common';
import { ValidationError, type NumberId, type TenantId } from '#common';
import { WhatsappNumberRepository, WhatsappTemplateRepository, type Page, type PageRequest, type WhatsappTemplateEntity } from '#database';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { NumberDirectory } from '../messaging/number-directory.js';
import { ProviderRegistry } from '../messaging/provider-registry.js';

export interface TemplateSyncReport {
  wabas: number;
  templates: number;
}

/**
 * The comune's WhatsApp-approved templates, as Meta knows them. Synced on demand from each WABA
 * (Meta's management API allows 200 calls an hour per WABA, so this is not done per send) and
 * kept current by the template status and category webhooks.
 */
@Injectable()
export class WhatsappTemplatesService {
  constructor(
    private readonly templates: WhatsappTemplateRepository,
    private readonly numbers: WhatsappNumberRepository,
    private readonly directory: NumberDirectory,
    private readonly providers: ProviderRegistry,
    private readonly audit: AuditService,
  ) {}

  list(tenantId: TenantId, page: PageRequest): Promise<Page<WhatsappTemplateEntity>> {
    return this.templates.list(tenantId, page);
  }

  async sync(actor: Actor, tenantId: TenantId): Promise<TemplateSyncReport> {
    const numbers = (await this.numbers.list(tenantId, { limit: 1000, offset: 0 })).items.filter((n) => n.status !== 'disabled');
    if (numbers.length === 0) throw new ValidationError('this comune has no active WhatsApp number to sync templates from', undefined, 'NO_NUMBER');
    const byWaba = new Map<string, NumberId>();
    for (const n of numbers) if (!byWaba.has(n.wabaId)) byWaba.set(n.wabaId, n.id);
    let count = 0;
    for (const [wabaId, numberId] of byWaba) {
      const sender = await this.directory.get(tenantId, numberId);
      if (!sender) continue;
      const listed = await this.providers.for(sender.providerKind).listTemplates(sender.credentials, wabaId);
      count += await this.templates.upsertMany(
        tenantId,
        wabaId,
        listed.map((t) => ({
          providerTemplateId: t.id,
          name: t.name,
          language: t.language,
          category: t.category,
          status: t.status,
          components: t.components,
        })),
      );
    }
    await this.audit.record(tenantId, actor, 'templates.synced', { type: 'tenant', id: tenantId }, { wabas: byWaba.size, templates: count });
    return { wabas: byWaba.size, templates: count };
  }
}
