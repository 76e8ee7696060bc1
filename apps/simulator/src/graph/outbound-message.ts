import { GraphErrors } from './graph.errors.js';

/**
 * Validation of POST /{phone-number-id}/messages bodies, with Meta's limits and Meta's wording
 * (a parameter path such as `interactive['action']['buttons'][0]['reply']['title']`). Pure: the
 * service adds what needs state (templates, media ids, windows, rate limits).
 */

export const MESSAGE_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'document',
  'sticker',
  'template',
  'interactive',
  'location',
  'contacts',
  'reaction',
] as const;
export type OutboundMessageType = (typeof MESSAGE_TYPES)[number];
export const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

export interface TemplateReference {
  name: string;
  languageCode: string;
  /** Parameter counts by component, as sent. */
  bodyParameters: { name?: string }[];
  headerTextParameters: number;
  /** A media header parameter (image, video, document), by uploaded id or link. */
  headerMedia?: { type: string; id?: string };
}

export interface OutboundMessage {
  kind: 'message';
  /** `to` (a phone number) or `recipient` (a business-scoped user id). */
  recipient: { kind: 'phone'; input: string; waId: string } | { kind: 'bsuid'; input: string };
  type: OutboundMessageType;
  /** The `<type>` object as sent. */
  content: Record<string, unknown>;
  bizOpaqueCallbackData?: string;
  contextMessageId?: string;
  mediaId?: string;
  template?: TemplateReference;
}

export interface MarkReadRequest {
  kind: 'read';
  messageId: string;
  typingIndicator: boolean;
}

export type MessagesRequest = OutboundMessage | MarkReadRequest;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const LIMITS = {
  textBody: 4096,
  caption: 1024,
  bizOpaque: 512,
  buttonTitle: 20,
  buttonId: 256,
  interactiveBody: 1024,
  listBody: 4096,
  footer: 60,
  headerText: 60,
  listButton: 20,
  sectionTitle: 24,
  rowTitle: 24,
  rowDescription: 72,
  rowId: 200,
  maxButtons: 3,
  maxSections: 10,
  maxRows: 10,
} as const;

function required(path: string): never {
  throw GraphErrors.invalidParameter(`The parameter ${path} is required.`);
}

function object(parent: Json, key: string, path: string): Json {
  const value = parent[key];
  if (value === undefined || value === null) required(path);
  if (!isObject(value)) throw GraphErrors.invalidParameter(`Param ${path} must be a JSON object.`);
  return value;
}

function string(parent: Json, key: string, path: string, max?: number, min = 1): string {
  const value = parent[key];
  if (value === undefined || value === null) required(path);
  if (typeof value !== 'string') throw GraphErrors.invalidParameter(`Param ${path} must be a string.`);
  if (value.length < min) throw GraphErrors.invalidParameter(`Param ${path} must be at least ${min} characters long.`);
  if (max !== undefined && value.length > max) throw GraphErrors.invalidParameter(`Param ${path} must be at most ${max} characters long.`);
  return value;
}

function optionalString(parent: Json, key: string, path: string, max?: number): string | undefined {
  return parent[key] === undefined || parent[key] === null ? undefined : string(parent, key, path, max, 0);
}

function array(parent: Json, key: string, path: string): unknown[] {
  const value = parent[key];
  if (value === undefined || value === null) required(path);
  if (!Array.isArray(value)) throw GraphErrors.invalidParameter(`Param ${path} must be an array.`);
  return value;
}

function number(parent: Json, key: string, path: string, min: number, max: number): number {
  const raw = parent[key];
  if (raw === undefined || raw === null) required(path);
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw GraphErrors.invalidParameter(`Param ${path} must be a number.`);
  if (value < min || value > max) throw GraphErrors.invalidParameter(`Param ${path} must be between ${min} and ${max}.`);
  return value;
}

const oneOf = (path: string, allowed: readonly string[], got: unknown): never => {
  throw GraphErrors.invalidParameter(`Param ${path} must be one of {${allowed.map((a) => a.toUpperCase()).join(', ')}} - got "${String(got)}".`);
};

