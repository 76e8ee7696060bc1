import { Injectable } from '@nestjs/common';
import { NotFoundError, ValidationError } from '#common';
import { randomDigits } from './random-digits.js';
import { templatePlaceholders } from './template-text.js';

export const TEMPLATE_CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;
export type TemplateCategory = (typeof TEMPLATE_CATEGORIES)[number];
export const TEMPLATE_STATUSES = ['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED'] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];

export type TemplateButton =
  { type: 'QUICK_REPLY'; text: string } | { type: 'URL'; text: string; url: string } | { type: 'PHONE_NUMBER'; text: string; phone_number: string };

export type TemplateHeader = { format: 'TEXT'; text: string } | { format: 'IMAGE' | 'VIDEO' | 'DOCUMENT' };

export interface TemplateDefinition {
  wabaId: string;
  name: string;
  language: string;
  category: TemplateCategory;
  status: TemplateStatus;
  body: string;
  header?: TemplateHeader;
  footer?: string;
  buttons?: TemplateButton[];
}

/** A message template as Meta's /message_templates lists it, plus what the simulator checks sends against. */
export interface SimulatedTemplate {
  id: string;
  wabaId: string;
  name: string;
  language: string;
  status: TemplateStatus;
  category: TemplateCategory;
  parameter_format: 'POSITIONAL' | 'NAMED';
  components: Record<string, unknown>[];
  body: string;
  bodyParameters: string[];
  headerText?: string;
  headerParameters: number;
  /** IMAGE, VIDEO or DOCUMENT when the header is media: every send must fill it. */
  headerMediaFormat?: 'IMAGE' | 'VIDEO' | 'DOCUMENT';
}

@Injectable()
export class TemplatesService {
  private readonly templates = new Map<string, SimulatedTemplate>();

  /** Creates a template, or replaces the one with the same WABA, name and language (keeping its id). */
  upsert(definition: TemplateDefinition): SimulatedTemplate {
    const body = placeholdersOrFail(definition.body, 'body');
    const header = definition.header?.format === 'TEXT' ? placeholdersOrFail(definition.header.text, 'header') : undefined;
    if (header && header.names.length > 1) throw new ValidationError('header: a text header takes at most one parameter');
    const existing = this.find(definition.wabaId, definition.name, definition.language);
    const components: Record<string, unknown>[] = [];
    if (definition.header) components.push({ type: 'HEADER', ...definition.header });
    components.push({ type: 'BODY', text: definition.body });
    if (definition.footer) components.push({ type: 'FOOTER', text: definition.footer });
    if (definition.buttons?.length) components.push({ type: 'BUTTONS', buttons: definition.buttons });
    const template: SimulatedTemplate = {
      id: existing?.id ?? randomDigits(15),
      wabaId: definition.wabaId,
      name: definition.name,
      language: definition.language,
      status: definition.status,
      category: definition.category,
      parameter_format: body.format,
      components,
      body: definition.body,
      bodyParameters: body.names,
      headerText: definition.header?.format === 'TEXT' ? definition.header.text : undefined,
      headerParameters: header?.names.length ?? 0,
      headerMediaFormat: definition.header && definition.header.format !== 'TEXT' ? definition.header.format : undefined,
    };
    this.templates.set(template.id, template);
    return template;
  }

  setStatus(id: string, status: TemplateStatus): SimulatedTemplate {
    const template = this.templates.get(id);
    if (!template) throw new NotFoundError('Template');
    template.status = status;
    return template;
  }

  list(wabaId?: string): SimulatedTemplate[] {
    return [...this.templates.values()].filter((t) => wabaId === undefined || t.wabaId === wabaId);
  }

  find(wabaId: string, name: string, language: string): SimulatedTemplate | undefined {
    return this.list(wabaId).find((t) => t.name === name && t.language === language);
  }

  clear(): void {
    this.templates.clear();
  }
}

function placeholdersOrFail(text: string, where: string): ReturnType<typeof templatePlaceholders> {
  try {
    return templatePlaceholders(text);
  } catch (err) {
    throw new ValidationError(`${where}: ${(err as Error).message}`);
  }
}
