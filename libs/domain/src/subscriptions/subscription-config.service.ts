import { Injectable } from '@nestjs/common';
import { ConflictError, newId, NotFoundError, ValidationError, type TenantId } from '#common';
import {
  SubscriptionConfigRepository,
  TenantRepository,
  type KeywordRuleAction,
  type KeywordRuleEntity,
  type SettingsInput,
  type SubscriberListEntity,
  type SubscriptionSettingsEntity,
} from '#database';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { PrivacyPoliciesService } from '../privacy-policies/privacy-policies.service.js';
import { samePhrase } from './keyword-matcher.js';
import { compact, keywordTokens } from './keyword-text.js';
import { IT } from './messages.it.js';
import { COMUNE_PRESETS } from './presets.js';

export class ListNotFoundError extends NotFoundError {
  constructor() {
    super('List', 'LIST_NOT_FOUND');
  }
}

export class KeywordRuleNotFoundError extends NotFoundError {
  constructor() {
    super('Keyword rule', 'KEYWORD_RULE_NOT_FOUND');
  }
}

export interface ListInput {
  slug: string;
  hashtag: string;
  name: string;
  description?: string | null;
  isDefault?: boolean;
}

export interface RuleInput {
  action: KeywordRuleAction;
  phrases: string[];
  listIds?: string[];
  replyText?: string | null;
}

/** A comune's sign-up configuration, managed by its admins: settings, lists, keyword rules, presets. */
@Injectable()
export class SubscriptionConfigService {
  constructor(
    private readonly config: SubscriptionConfigRepository,
    private readonly tenants: TenantRepository,
    private readonly audit: AuditService,
    private readonly policies: PrivacyPoliciesService,
  ) {}

  /** The settings, or the defaults a comune starts from when it has saved none. */
  async settings(tenantId: TenantId): Promise<SubscriptionSettingsEntity & { configured: boolean }> {
    const saved = await this.config.getSettings(tenantId);
    if (saved) return { ...saved, configured: true };
    return { ...defaultSettings(), tenantId, updatedAt: new Date(0), configured: false };
  }

  async saveSettings(actor: Actor | null, tenantId: TenantId, input: Partial<SettingsInput>): Promise<SubscriptionSettingsEntity> {
    const current = await this.settings(tenantId);
    // Only what was given changes (a DTO instance carries the fields it was not sent as undefined).
    const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<SettingsInput>;
    const next: SettingsInput = { ...pickSettings(current), ...given };
    if (next.requiredFields.includes('frazione') && next.frazioni.length === 0) {
      throw new ValidationError('frazione is required but the comune has no frazioni: list them first', { field: 'frazioni' }, 'NO_FRAZIONI');
    }
    const duplicates = next.frazioni.filter((f, i) => next.frazioni.findIndex((g) => compact(g) === compact(f)) !== i);
    if (duplicates.length > 0) throw new ValidationError(`frazioni repeated: ${duplicates.join(', ')}`, { field: 'frazioni' });
    const saved = await this.config.saveSettings(tenantId, next);
    await this.audit.record(tenantId, actor, 'subscriptions.settings_saved', { type: 'tenant', id: tenantId }, { fields: Object.keys(given) });
    return saved;
  }

  lists(tenantId: TenantId): Promise<SubscriberListEntity[]> {
    return this.config.lists(tenantId);
  }

  async createList(actor: Actor | null, tenantId: TenantId, input: ListInput): Promise<SubscriberListEntity> {
    const list = await this.config.createList(tenantId, {
      id: newId(),
      slug: input.slug,
      hashtag: normaliseHashtag(input.hashtag),
      hashtagKey: compact(input.hashtag),
      name: input.name,
      description: input.description ?? null,
      isDefault: input.isDefault ?? false,
    });
    await this.audit.record(tenantId, actor, 'list.created', { type: 'list', id: list.id }, { slug: list.slug });
    return list;
  }