function assertUnique(values: string[], what: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) throw GraphErrors.parameterValueNotValid(`${what} must be unique: "${value}" appears more than once.`);
    seen.add(value);
  }
}

export function parseMessagesRequest(body: unknown): MessagesRequest {
  if (!isObject(body)) throw GraphErrors.invalidParameter('The request body must be a JSON object.');
  const product = body.messaging_product;
  if (product === undefined || product === null) required('messaging_product');
  if (product !== 'whatsapp') oneOf('messaging_product', ['whatsapp'], product);

  if (body.status !== undefined) {
    if (body.status !== 'read') oneOf('status', ['read'], body.status);
    const messageId = string(body, 'message_id', 'message_id');
    const typing = body.typing_indicator;
    if (typing !== undefined && (!isObject(typing) || typing.type !== 'text'))
      oneOf("typing_indicator['type']", ['text'], isObject(typing) ? typing.type : typing);
    return { kind: 'read', messageId, typingIndicator: typing !== undefined };
  }

  if (body.recipient_type !== undefined && body.recipient_type !== 'individual') oneOf('recipient_type', ['individual'], body.recipient_type);
  const recipient = parseRecipient(body);

  const type = body.type ?? 'text';
  if (typeof type !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(type)) oneOf('type', MESSAGE_TYPES, type);
  const messageType = type as OutboundMessageType;
  // contacts is the one type whose payload is an array; it is kept under `contacts` for uniformity.
  const content = messageType === 'contacts' ? { contacts: validateContacts(body) } : object(body, messageType, messageType);

  const bizOpaqueCallbackData = optionalString(body, 'biz_opaque_callback_data', 'biz_opaque_callback_data', LIMITS.bizOpaque);
  let contextMessageId: string | undefined;
  if (body.context !== undefined && body.context !== null) {
    contextMessageId = string(object(body, 'context', 'context'), 'message_id', "context['message_id']");
  }

  const message: OutboundMessage = { kind: 'message', recipient, type: messageType, content, bizOpaqueCallbackData, contextMessageId };
  switch (messageType) {
    case 'text':
      string(content, 'body', "text['body']", LIMITS.textBody);
      if (content.preview_url !== undefined && typeof content.preview_url !== 'boolean') {
        throw GraphErrors.invalidParameter("Param text['preview_url'] must be a boolean.");
      }
      break;
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      message.mediaId = validateMedia(messageType, content);
      break;
    case 'interactive':
      validateInteractive(content);
      break;
    case 'location':
      number(content, 'latitude', "location['latitude']", -90, 90);
      number(content, 'longitude', "location['longitude']", -180, 180);
      optionalString(content, 'name', "location['name']", 1000);
      optionalString(content, 'address', "location['address']", 1000);
      break;
    case 'contacts':
      break;
    case 'reaction':
      string(content, 'message_id', "reaction['message_id']");
      // An empty emoji removes the reaction.
      optionalString(content, 'emoji', "reaction['emoji']", 10);
      if (content.emoji === undefined) required("reaction['emoji']");
      break;
    case 'template':
      message.template = validateTemplate(content);
      message.mediaId = message.template.headerMedia?.id;
      break;
  }
  return message;
}

function parseRecipient(body: Json): OutboundMessage['recipient'] {
  if (body.to !== undefined && body.to !== null) {
    const input = string(body, 'to', 'to');
    const waId = input.replace(/\D/g, '');
    if (!/^\+?[\d\s().-]+$/.test(input.trim()) || waId.length < 5 || waId.length > 15) {
      throw GraphErrors.invalidParameter(`Param to must be a phone number in international format, e.g. +393331234567 - got "${input}".`);
    }
    return { kind: 'phone', input, waId };
  }
  if (body.recipient !== undefined && body.recipient !== null) {
    return { kind: 'bsuid', input: string(body, 'recipient', 'recipient', 256) };
  }
  return required('to');
}

