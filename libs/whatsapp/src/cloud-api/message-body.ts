import { InvalidMessageError } from '../errors/whatsapp.errors.js';
import {
  type ContactsContent,
  type InteractiveContent,
  type MediaContent,
  type MessageContent,
  type Recipient,
  type SendRequest,
  type TemplateContent,
  type TemplateParameter,
} from '../provider/whatsapp-provider.types.js';

/** WhatsApp's documented limits (reference §2.2), in characters. */
export const WHATSAPP_LIMITS = {
  textBody: 4096,
  mediaCaption: 1024,
  correlationId: 512,
  bsuid: 256,
  buttonsMax: 3,
  buttonTitle: 20,
  buttonId: 256,
  buttonsBody: 1024,
  listBody: 4096,
  header: 60,
  footer: 60,
  listButton: 20,
  listSectionsMax: 10,
  listRowsMax: 10,
  sectionTitle: 24,
  rowTitle: 24,
  rowDescription: 72,
  rowId: 200,
} as const;

/** E.164 with '+': without it Meta prepends the business number's country code and may misdeliver. */
const E164 = /^\+[1-9]\d{6,14}$/;
/** Meta's rule for named template parameters: lowercase letters, digits and underscores. */
const PARAMETER_NAME = /^[a-z0-9_]+$/;
/** Meta rejects body/header parameters with newlines, tabs or more than four consecutive spaces (132018). */
const BAD_PARAMETER_TEXT = /[\n\t]| {5,}/;

type Json = Record<string, unknown>;

/**
 * The exact JSON body of POST /{phone-number-id}/messages for one request, after checking the
 * limits WhatsApp documents. Throws {@link InvalidMessageError} before anything is sent.
 */
export function buildSendBody(request: SendRequest): Json {
  const { correlationId, replyTo, content } = request;
  if (correlationId.length === 0) fail('correlationId is empty: status webhooks could not be matched to the message');
  checkMax('correlationId', correlationId, WHATSAPP_LIMITS.correlationId);
  if (replyTo !== undefined && replyTo.length === 0) fail('replyTo is empty');

  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    ...recipientFields(request.to),
    ...(replyTo !== undefined ? { context: { message_id: replyTo } } : {}),
    biz_opaque_callback_data: correlationId,
    type: content.type,
    [content.type]: contentObject(content),
  };
}

function recipientFields(to: Recipient): Json {
  switch (to.kind) {
    case 'phone':
      if (!E164.test(to.e164)) fail('recipient phone number must be E.164 with a leading + (e.g. +393331234567)');
      return { to: to.e164 };
    case 'bsuid':
      // A BSUID goes in `recipient`; `to` would take precedence over it, so it is left out.
      if (to.userId.length === 0) fail('recipient BSUID is empty');
      checkMax('recipient BSUID', to.userId, WHATSAPP_LIMITS.bsuid);
      return { recipient: to.userId };
  }
}

function contentObject(content: MessageContent): Json | Json[] {
  switch (content.type) {
    case 'text':
      if (content.body.trim().length === 0) fail('text body is empty');
      checkMax('text body', content.body, WHATSAPP_LIMITS.textBody);
      return { ...(content.previewUrl !== undefined ? { preview_url: content.previewUrl } : {}), body: content.body };
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      return mediaObject(content);
    case 'template':
      return templateObject(content);
    case 'interactive':
      return interactiveObject(content);
    case 'contacts':
      return contactsArray(content);
  }
}

/** Meta's `contacts` message: an array (not an object) under the `contacts` key. */
function contactsArray(content: ContactsContent): Json[] {
  if (content.contacts.length === 0) fail('a contacts message needs at least one contact');
  return content.contacts.map((c) => {
    if (c.formattedName.trim().length === 0) fail('a contact needs a formatted name');
    if (c.phones.length === 0) fail('a contact needs at least one phone number');
    return {
      name: { formatted_name: c.formattedName, first_name: c.formattedName },
      ...(c.organization ? { org: { company: c.organization } } : {}),
      phones: c.phones.map((p) => ({ phone: p.phone, type: p.type ?? 'WORK', ...(p.waId ? { wa_id: p.waId } : {}) })),
      ...(c.emails && c.emails.length > 0 ? { emails: c.emails.map((email) => ({ email, type: 'WORK' })) } : {}),
      ...(c.urls && c.urls.length > 0 ? { urls: c.urls.map((url) => ({ url, type: 'WORK' })) } : {}),
    };
  });
}