  async updateList(actor: Actor, tenantId: TenantId, id: string, input: Partial<ListInput>): Promise<SubscriberListEntity> {
    const patch: Partial<SubscriberListEntity> = {};
    if (input.slug !== undefined) patch.slug = input.slug;
    if (input.hashtag !== undefined) {
      patch.hashtag = normaliseHashtag(input.hashtag);
      patch.hashtagKey = compact(input.hashtag);
    }
    if (input.name !== undefined) patch.name = input.name;
    if (input.description !== undefined) patch.description = input.description;
    if (input.isDefault !== undefined) patch.isDefault = input.isDefault;
    const list = await this.config.updateList(tenantId, id, patch);
    if (!list) throw new ListNotFoundError();
    await this.audit.record(tenantId, actor, 'list.updated', { type: 'list', id }, { fields: Object.keys(patch) });
    return list;
  }

  async deleteList(actor: Actor, tenantId: TenantId, id: string): Promise<void> {
    if (!(await this.config.deleteList(tenantId, id))) throw new ListNotFoundError();
    await this.audit.record(tenantId, actor, 'list.deleted', { type: 'list', id });
  }

  rules(tenantId: TenantId): Promise<KeywordRuleEntity[]> {
    return this.config.rules(tenantId);
  }

  async createRule(actor: Actor | null, tenantId: TenantId, input: RuleInput): Promise<KeywordRuleEntity> {
    await this.checkRule(tenantId, input, null);
    const rule = await this.config.createRule(tenantId, {
      id: newId(),
      action: input.action,
      phrases: input.phrases.map((p) => p.trim()),
      listIds: input.listIds ?? [],
      replyText: input.replyText ?? null,
    });
    await this.audit.record(
      tenantId,
      actor,
      'keyword_rule.created',
      { type: 'keyword_rule', id: rule.id },
      { action: rule.action, phrases: rule.phrases },
    );
    return rule;
  }

  async updateRule(actor: Actor, tenantId: TenantId, id: string, input: Partial<RuleInput>): Promise<KeywordRuleEntity> {
    const current = await this.config.findRule(tenantId, id);
    if (!current) throw new KeywordRuleNotFoundError();
    const merged: RuleInput = {
      action: input.action ?? current.action,
      phrases: input.phrases ?? current.phrases,
      listIds: input.listIds ?? current.listIds,
      replyText: input.replyText !== undefined ? input.replyText : current.replyText,
    };
    await this.checkRule(tenantId, merged, id);
    const rule = await this.config.updateRule(tenantId, id, {
      ...merged,
      phrases: merged.phrases.map((p) => p.trim()),
      listIds: merged.listIds ?? [],
    });
    if (!rule) throw new KeywordRuleNotFoundError();
    await this.audit.record(tenantId, actor, 'keyword_rule.updated', { type: 'keyword_rule', id }, { action: rule.action, phrases: rule.phrases });
    return rule;
  }

  async deleteRule(actor: Actor, tenantId: TenantId, id: string): Promise<void> {
    if (!(await this.config.deleteRule(tenantId, id))) throw new KeywordRuleNotFoundError();
    await this.audit.record(tenantId, actor, 'keyword_rule.deleted', { type: 'keyword_rule', id });
  }

