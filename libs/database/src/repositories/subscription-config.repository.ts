import { Injectable } from '@nestjs/common';
import { ConflictError, type TenantId } from '#common';
import { KeywordRuleEntity } from '../entities/keyword-rule.entity.js';
import { SubscriberListEntity } from '../entities/subscriber-list.entity.js';
import { SubscriptionSettingsEntity } from '../entities/subscription-settings.entity.js';
import { TenantDb } from '../tenant-db.js';
import { uniqueViolation } from './pagination.js';

export type SettingsInput = Omit<SubscriptionSettingsEntity, 'tenantId' | 'updatedAt'>;
export type NewSubscriberList = Omit<SubscriberListEntity, 'tenantId' | 'createdAt' | 'updatedAt'>;
export type NewKeywordRule = Omit<KeywordRuleEntity, 'tenantId' | 'createdAt' | 'updatedAt'>;

/** A comune's sign-up configuration: settings, lists and keyword rules. */
@Injectable()
export class SubscriptionConfigRepository {
  constructor(private readonly db: TenantDb) {}

  getSettings(tenantId: TenantId): Promise<SubscriptionSettingsEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(SubscriptionSettingsEntity, { tenantId }));
  }

  saveSettings(tenantId: TenantId, s: SettingsInput): Promise<SubscriptionSettingsEntity> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.query(
        `INSERT INTO subscription_settings AS s (tenant_id, required_fields, frazioni, policy_required, welcome_text, goodbye_text, help_text,
            auto_reply_text, ask_first_name_text, ask_frazione_text, launch_threshold, launch_override, contact_card,
            confirm_template_name, confirm_template_language)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (tenant_id) DO UPDATE SET required_fields = EXCLUDED.required_fields, frazioni = EXCLUDED.frazioni,
            policy_required = EXCLUDED.policy_required, contact_card = EXCLUDED.contact_card,
            welcome_text = EXCLUDED.welcome_text, goodbye_text = EXCLUDED.goodbye_text,
            help_text = EXCLUDED.help_text, auto_reply_text = EXCLUDED.auto_reply_text, ask_first_name_text = EXCLUDED.ask_first_name_text,
            ask_frazione_text = EXCLUDED.ask_frazione_text, launch_threshold = EXCLUDED.launch_threshold,
            launch_override = EXCLUDED.launch_override, confirm_template_name = EXCLUDED.confirm_template_name,
            confirm_template_language = EXCLUDED.confirm_template_language, updated_at = now()`,
        [
          tenantId,
          s.requiredFields,
          s.frazioni,
          s.policyRequired,
          s.welcomeText,
          s.goodbyeText,
          s.helpText,
          s.autoReplyText,
          s.askFirstNameText,
          s.askFrazioneText,
          s.launchThreshold,
          s.launchOverride,
          s.contactCard,
          s.confirmTemplateName,
          s.confirmTemplateLanguage,
        ],
      );
      return m.findOneByOrFail(SubscriptionSettingsEntity, { tenantId });
    });
  }

  lists(tenantId: TenantId): Promise<SubscriberListEntity[]> {
    return this.db.forTenant(tenantId, (m) => m.find(SubscriberListEntity, { where: { tenantId }, order: { createdAt: 'ASC', slug: 'ASC' } }));
  }

  findList(tenantId: TenantId, id: string): Promise<SubscriberListEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(SubscriberListEntity, { tenantId, id }));
  }

  async createList(tenantId: TenantId, list: NewSubscriberList): Promise<SubscriberListEntity> {
    try {
      return await this.db.forTenant(tenantId, (m) => m.save(m.create(SubscriberListEntity, { ...list, tenantId })));
    } catch (err) {
      throw listConflict(err) ?? err;
    }
  }

  async updateList(tenantId: TenantId, id: string, patch: Partial<NewSubscriberList>): Promise<SubscriberListEntity | null> {
    try {
      return await this.db.forTenant(tenantId, async (m) => {
        const repo = m.getRepository(SubscriberListEntity);
        const list = await repo.findOneBy({ tenantId, id });
        if (!list) return null;
        return repo.save(repo.merge(list, patch));
      });
    } catch (err) {
      throw listConflict(err) ?? err;
    }
  }

  /** Deletes the list and its subscriptions; returns false when there was no such list. */
  deleteList(tenantId: TenantId, id: string): Promise<boolean> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.query(`DELETE FROM subscriptions WHERE tenant_id = $1 AND list_id = $2`, [tenantId, id]);
      await m.query(`UPDATE keyword_rules SET list_ids = array_remove(list_ids, $2::uuid) WHERE tenant_id = $1`, [tenantId, id]);
      const res = await m.delete(SubscriberListEntity, { tenantId, id });
      return (res.affected ?? 0) > 0;
    });
  }

  rules(tenantId: TenantId): Promise<KeywordRuleEntity[]> {
    return this.db.forTenant(tenantId, (m) => m.find(KeywordRuleEntity, { where: { tenantId }, order: { createdAt: 'ASC', id: 'ASC' } }));
  }

  findRule(tenantId: TenantId, id: string): Promise<KeywordRuleEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(KeywordRuleEntity, { tenantId, id }));
  }

  createRule(tenantId: TenantId, rule: NewKeywordRule): Promise<KeywordRuleEntity> {
    return this.db.forTenant(tenantId, (m) => m.save(m.create(KeywordRuleEntity, { ...rule, tenantId })));
  }

  updateRule(tenantId: TenantId, id: string, patch: Partial<NewKeywordRule>): Promise<KeywordRuleEntity | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const repo = m.getRepository(KeywordRuleEntity);
      const rule = await repo.findOneBy({ tenantId, id });
      if (!rule) return null;
      return repo.save(repo.merge(rule, patch));
    });
  }

  async deleteRule(tenantId: TenantId, id: string): Promise<boolean> {
    const res = await this.db.forTenant(tenantId, (m) => m.delete(KeywordRuleEntity, { tenantId, id }));
    return (res.affected ?? 0) > 0;
  }
}

function listConflict(err: unknown): ConflictError | null {
  const constraint = uniqueViolation(err);
  if (constraint === 'subscriber_lists_slug_key') return new ConflictError('this comune already has a list with this slug', 'LIST_SLUG_TAKEN');
  if (constraint) return new ConflictError('this comune already has a list with this hashtag', 'LIST_HASHTAG_TAKEN');
  return null;
}