function mediaObject(content: MediaContent): Json {
  const source = mediaSource(content.type, content.mediaId, content.link);
  if (content.caption !== undefined) {
    // Meta accepts captions on images, videos and documents only.
    if (content.type === 'audio' || content.type === 'sticker') fail(`${content.type} messages cannot have a caption`);
    checkMax('media caption', content.caption, WHATSAPP_LIMITS.mediaCaption);
  }
  if (content.filename !== undefined && content.type !== 'document') fail('only documents have a filename');
  return {
    ...source,
    ...(content.caption !== undefined ? { caption: content.caption } : {}),
    ...(content.filename !== undefined ? { filename: content.filename } : {}),
  };
}

function mediaSource(what: string, mediaId: string | undefined, link: string | undefined): Json {
  const hasId = mediaId !== undefined && mediaId.length > 0;
  const hasLink = link !== undefined && link.length > 0;
  if (hasId === hasLink) fail(`${what}: exactly one of media id and link is required`);
  if (hasId) return { id: mediaId };
  if (!/^https?:\/\//i.test(link!) || !URL.canParse(link!)) fail(`${what}: link must be an absolute http(s) URL`);
  return { link };
}

function templateObject(content: TemplateContent): Json {
  if (content.name.length === 0) fail('template name is empty');
  if (content.languageCode.length === 0) fail('template language is empty');
  if (content.headerMedia && content.headerText && content.headerText.length > 0) fail('a template header is either media or text, not both');

  const components: Json[] = [];
  if (content.headerMedia) {
    const { kind, mediaId, link, filename } = content.headerMedia;
    if (filename !== undefined && kind !== 'document') fail('only a document header has a filename');
    const media = { ...mediaSource(`template header ${kind}`, mediaId, link), ...(filename !== undefined ? { filename } : {}) };
    components.push({ type: 'header', parameters: [{ type: kind, [kind]: media }] });
  } else if (content.headerText && content.headerText.length > 0) {
    components.push({ type: 'header', parameters: textParameters('template header', content.headerText) });
  }
  if (content.body && content.body.length > 0) {
    components.push({ type: 'body', parameters: textParameters('template body', content.body) });
  }
  const seen = new Set<number>();
  for (const button of content.buttons ?? []) {
    if (!Number.isInteger(button.index) || button.index < 0 || button.index > 9) fail('template button index must be an integer from 0 to 9');
    if (seen.has(button.index)) fail(`template button index ${button.index} is given twice`);
    seen.add(button.index);
    const parameter = button.subType === 'quick_reply' ? { type: 'payload', payload: button.payload } : { type: 'text', text: button.text };
    components.push({ type: 'button', sub_type: button.subType, index: String(button.index), parameters: [parameter] });
  }
  return {
    name: content.name,
    language: { code: content.languageCode },
    ...(components.length > 0 ? { components } : {}),
  };
}

function textParameters(where: string, parameters: readonly TemplateParameter[]): Json[] {
  const named = parameters.filter((p) => p.name !== undefined).length;
  if (named !== 0 && named !== parameters.length) fail(`${where}: parameters are either all named or all positional`);
  return parameters.map((p, i) => {
    if (p.text.length === 0) fail(`${where}: parameter ${p.name ?? i + 1} is empty`);
    if (BAD_PARAMETER_TEXT.test(p.text)) fail(`${where}: parameter ${p.name ?? i + 1} has a newline, a tab or more than four consecutive spaces`);
    if (p.name !== undefined && !PARAMETER_NAME.test(p.name)) fail(`${where}: parameter name "${p.name}" may hold only a-z, 0-9 and _`);
    return p.name !== undefined ? { type: 'text', parameter_name: p.name, text: p.text } : { type: 'text', text: p.text };
  });
}

function interactiveObject(content: InteractiveContent): Json {
  if (content.body.trim().length === 0) fail('interactive body is empty');
  if (content.header !== undefined) checkMax('interactive header', content.header, WHATSAPP_LIMITS.header);
  if (content.footer !== undefined) checkMax('interactive footer', content.footer, WHATSAPP_LIMITS.footer);
  const frame = {
    ...(content.header !== undefined ? { header: { type: 'text', text: content.header } } : {}),
    body: { text: content.body },
    ...(content.footer !== undefined ? { footer: { text: content.footer } } : {}),
  };
  const { action } = content;
  switch (action.kind) {
    case 'buttons': {
      checkMax('interactive body', content.body, WHATSAPP_LIMITS.buttonsBody);
      if (action.buttons.length === 0 || action.buttons.length > WHATSAPP_LIMITS.buttonsMax) fail('reply buttons: 1 to 3 buttons');
      unique(
        'reply button ids',
        action.buttons.map((b) => b.id),
      );
      unique(
        'reply button titles',
        action.buttons.map((b) => b.title),
      );
      const buttons = action.buttons.map((b) => {
        if (b.id.length === 0) fail('reply button id is empty');
        if (b.title.trim().length === 0) fail('reply button title is empty');
        checkMax('reply button id', b.id, WHATSAPP_LIMITS.buttonId);
        checkMax(`reply button title "${b.title}"`, b.title, WHATSAPP_LIMITS.buttonTitle);
        return { type: 'reply', reply: { id: b.id, title: b.title } };
      });
      return { type: 'button', ...frame, action: { buttons } };
    }
    case 'list': {
      checkMax('interactive body', content.body, WHATSAPP_LIMITS.listBody);
      if (action.button.trim().length === 0) fail('list button label is empty');
      checkMax('list button label', action.button, WHATSAPP_LIMITS.listButton);
      if (action.sections.length === 0 || action.sections.length > WHATSAPP_LIMITS.listSectionsMax) fail('list: 1 to 10 sections');
      const rows = action.sections.flatMap((s) => s.rows);
      if (rows.length === 0 || rows.length > WHATSAPP_LIMITS.listRowsMax) fail('list: 1 to 10 rows in total');
      unique(
        'list row ids',
        rows.map((r) => r.id),
      );
      const sections = action.sections.map((section) => {
        if (section.rows.length === 0) fail('list: a section has no rows');
        if (section.title === undefined && action.sections.length > 1) fail('list: every section needs a title when there are several');
        if (section.title !== undefined) checkMax('list section title', section.title, WHATSAPP_LIMITS.sectionTitle);
        return {
          ...(section.title !== undefined ? { title: section.title } : {}),
          rows: section.rows.map((row) => {
            if (row.id.length === 0) fail('list row id is empty');
            if (row.title.trim().length === 0) fail('list row title is empty');
            checkMax('list row id', row.id, WHATSAPP_LIMITS.rowId);
            checkMax(`list row title "${row.title}"`, row.title, WHATSAPP_LIMITS.rowTitle);
            if (row.description !== undefined) checkMax('list row description', row.description, WHATSAPP_LIMITS.rowDescription);
            return { id: row.id, title: row.title, ...(row.description !== undefined ? { description: row.description } : {}) };
          }),
        };
      });
      return { type: 'list', ...frame, action: { button: action.button, sections } };
    }
  }
}

/** Meta counts characters (code points), so an emoji counts once, not as two UTF-16 units. */
function length(value: string): number {
  let n = 0;
  for (const _ of value) n += 1;
  return n;
}

function checkMax(what: string, value: string, max: number): void {
  const n = length(value);
  if (n > max) fail(`${what} is ${n} characters; WhatsApp allows at most ${max}`);
}

function unique(what: string, values: readonly string[]): void {
  if (new Set(values).size !== values.length) fail(`${what} must be unique`);
}

function fail(message: string): never {
  throw new InvalidMessageError(message);
}
