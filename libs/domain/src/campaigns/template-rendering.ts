import { ValidationError } from '#common';
import type { MediaContent, TemplateContent, TemplateParameter } from '#whatsapp';
import { MessageTemplateErrorCode } from './message-templates.errors.js';
import { CAMPAIGN_IT } from './messages.it.js';

/**
 * How a comune's message template becomes what a citizen receives: the free text inside the
 * 24-hour window, or the parameters of the linked WhatsApp-approved template outside it. Pure, so
 * the preview, the campaign check at creation and the dispatch all render the same way.
 */

/** Filled per recipient from the subscriber's profile. */
export const RECIPIENT_VARIABLES = ['nome', 'cognome', 'frazione'] as const;
/** Filled from the comune. */
export const TENANT_VARIABLES = ['comune'] as const;

export type RecipientVariable = (typeof RECIPIENT_VARIABLES)[number];

export interface RecipientFields {
  nome: string | null;
  cognome: string | null;
  frazione: string | null;
}

export interface ApprovedTemplateRef {
  name: string;
  language: string;
  bodyParameters: readonly string[];
  headerParameters: readonly string[];
  buttonParameters: readonly string[];
  /**
   * The approved template's header as Meta reports it (TEXT, IMAGE, DOCUMENT, VIDEO, LOCATION),
   * null without a header. Left out when unknown: media then goes as the header whenever given.
   */
  headerFormat?: string | null;
}

/**
 * A campaign's attachment as it goes to WhatsApp: its public link, or the id WhatsApp gave the
 * comune's uploaded file for the sending number (never our own library id).
 */
export interface SendableMedia {
  kind: 'image' | 'document';
  link?: string;
  providerMediaId?: string;
  /** Documents only: the name the citizen sees. */
  filename?: string;
}

/** The free-form media message (inside the window) carrying `caption`. */
export function mediaMessage(media: SendableMedia, caption: string): MediaContent {
  return {
    type: media.kind,
    ...(media.providerMediaId !== undefined ? { mediaId: media.providerMediaId } : { link: media.link }),
    caption,
    ...(media.kind === 'document' && media.filename ? { filename: media.filename } : {}),
  };
}

/**
 * Why a campaign's attachment does not fit the approved template's header, or null: an IMAGE or
 * DOCUMENT header needs an attachment of that kind (Meta refuses the send without its parameter),
 * a VIDEO header cannot be filled by a campaign. A template without a media header takes no
 * attachment: then the attachment goes only with the free text inside the 24-hour window.
 */
export function headerMediaProblem(ref: ApprovedTemplateRef, media: { kind: 'image' | 'document' } | null | undefined): string | null {
  const format = ref.headerFormat;
  if (format === undefined || format === null || format === 'TEXT') return null;
  const what = `the WhatsApp template ${ref.name} (${ref.language}) has a${format === 'IMAGE' ? 'n' : ''} ${format} header`;
  if (format !== 'IMAGE' && format !== 'DOCUMENT')
    return `${what}, which a campaign cannot fill: link a template with an image, document or text header`;
  const wanted = format === 'IMAGE' ? 'image' : 'document';
  if (!media) return `${what}: attach ${wanted === 'image' ? 'an image' : 'a document'} (media) to send it`;
  if (media.kind !== wanted) return `${what}, but the attachment is ${media.kind === 'image' ? 'an image' : 'a document'}`;
  return null;
}

/** {{ name }}: the name is checked separately so that a bad one can be reported rather than sent raw. */
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const VARIABLE_NAME = /^[a-z0-9_]+$/;
/** "{{nome}} {{cognome}}" reads as one full name: a missing half is left out rather than replaced. */
const FULL_NAME_OR_PLACEHOLDER = /\{\{\s*nome\s*\}\}( +)\{\{\s*cognome\s*\}\}|\{\{([^{}]*)\}\}/g;
const POSITIONAL = /\{\{\s*(\d+)\s*\}\}/g;
const NAMED = /\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/g;

const isRecipientVariable = (name: string): name is RecipientVariable => (RECIPIENT_VARIABLES as readonly string[]).includes(name);
const isBuiltIn = (name: string): boolean => isRecipientVariable(name) || (TENANT_VARIABLES as readonly string[]).includes(name);