function validateContacts(body: Json): unknown[] {
  const contacts = array(body, 'contacts', 'contacts');
  if (contacts.length < 1) throw GraphErrors.invalidParameter('Param contacts must contain at least one contact.');
  contacts.forEach((contact, i) => {
    if (!isObject(contact)) throw GraphErrors.invalidParameter(`Param contacts[${i}] must be a JSON object.`);
    string(object(contact, 'name', `contacts[${i}]['name']`), 'formatted_name', `contacts[${i}]['name']['formatted_name']`);
  });
  return contacts;
}

function validateMedia(type: MediaType, content: Json): string | undefined {
  const hasId = content.id !== undefined && content.id !== null;
  const hasLink = content.link !== undefined && content.link !== null;
  if (hasId === hasLink) {
    throw GraphErrors.parameterValueNotValid(`Exactly one of ${type}['id'] and ${type}['link'] must be given${hasId ? ', not both' : ''}.`);
  }
  if (hasLink) {
    const link = string(content, 'link', `${type}['link']`, 2048);
    if (!/^https?:\/\/\S+$/i.test(link)) throw GraphErrors.invalidParameter(`Param ${type}['link'] must be a valid http(s) URL.`);
  }
  if (type === 'audio' || type === 'sticker') {
    if (content.caption !== undefined) throw GraphErrors.invalidParameter(`Param ${type}['caption'] is not supported for ${type} messages.`);
  } else {
    optionalString(content, 'caption', `${type}['caption']`, LIMITS.caption);
  }
  if (type === 'document') optionalString(content, 'filename', "document['filename']", 240);
  return hasId ? string(content, 'id', `${type}['id']`) : undefined;
}

function validateInteractive(content: Json): void {
  const kind = content.type;
  const kinds = ['button', 'list', 'cta_url'];
  if (typeof kind !== 'string' || !kinds.includes(kind)) oneOf("interactive['type']", kinds, kind);
  const body = object(content, 'body', "interactive['body']");
  string(body, 'text', "interactive['body']['text']", kind === 'list' ? LIMITS.listBody : LIMITS.interactiveBody);
  if (content.footer !== undefined)
    string(object(content, 'footer', "interactive['footer']"), 'text', "interactive['footer']['text']", LIMITS.footer);
  if (content.header !== undefined) {
    const header = object(content, 'header', "interactive['header']");
    const headerTypes = kind === 'list' ? ['text'] : ['text', 'image', 'video', 'document'];
    if (typeof header.type !== 'string' || !headerTypes.includes(header.type)) oneOf("interactive['header']['type']", headerTypes, header.type);
    if (header.type === 'text') string(header, 'text', "interactive['header']['text']", LIMITS.headerText);
  }
  const action = object(content, 'action', "interactive['action']");
  if (kind === 'button') {
    const buttons = array(action, 'buttons', "interactive['action']['buttons']");
    if (buttons.length < 1 || buttons.length > LIMITS.maxButtons) {
      throw GraphErrors.parameterValueNotValid(`Number of buttons must be between 1 and ${LIMITS.maxButtons}, got ${buttons.length}.`);
    }
    const replies = buttons.map((button, i) => {
      const path = `interactive['action']['buttons'][${i}]`;
      if (!isObject(button)) throw GraphErrors.invalidParameter(`Param ${path} must be a JSON object.`);
      if (button.type !== 'reply') oneOf(`${path}['type']`, ['reply'], button.type);
      const reply = object(button, 'reply', `${path}['reply']`);
      return {
        id: string(reply, 'id', `${path}['reply']['id']`, LIMITS.buttonId),
        title: string(reply, 'title', `${path}['reply']['title']`, LIMITS.buttonTitle),
      };
    });
    assertUnique(
      replies.map((r) => r.id),
      'Button ids',
    );
    assertUnique(
      replies.map((r) => r.title),
      'Button titles',
    );
  } else if (kind === 'list') {
    string(action, 'button', "interactive['action']['button']", LIMITS.listButton);
    const sections = array(action, 'sections', "interactive['action']['sections']");
    if (sections.length < 1 || sections.length > LIMITS.maxSections) {
      throw GraphErrors.parameterValueNotValid(`Number of sections must be between 1 and ${LIMITS.maxSections}, got ${sections.length}.`);
    }
    const rowIds: string[] = [];
    sections.forEach((section, s) => {
      const path = `interactive['action']['sections'][${s}]`;
      if (!isObject(section)) throw GraphErrors.invalidParameter(`Param ${path} must be a JSON object.`);
      if (sections.length > 1) string(section, 'title', `${path}['title']`, LIMITS.sectionTitle);
      else optionalString(section, 'title', `${path}['title']`, LIMITS.sectionTitle);
      array(section, 'rows', `${path}['rows']`).forEach((row, r) => {
        const rowPath = `${path}['rows'][${r}]`;
        if (!isObject(row)) throw GraphErrors.invalidParameter(`Param ${rowPath} must be a JSON object.`);
        rowIds.push(string(row, 'id', `${rowPath}['id']`, LIMITS.rowId));
        string(row, 'title', `${rowPath}['title']`, LIMITS.rowTitle);
        optionalString(row, 'description', `${rowPath}['description']`, LIMITS.rowDescription);
      });
    });
    if (rowIds.length < 1 || rowIds.length > LIMITS.maxRows) {
      throw GraphErrors.parameterValueNotValid(`Total row count must be between 1 and ${LIMITS.maxRows}, got ${rowIds.length}.`);
    }
    assertUnique(rowIds, 'Row ids');
  } else {
    if (action.name !== 'cta_url') oneOf("interactive['action']['name']", ['cta_url'], action.name);
    const parameters = object(action, 'parameters', "interactive['action']['parameters']");
    string(parameters, 'display_text', "interactive['action']['parameters']['display_text']", LIMITS.buttonTitle);
    string(parameters, 'url', "interactive['action']['parameters']['url']", 2048);
  }
}

