import { Injectable } from '@nestjs/common';
import { isUuid, newId, ValidationError, type TenantId } from '#common';
import {
  MessageTemplateRepository,
  SubscriberRepository,
  TenantRepository,
  type CampaignMedia,
  type MessageTemplateEntity,
  type Page,
  type PageRequest,
  type WhatsappTemplateEntity,
} from '#database';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { SubscriberNotFoundError } from '../subscriptions/subscribers.service.js';
import { CampaignMediaService } from './campaign-media.service.js';
import { MessageTemplateErrorCode, MessageTemplateNotFoundError } from './message-templates.errors.js';
import {
  approvedTemplateButtons,
  approvedTemplateHeaderFormat,
  approvedTemplateNamedParameters,
  approvedTemplateParameterCounts,
  buildTemplateContent,
  headerMediaProblem,
  missingVariables,
  recipientFieldsOf,
  renderApprovedBody,
  renderText,
  RECIPIENT_VARIABLES,
  TENANT_VARIABLES,
  templateVariables,
  type ApprovedTemplateRef,
  type RecipientFields,
} from './template-rendering.js';

export type WhatsappTemplateCategory = 'utility' | 'marketing' | 'authentication';

export interface WhatsappTemplateLink {
  name: string;
  language: string;
  /** Variable names in the order of the approved template's {{1}}, {{2}}, ... */
  bodyParameters?: string[];
  headerParameters?: string[];
  /** By button index; a blank entry is a button without a dynamic URL suffix. */
  buttonParameters?: string[];
}

export interface MessageTemplateInput {
  name: string;
  body: string;
  whatsappTemplate?: WhatsappTemplateLink | null;
}

export type LinkedWhatsappTemplate = ApprovedTemplateRef & { category: WhatsappTemplateCategory; status: string; components: unknown[] };

export interface ResolvedMessageTemplate {
  template: MessageTemplateEntity;
  /** The linked WhatsApp template as Meta last reported it; null when not linked, status MISSING when no longer synced. */
  approved: LinkedWhatsappTemplate | null;
  /** The body's variables, in order of first appearance. */
  variables: string[];
}

export interface MessageTemplatePreviewInput {
  subscriberId?: string;
  variables: Record<string, string>;
  /** The attachment a campaign would send with it (a link, or a file of the comune's media library). */
  media?: CampaignMedia | null;
}

/** An attachment as the preview shows it: what it is, never where it is stored. */
export interface PreviewMedia {
  kind: 'image' | 'document';
  link: string | null;
  mediaId: string | null;
  /** For a document, the name the citizen sees. */
  filename: string | null;
  mimeType: string | null;
  sizeBytes: number | null;
}

export interface MessageTemplatePreview {
  text: string;
  /** Inside the window the text goes as this attachment's caption. */
  media: PreviewMedia | null;
  whatsappTemplate: {
    name: string;
    language: string;
    category: WhatsappTemplateCategory;
    status: string;
    parameters: { body: string[]; header: string[] };
    text: string | null;
    /** The attachment when it goes as the approved template's media header; null when it goes only inside the window. */
    headerMedia: PreviewMedia | null;
    /** Why the attachment does not fit the approved template's header (a campaign would be refused). */
    headerProblem: string | null;
  } | null;
  recipient: RecipientFields | null;
}

/** What a linked template's row says when the comune's synced templates no longer include it. */
export const MISSING_TEMPLATE_STATUS = 'MISSING';
const CATEGORIES: readonly string[] = ['utility', 'marketing', 'authentication'];
const BUILT_IN: readonly string[] = [...RECIPIENT_VARIABLES, ...TENANT_VARIABLES];

/**
 * A comune's message templates: text with named variables, optionally linked to a WhatsApp-approved
 * template whose positional parameters are filled from those variables. The link is checked against
 * the comune's synced WhatsApp templates when saved, so a campaign never learns at send time that
 * its parameters do not fit.
 */
@Injectable()
export class MessageTemplatesService {
  constructor(
    private readonly templates: MessageTemplateRepository,
    private readonly subscribers: SubscriberRepository,
    private readonly tenants: TenantRepository,
    private readonly campaignMedia: CampaignMediaService,
    private readonly audit: AuditService,
  ) {}