/** Variable names used in a body, unique, in order of first appearance. */
export function templateVariables(body: string): string[] {
  const names: string[] = [];
  const invalid: string[] = [];
  for (const match of body.matchAll(PLACEHOLDER)) {
    const name = match[1].trim();
    if (!VARIABLE_NAME.test(name)) {
      if (!invalid.includes(match[0])) invalid.push(match[0]);
    } else if (!names.includes(name)) {
      names.push(name);
    }
  }
  if (invalid.length > 0) {
    throw new ValidationError(
      `invalid variable ${invalid.join(', ')}: a variable name has only lowercase letters, digits and underscores, e.g. {{nome}}`,
      { invalid },
      MessageTemplateErrorCode.InvalidVariable,
    );
  }
  // An unclosed "{{" would reach citizens verbatim; refusing it is cheaper than explaining it later.
  if (body.replace(PLACEHOLDER, '').includes('{{')) {
    throw new ValidationError('the body has a "{{" that is never closed with "}}"', { invalid: ['{{'] }, MessageTemplateErrorCode.InvalidVariable);
  }
  return names;
}

/** The names (from `names`) that are neither recipient/tenant variables nor given a non-blank value in `values`. */
export function missingVariables(names: readonly string[], values: Readonly<Record<string, string>>): string[] {
  const missing: string[] = [];
  for (const name of names) {
    if (isBuiltIn(name) || missing.includes(name)) continue;
    if (given(values, name) === null) missing.push(name);
  }
  return missing;
}

/**
 * The exact text a recipient receives: `values` holds the free variables and `comune`; recipient
 * fields missing on the profile render as a neutral Italian fallback.
 */
export function renderText(body: string, values: Readonly<Record<string, string>>, recipient: RecipientFields): string {
  const names = templateVariables(body);
  assertComplete(names, values);
  // One pass over the body, so a value that itself contains "{{...}}" is never expanded again.
  return body.replace(FULL_NAME_OR_PLACEHOLDER, (_whole, gap: string | undefined, inner: string | undefined) => {
    if (gap !== undefined) return fullName(recipient, gap);
    return valueOf(inner!.trim(), values, recipient);
  });
}

/**
 * The TemplateContent for one recipient: each positional parameter is the named variable's value,
 * normalised to what WhatsApp accepts; header media from `media` when given.
 */
export function buildTemplateContent(
  ref: ApprovedTemplateRef,
  values: Readonly<Record<string, string>>,
  recipient: RecipientFields,
  media?: SendableMedia | null,
): TemplateContent {
  assertComplete([...ref.bodyParameters, ...ref.headerParameters, ...ref.buttonParameters.filter((n) => n.trim() !== '')], values);
  const parameter = (name: string): TemplateParameter => ({ text: parameterText(valueOf(name.trim(), values, recipient)) });
  const content: TemplateContent = { type: 'template', name: ref.name, languageCode: ref.language };
  if (ref.bodyParameters.length > 0) content.body = ref.bodyParameters.map(parameter);
  // A header is text or media, never both: a text header with parameters means the approved
  // template has no media header, so a campaign's attachment cannot go there; nor can it go into
  // a template whose header is known not to be of its kind (Meta would refuse the parameter).
  if (ref.headerParameters.length > 0) {
    content.headerText = ref.headerParameters.map(parameter);
  } else if (media && (ref.headerFormat === undefined || ref.headerFormat === media.kind.toUpperCase())) {
    content.headerMedia = {
      kind: media.kind,
      ...(media.providerMediaId !== undefined ? { mediaId: media.providerMediaId } : { link: media.link }),
      ...(media.kind === 'document' && media.filename ? { filename: media.filename } : {}),
    };
  }
  // buttonParameters[i] is the dynamic URL suffix of button i; a blank entry is a button without one.
  const buttons = ref.buttonParameters.flatMap((name, index) =>
    name.trim() === '' ? [] : [{ index, subType: 'url' as const, text: parameterText(valueOf(name.trim(), values, recipient)) }],
  );
  if (buttons.length > 0) content.buttons = buttons;
  return content;
}

/**
 * Counts the positional parameters ({{1}}..{{n}}) of an approved template's BODY / HEADER(text)
 * components as Meta returns them. Meta approves only gap-free numbering, so the highest index is
 * the count it expects at send time.
 */
export function approvedTemplateParameterCounts(components: readonly unknown[]): { body: number; header: number } {
  const body = componentText(components, 'BODY');
  const header = headerFormat(components) === 'TEXT' ? componentText(components, 'HEADER') : null;
  return { body: body === null ? 0 : highestPosition(body), header: header === null ? 0 : highestPosition(header) };
}