  /**
   * Configures a comune as one of the presets (how that comune runs its channel today): tenant
   * mode and policy, settings, lists and keyword rules. Only for a comune with no lists or rules yet.
   */
  async applyPreset(actor: Actor | null, tenantId: TenantId, key: string): Promise<void> {
    const preset = COMUNE_PRESETS[key];
    if (!preset)
      throw new ValidationError(`unknown preset "${key}"; known: ${Object.keys(COMUNE_PRESETS).join(', ')}`, { field: 'preset' }, 'UNKNOWN_PRESET');
    if ((await this.config.lists(tenantId)).length > 0 || (await this.config.rules(tenantId)).length > 0) {
      throw new ConflictError('this comune already has lists or keyword rules: a preset only configures a new one', 'PRESET_NOT_EMPTY');
    }
    const tenant = await this.tenants.findById(tenantId);
    if (tenant) await this.policies.applyTenantSettings(actor, tenant, { version: preset.privacyPolicyVersion, url: preset.privacyPolicyUrl });
    await this.tenants.update(tenantId, {
      mode: preset.mode,
      officeEmail: preset.officeEmail,
      officePhone: preset.officePhone,
      websiteUrl: preset.websiteUrl,
    });
    await this.saveSettings(actor, tenantId, {
      requiredFields: preset.requiredFields,
      frazioni: preset.frazioni,
      policyRequired: preset.policyRequired,
      welcomeText: preset.welcomeText,
      goodbyeText: preset.goodbyeText,
      helpText: preset.helpText,
      autoReplyText: preset.autoReplyText,
      launchThreshold: preset.launchThreshold,
      confirmTemplateName: preset.confirmTemplateName,
    });
    const bySlug = new Map<string, string>();
    for (const l of preset.lists) bySlug.set(l.slug, (await this.createList(actor, tenantId, l)).id);
    for (const r of preset.rules) {
      await this.createRule(actor, tenantId, { action: r.action, phrases: r.phrases, listIds: r.lists.map((s) => bySlug.get(s)!).filter(Boolean) });
    }
  }

  /** A phrase may not be empty or read like another rule's phrase of this comune; its lists must be the comune's. */
  private async checkRule(tenantId: TenantId, input: RuleInput, selfId: string | null): Promise<void> {
    const empty = input.phrases.filter((p) => keywordTokens(p).length === 0);
    if (empty.length > 0) throw new ValidationError('a phrase needs at least one letter or digit', { field: 'phrases' }, 'EMPTY_PHRASE');
    const others = (await this.config.rules(tenantId)).filter((r) => r.id !== selfId);
    for (const p of input.phrases) {
      const clash = others.find((r) => r.phrases.some((q) => samePhrase(p, q)));
      if (clash)
        throw new ConflictError(`the phrase "${p}" is already used by another keyword rule of this comune`, 'PHRASE_TAKEN', { ruleId: clash.id });
    }
    const lists = new Set((await this.config.lists(tenantId)).map((l) => l.id));
    const unknown = (input.listIds ?? []).filter((id) => !lists.has(id));
    // Another comune's list id is as unknown as a made-up one.
    if (unknown.length > 0) throw new ListNotFoundError();
  }
}

export function defaultSettings(): SettingsInput {
  return {
    requiredFields: [],
    frazioni: [],
    policyRequired: false,
    contactCard: true,
    welcomeText: IT.welcome,
    goodbyeText: IT.goodbye,
    helpText: IT.help,
    autoReplyText: null,
    askFirstNameText: null,
    askFrazioneText: null,
    launchThreshold: null,
    launchOverride: false,
    confirmTemplateName: null,
    confirmTemplateLanguage: 'it',
  };
}

function pickSettings(s: SubscriptionSettingsEntity): SettingsInput {
  return {
    requiredFields: s.requiredFields,
    frazioni: s.frazioni,
    policyRequired: s.policyRequired,
    contactCard: s.contactCard,
    welcomeText: s.welcomeText,
    goodbyeText: s.goodbyeText,
    helpText: s.helpText,
    autoReplyText: s.autoReplyText,
    askFirstNameText: s.askFirstNameText,
    askFrazioneText: s.askFrazioneText,
    launchThreshold: s.launchThreshold,
    launchOverride: s.launchOverride,
    confirmTemplateName: s.confirmTemplateName,
    confirmTemplateLanguage: s.confirmTemplateLanguage,
  };
}

function normaliseHashtag(h: string): string {
  const t = h.trim();
  return t.startsWith('#') ? t : `#${t}`;
}