  async list(tenantId: TenantId, page: PageRequest): Promise<Page<ResolvedMessageTemplate>> {
    const found = await this.templates.list(tenantId, page);
    const linked = await this.linkedTemplates(tenantId, found.items);
    return { ...found, items: found.items.map((t) => resolved(t, linked)) };
  }

  get(tenantId: TenantId, id: string): Promise<ResolvedMessageTemplate> {
    return this.resolve(tenantId, id);
  }

  /** The template with its linked WhatsApp template's current status and category; 404 for another comune's id. */
  async resolve(tenantId: TenantId, id: string): Promise<ResolvedMessageTemplate> {
    const template = isUuid(id) ? await this.templates.findById(tenantId, id) : null;
    if (!template) throw new MessageTemplateNotFoundError();
    return resolved(template, await this.linkedTemplates(tenantId, [template]));
  }

  async create(actor: Actor | null, tenantId: TenantId, input: MessageTemplateInput): Promise<ResolvedMessageTemplate> {
    const fields = await this.checked(tenantId, { name: input.name, body: input.body, link: input.whatsappTemplate ?? null });
    const template = await this.templates.create(tenantId, { id: newId(), ...fields, createdBy: actor?.userId ?? null });
    await this.audit.record(
      tenantId,
      actor,
      'message_template.created',
      { type: 'message_template', id: template.id },
      { name: template.name, whatsappTemplate: template.whatsappTemplateName },
    );
    return this.resolve(tenantId, template.id);
  }

  async update(actor: Actor, tenantId: TenantId, id: string, input: Partial<MessageTemplateInput>): Promise<ResolvedMessageTemplate> {
    const current = (await this.resolve(tenantId, id)).template;
    // A changed body is checked against the link it keeps, so a parameter cannot lose its variable.
    const link = input.whatsappTemplate !== undefined ? input.whatsappTemplate : linkOf(current);
    const fields = await this.checked(tenantId, { name: input.name ?? current.name, body: input.body ?? current.body, link });
    const updated = await this.templates.update(tenantId, id, fields);
    if (!updated) throw new MessageTemplateNotFoundError();
    await this.audit.record(
      tenantId,
      actor,
      'message_template.updated',
      { type: 'message_template', id },
      { fields: Object.keys(input).filter((k) => input[k as keyof MessageTemplateInput] !== undefined) },
    );
    return this.resolve(tenantId, id);
  }

  async delete(actor: Actor, tenantId: TenantId, id: string): Promise<void> {
    if (!isUuid(id) || !(await this.templates.delete(tenantId, id))) throw new MessageTemplateNotFoundError();
    await this.audit.record(tenantId, actor, 'message_template.deleted', { type: 'message_template', id });
  }

  /**
   * The exact text a subscriber (or, without one, a citizen with an empty profile) would receive,
   * and the approved template's parameters and text that go outside the 24-hour window.
   */
  async preview(tenantId: TenantId, id: string, input: MessageTemplatePreviewInput): Promise<MessageTemplatePreview> {
    const { template, approved, variables } = await this.resolve(tenantId, id);
    // Missing variables first: nothing is looked up or rendered for an incomplete request.
    const missing = missingVariables(variables, input.variables);
    if (missing.length > 0) {
      throw new ValidationError(
        `missing value for ${missing.map((n) => `{{${n}}}`).join(', ')}`,
        { missing },
        MessageTemplateErrorCode.MissingVariables,
      );
    }
    let recipient: RecipientFields | null = null;
    if (input.subscriberId !== undefined) {
      const subscriber = isUuid(input.subscriberId) ? await this.subscribers.findById(tenantId, input.subscriberId) : null;
      if (!subscriber) throw new SubscriberNotFoundError();
      recipient = recipientFieldsOf(subscriber);
    }
    const media = await this.previewMedia(tenantId, input.media);
    const tenant = await this.tenants.findById(tenantId);
    if (!tenant) throw new MessageTemplateNotFoundError();
    const values = { ...input.variables, comune: tenant.displayName };
    const fields = recipient ?? { nome: null, cognome: null, frazione: null };
    const text = renderText(template.body, values, fields);
    if (!approved) return { text, media, whatsappTemplate: null, recipient };
    // The attachment's provider id does not exist before a campaign starts: a stand-in shows where it goes.
    const content = buildTemplateContent(approved, values, fields, media ? { kind: media.kind, providerMediaId: 'preview' } : null);
    const body = (content.body ?? []).map((p) => p.text);
    return {
      text,
      media,
      whatsappTemplate: {
        name: approved.name,
        language: approved.language,
        category: approved.category,
        status: approved.status,
        parameters: { body, header: (content.headerText ?? []).map((p) => p.text) },
        text: renderApprovedBody(approved.components, body),
        headerMedia: content.headerMedia ? media : null,
        headerProblem: headerMediaProblem(approved, media),
      },
      recipient,
    };
  }