/** Named placeholders ({{livello}}) of the BODY and text HEADER: araldo fills approved templates positionally only. */
export function approvedTemplateNamedParameters(components: readonly unknown[]): string[] {
  const texts = [componentText(components, 'BODY'), headerFormat(components) === 'TEXT' ? componentText(components, 'HEADER') : null];
  const names = texts.flatMap((t) => (t === null ? [] : [...t.matchAll(NAMED)].map((m) => m[1])));
  return [...new Set(names)];
}

/** The approved template's header kind: TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION, or null without a header. */
export function approvedTemplateHeaderFormat(components: readonly unknown[]): string | null {
  return headerFormat(components);
}

export interface ApprovedTemplateButton {
  index: number;
  type: string;
  /** A URL button whose address ends in {{1}}: it needs a parameter at send time. */
  dynamic: boolean;
}

/** The approved template's buttons, by index, as Meta lists them in the BUTTONS component. */
export function approvedTemplateButtons(components: readonly unknown[]): ApprovedTemplateButton[] {
  const block = findComponent(components, 'BUTTONS');
  const buttons = block && Array.isArray(block.buttons) ? (block.buttons as unknown[]) : [];
  return buttons.map((b, index) => {
    const button = isObject(b) ? b : {};
    const type = typeof button.type === 'string' ? button.type.toUpperCase() : 'UNKNOWN';
    const url = typeof button.url === 'string' ? button.url : '';
    return { index, type, dynamic: type === 'URL' && /\{\{\s*1\s*\}\}/.test(url) };
  });
}

/** Renders the approved template's BODY text with the given parameter texts, for the preview. */
export function renderApprovedBody(components: readonly unknown[], parameters: readonly string[]): string | null {
  const body = componentText(components, 'BODY');
  if (body === null) return null;
  // A parameter not given stays visible as {{n}}: the preview must show the gap, not hide it.
  return body.replace(POSITIONAL, (whole, n: string) => parameters[Number(n) - 1] ?? whole);
}

/** The recipient fields of a subscriber's profile. */
export function recipientFieldsOf(s: { firstName: string | null; lastName: string | null; frazione: string | null }): RecipientFields {
  return { nome: s.firstName, cognome: s.lastName, frazione: s.frazione };
}

function assertComplete(names: readonly string[], values: Readonly<Record<string, string>>): void {
  // Unlike missingVariables, `comune` counts here: rendering without it would send a blank.
  const missing = [...new Set(names.filter((n) => !isRecipientVariable(n) && given(values, n) === null))];
  if (missing.length > 0) {
    throw new ValidationError(
      `missing value for ${missing.map((n) => `{{${n}}}`).join(', ')}`,
      { missing },
      MessageTemplateErrorCode.MissingVariables,
    );
  }
}

function valueOf(name: string, values: Readonly<Record<string, string>>, recipient: RecipientFields): string {
  if (isRecipientVariable(name)) return present(recipient[name]) ?? CAMPAIGN_IT.fallback[name];
  const value = given(values, name);
  if (value === null) throw new ValidationError(`missing value for {{${name}}}`, { missing: [name] }, MessageTemplateErrorCode.MissingVariables);
  return value;
}

function fullName(recipient: RecipientFields, gap: string): string {
  const parts = [present(recipient.nome), present(recipient.cognome)].filter((p): p is string => p !== null);
  return parts.length > 0 ? parts.join(gap) : CAMPAIGN_IT.fallback.nome;
}

function given(values: Readonly<Record<string, string>>, name: string): string | null {
  if (!Object.hasOwn(values, name)) return null;
  const value = values[name];
  return typeof value === 'string' ? present(value) : null;
}

function present(value: string | null | undefined): string | null {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}

/** WhatsApp refuses parameters with newlines or tabs or more than four consecutive spaces (132018). */
function parameterText(text: string): string {
  return text
    .replace(/[\r\n\t\v\f\u2028\u2029]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

function highestPosition(text: string): number {
  let highest = 0;
  for (const m of text.matchAll(POSITIONAL)) highest = Math.max(highest, Number(m[1]));
  return highest;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function findComponent(components: readonly unknown[], type: string): Record<string, unknown> | undefined {
  return components.filter(isObject).find((c) => typeof c.type === 'string' && c.type.toUpperCase() === type);
}

function componentText(components: readonly unknown[], type: string): string | null {
  const component = findComponent(components, type);
  return component && typeof component.text === 'string' ? component.text : null;
}

function headerFormat(components: readonly unknown[]): string | null {
  const header = findComponent(components, 'HEADER');
  if (!header) return null;
  // Meta always sets format; a header with text and no format is a text header.
  if (typeof header.format === 'string') return header.format.toUpperCase();
  return typeof header.text === 'string' ? 'TEXT' : null;
}