function validateTemplate(content: Json): TemplateReference {
  const name = string(content, 'name', "template['name']", 512);
  const language = object(content, 'language', "template['language']");
  const languageCode = string(language, 'code', "template['language']['code']", 20);
  const reference: TemplateReference = { name, languageCode, bodyParameters: [], headerTextParameters: 0 };
  if (content.components === undefined || content.components === null) return reference;
  array(content, 'components', "template['components']").forEach((component, i) => {
    const path = `template['components'][${i}]`;
    if (!isObject(component)) throw GraphErrors.invalidParameter(`Param ${path} must be a JSON object.`);
    const type = typeof component.type === 'string' ? component.type.toLowerCase() : component.type;
    if (type !== 'header' && type !== 'body' && type !== 'button') oneOf(`${path}['type']`, ['header', 'body', 'button'], component.type);
    const parameters = component.parameters === undefined ? [] : array(component, 'parameters', `${path}['parameters']`);
    parameters.forEach((parameter, p) => {
      const parameterPath = `${path}['parameters'][${p}]`;
      if (!isObject(parameter)) throw GraphErrors.invalidParameter(`Param ${parameterPath} must be a JSON object.`);
      string(parameter, 'type', `${parameterPath}['type']`);
      if (parameter.type === 'text') string(parameter, 'text', `${parameterPath}['text']`, 32768);
    });
    if (type === 'body') {
      reference.bodyParameters = parameters.map((p) => {
        const parameterName = (p as Json).parameter_name;
        return typeof parameterName === 'string' ? { name: parameterName } : {};
      });
    } else if (type === 'header') {
      reference.headerTextParameters = parameters.filter((p) => (p as Json).type === 'text').length;
      parameters.forEach((parameter, p) => {
        const kind = (parameter as Json).type;
        if (kind !== 'image' && kind !== 'video' && kind !== 'document') return;
        const media = object(parameter as Json, kind, `${path}['parameters'][${p}]['${kind}']`);
        reference.headerMedia = { type: kind, id: validateMedia(kind, media) };
      });
    }
  });
  return reference;
}