  private async previewMedia(tenantId: TenantId, input: CampaignMedia | null | undefined): Promise<PreviewMedia | null> {
    const media = await this.campaignMedia.check(tenantId, input);
    if (!media) return null;
    const asset = media.mediaId ? await this.campaignMedia.asset(tenantId, media.mediaId) : null;
    return {
      kind: media.kind,
      link: media.link ?? null,
      mediaId: media.mediaId ?? null,
      filename: media.kind === 'document' ? (media.filename ?? asset?.filename ?? null) : null,
      mimeType: asset?.mimeType ?? null,
      sizeBytes: asset ? Number(asset.sizeBytes) : null,
    };
  }

  private async linkedTemplates(tenantId: TenantId, templates: readonly MessageTemplateEntity[]): Promise<WhatsappTemplateEntity[]> {
    const pairs = templates.flatMap((t) => {
      const link = linkOf(t);
      return link ? [{ name: link.name, language: link.language }] : [];
    });
    return this.templates.whatsappTemplates(tenantId, pairs);
  }

  /** Validates a template's fields and returns them as stored. */
  private async checked(
    tenantId: TenantId,
    input: { name: string; body: string; link: WhatsappTemplateLink | null },
  ): Promise<Omit<MessageTemplateEntity, 'tenantId' | 'id' | 'createdBy' | 'createdAt' | 'updatedAt'>> {
    const name = input.name.trim();
    if (name === '') throw new ValidationError('name must not be blank', { field: 'name' });
    if (input.body.trim() === '') throw new ValidationError('body must not be blank', { field: 'body' });
    const variables = templateVariables(input.body);
    if (!input.link) {
      return {
        name,
        body: input.body,
        whatsappTemplateName: null,
        whatsappTemplateLanguage: null,
        bodyParameters: [],
        headerParameters: [],
        buttonParameters: [],
      };
    }
    const link = {
      name: input.link.name,
      language: input.link.language,
      bodyParameters: (input.link.bodyParameters ?? []).map((n) => n.trim()),
      headerParameters: (input.link.headerParameters ?? []).map((n) => n.trim()),
      buttonParameters: (input.link.buttonParameters ?? []).map((n) => n.trim()),
    };
    const [approved] = await this.templates.whatsappTemplates(tenantId, [link]);
    if (!approved) {
      throw new ValidationError(
        `WhatsApp template "${link.name}" (${link.language}) is not among this comune's WhatsApp templates: sync them first, or check the name and language`,
        { field: 'whatsappTemplate' },
        MessageTemplateErrorCode.WhatsappTemplateUnknown,
      );
    }
    checkLink(link, approved, variables);
    return {
      name,
      body: input.body,
      whatsappTemplateName: link.name,
      whatsappTemplateLanguage: link.language,
      bodyParameters: link.bodyParameters,
      headerParameters: link.headerParameters,
      buttonParameters: link.buttonParameters,
    };
  }
}

/** The parameters must fit the approved template exactly: Meta refuses a wrong count at send time (132000). */
function checkLink(link: Required<WhatsappTemplateLink>, approved: WhatsappTemplateEntity, variables: readonly string[]): void {
  const what = `WhatsApp template "${link.name}" (${link.language})`;
  const mismatch = (message: string): never => {
    throw new ValidationError(`${what} ${message}`, { field: 'whatsappTemplate' }, MessageTemplateErrorCode.WhatsappTemplateMismatch);
  };
  const named = approvedTemplateNamedParameters(approved.components);
  if (named.length > 0) {
    mismatch(`uses named parameters (${named.map((n) => `{{${n}}}`).join(', ')}); only positional ones ({{1}}, {{2}}, ...) can be linked`);
  }
  const counts = approvedTemplateParameterCounts(approved.components);
  const plural = (n: number, word: string, words = `${word}s`): string => `${n} ${n === 1 ? word : words}`;
  if (link.bodyParameters.length !== counts.body) {
    mismatch(
      `has ${plural(counts.body, 'body parameter')} but bodyParameters lists ${plural(link.bodyParameters.length, 'name')}: give one variable for each of ${placeholders(counts.body)}`,
    );
  }
  if (link.headerParameters.length !== counts.header) {
    mismatch(
      `has ${plural(counts.header, 'header parameter')} but headerParameters lists ${plural(link.headerParameters.length, 'name')}: give one variable for each of ${placeholders(counts.header)}`,
    );
  }
  const buttons = approvedTemplateButtons(approved.components);
  if (link.buttonParameters.length > buttons.length) {
    mismatch(`has ${plural(buttons.length, 'button')} but buttonParameters lists ${plural(link.buttonParameters.length, 'entry', 'entries')}`);
  }
  for (const button of buttons) {
    const given = link.buttonParameters[button.index] ?? '';
    if (button.dynamic && given === '')
      mismatch(`button ${button.index} has a URL ending in {{1}}: buttonParameters[${button.index}] must name its variable`);
    if (!button.dynamic && given !== '') mismatch(`button ${button.index} takes no parameter: leave buttonParameters[${button.index}] blank`);
  }
  const used = [...link.bodyParameters, ...link.headerParameters, ...link.buttonParameters.filter((n) => n !== '')];
  const unknown = [...new Set(used.filter((n) => !variables.includes(n) && !BUILT_IN.includes(n)))];
  if (unknown.length > 0) {
    mismatch(
      `parameters name ${unknown.map((n) => `"${n}"`).join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} neither a variable of the body nor one of ${BUILT_IN.join(', ')}`,
    );
  }
}

function placeholders(n: number): string {
  if (n === 0) return 'none';
  return n === 1 ? '{{1}}' : `{{1}}..{{${n}}}`;
}

function linkOf(t: MessageTemplateEntity): WhatsappTemplateLink | null {
  if (t.whatsappTemplateName === null || t.whatsappTemplateLanguage === null) return null;
  return {
    name: t.whatsappTemplateName,
    language: t.whatsappTemplateLanguage,
    bodyParameters: t.bodyParameters,
    headerParameters: t.headerParameters,
    buttonParameters: t.buttonParameters,
  };
}

function resolved(template: MessageTemplateEntity, linked: readonly WhatsappTemplateEntity[]): ResolvedMessageTemplate {
  const variables = templateVariables(template.body);
  const link = linkOf(template);
  if (!link) return { template, approved: null, variables };
  const row = linked.find((w) => w.name === link.name && w.language === link.language);
  const ref: ApprovedTemplateRef = {
    name: link.name,
    language: link.language,
    bodyParameters: template.bodyParameters,
    headerParameters: template.headerParameters,
    buttonParameters: template.buttonParameters,
  };
  // Without a known category, marketing is assumed: it is the stricter one (opt-outs are honoured,
  // per-user caps apply), so an unknown template is never treated as the cheaper, looser utility.
  if (!row)
    return { template, approved: { ...ref, category: 'marketing', status: MISSING_TEMPLATE_STATUS, components: [], headerFormat: null }, variables };
  const category = (CATEGORIES.includes(row.category) ? row.category : 'marketing') as WhatsappTemplateCategory;
  return {
    template,
    approved: { ...ref, category, status: row.status, components: row.components, headerFormat: approvedTemplateHeaderFormat(row.components) },
    variables,
  };
}
