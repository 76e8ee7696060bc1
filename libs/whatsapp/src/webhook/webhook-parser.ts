import { z } from 'zod';
import {
  STATUS_VALUES,
  type InboundContent,
  type InboundMediaKind,
  type InboundMessageEvent,
  type MessageContext,
  type ParsedWebhook,
  type ProviderErrorInfo,
  type StatusValue,
  type WebhookEvent,
} from './webhook-event.types.js';

/*
 * Every object schema is loose: Meta adds fields often, and a field we do not know must never cost
 * us a message. Each item (message, status, preference) is parsed on its own, so one unreadable
 * item becomes a problem line and the rest of the batch still goes through: a batch can hold up to
 * 1000 updates, and failing it whole would lose all of them (Meta does not resend a 200'd body).
 */

/** Zod's union messages ("Invalid input") hide whether a field is absent or wrong; problem lines should say. */
const says = (wrong: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? 'missing' : wrong) });

/** Graph ids are strings; a number is accepted in case a serializer on the way turned one into a number. */
const id = z.union([z.string().min(1, 'empty'), z.number()], says('expected a non-empty string')).transform(String);
const loose = z.union([z.string(), z.number()], says('expected a string')).transform(String);
/** Unix seconds, as a string (Meta's habit) or a number. */
const timestamp = z
  .union([z.string().regex(/^\d+$/, 'expected unix seconds'), z.number().int().nonnegative()], says('expected unix seconds'))
  .transform((v) => new Date(Number(v) * 1000));
const coordinate = z
  .union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a number')], says('expected a number'))
  .transform(Number)
  .refine(Number.isFinite, 'expected a finite number');

const errorSchema = z.looseObject({
  code: z
    .union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)])
    .nullish()
    .catch(null),
  title: z.string().nullish().catch(null),
  message: z.string().nullish().catch(null),
  error_data: z
    .looseObject({ details: z.string().nullish().catch(null) })
    .nullish()
    .catch(null),
});

const contactSchema = z.looseObject({
  wa_id: loose.optional(),
  user_id: z.string().optional(),
  profile: z.looseObject({ name: z.string().optional() }).optional(),
});
type Contact = z.infer<typeof contactSchema>;

const contextSchema = z.looseObject({
  id: z.string().optional(),
  from: loose.optional(),
  forwarded: z.boolean().optional(),
  frequently_forwarded: z.boolean().optional(),
});

const messageSchema = z.looseObject({
  id,
  from: loose.optional(),
  from_user_id: z.string().optional(),
  timestamp,
  type: z.string().min(1),
  context: contextSchema.optional(),
  errors: z.array(z.unknown()).optional(),
});

const mediaSchema = z.looseObject({
  id,
  mime_type: z.string().optional(),
  sha256: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
  voice: z.boolean().optional(),
  animated: z.boolean().optional(),
});

const textMessage = z.looseObject({ text: z.looseObject({ body: z.string() }) });
const locationMessage = z.looseObject({
  location: z.looseObject({
    latitude: coordinate,
    longitude: coordinate,
    name: z.string().optional(),
    address: z.string().optional(),
    url: z.string().optional(),
  }),
});
const contactsMessage = z.looseObject({ contacts: z.array(z.unknown()) });
const replySchema = z.looseObject({ id: z.string().min(1), title: z.string(), description: z.string().optional() });
const interactiveMessage = z.looseObject({
  interactive: z.looseObject({ type: z.string(), button_reply: replySchema.optional(), list_reply: replySchema.optional() }),
});
const buttonMessage = z.looseObject({ button: z.looseObject({ payload: z.string().optional(), text: z.string() }) });
const reactionMessage = z.looseObject({ reaction: z.looseObject({ message_id: z.string().min(1), emoji: z.string().optional() }) });
const unsupportedMessage = z.looseObject({ unsupported: z.looseObject({ type: z.string().optional() }).optional() });

const statusSchema = z.looseObject({
  id,
  status: z.string(),
  timestamp,
  recipient_id: loose.optional(),
  recipient_user_id: z.string().optional(),
  biz_opaque_callback_data: z.string().optional(),
  pricing: z
    .looseObject({
      billable: z.boolean().optional(),
      pricing_model: z.string().optional(),
      type: z.string().optional(),
      category: z.string().optional(),
    })
    .optional(),
  errors: z.array(z.unknown()).optional(),
});

const metadataSchema = z.looseObject({ phone_number_id: id, display_phone_number: loose.optional() });

const messagesValue = z.looseObject({
  metadata: metadataSchema,
  contacts: z.array(z.unknown()).optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
  errors: z.array(z.unknown()).optional(),
});

const templateStatusValue = z.looseObject({
  event: z.string().min(1),
  message_template_id: loose.optional(),
  message_template_name: z.string(),
  message_template_language: z.string(),
  reason: z.string().nullish(),
});

const templateCategoryValue = z.looseObject({
  message_template_id: loose.optional(),
  message_template_name: z.string(),
  message_template_language: z.string(),
  previous_category: z.string().nullish(),
  new_category: z.string().min(1),
});

const phoneQualityValue = z.looseObject({
  display_phone_number: loose,
  event: z.string().min(1),
  current_limit: z.string().nullish(),
});

const userPreferencesValue = z.looseObject({
  metadata: z.looseObject({ phone_number_id: id }).optional(),
  user_preferences: z.array(z.unknown()),
});
const userPreferenceSchema = z.looseObject({
  wa_id: loose.optional(),
  user_id: z.string().optional(),
  category: z.string().min(1),
  value: z.enum(['stop', 'resume']),
  timestamp,
});

const envelopeSchema = z.looseObject({ object: z.string(), entry: z.array(z.unknown()) });
const entrySchema = z.looseObject({ id, changes: z.array(z.unknown()) });
const changeSchema = z.looseObject({ field: z.string().min(1), value: z.unknown() });

const MEDIA_KINDS: ReadonlySet<string> = new Set<InboundMediaKind>(['image', 'video', 'audio', 'document', 'sticker']);
const STATUS_SET: ReadonlySet<string> = new Set(STATUS_VALUES);

class Collector {
  readonly events: WebhookEvent[] = [];
  readonly problems: string[] = [];

  /** Parses `input`, or records why not under `where` and returns undefined. */
  read<T extends z.ZodType>(schema: T, input: unknown, where: string): z.output<T> | undefined {
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    this.problems.push(`${where}: ${describeIssues(result.error)}`);
    return undefined;
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/**
 * Flattens one webhook body (already signature-checked and JSON-parsed) into events. Never throws:
 * whatever cannot be read is listed in `problems` with where it was.
 */
export function parseWebhookBody(body: unknown): ParsedWebhook {
  const out = new Collector();
  const envelope = out.read(envelopeSchema, body, 'body');
  if (!envelope) return { events: out.events, problems: out.problems };
  if (envelope.object !== 'whatsapp_business_account') {
    out.problems.push(`object: expected "whatsapp_business_account", got ${JSON.stringify(envelope.object).slice(0, 64)}`);
    return { events: out.events, problems: out.problems };
  }
  envelope.entry.forEach((rawEntry, e) => {
    const entry = out.read(entrySchema, rawEntry, `entry[${e}]`);
    if (!entry) return;
    entry.changes.forEach((rawChange, c) => {
      const where = `entry[${e}].changes[${c}]`;
      const change = out.read(changeSchema, rawChange, where);
      if (change) parseChange(out, entry.id, change.field, change.value, where);
    });
  });
  return { events: out.events, problems: out.problems };
}

function parseChange(out: Collector, wabaId: string, field: string, value: unknown, where: string): void {
  const at = `${where}.value`;
  switch (field) {
    case 'messages':
      parseMessagesChange(out, wabaId, value, at);
      return;
    case 'message_template_status_update': {
      const v = out.read(templateStatusValue, value, at);
      if (!v) return;
      out.events.push({
        kind: 'template_status',
        wabaId,
        templateId: v.message_template_id ?? null,
        name: v.message_template_name,
        language: v.message_template_language,
        event: v.event,
        reason: v.reason ?? null,
      });
      return;
    }
    case 'template_category_update': {
      const v = out.read(templateCategoryValue, value, at);
      if (!v) return;
      out.events.push({
        kind: 'template_category',
        wabaId,
        templateId: v.message_template_id ?? null,
        name: v.message_template_name,
        language: v.message_template_language,
        previousCategory: v.previous_category ?? null,
        newCategory: v.new_category,
      });
      return;
    }
    case 'phone_number_quality_update': {
      const v = out.read(phoneQualityValue, value, at);
      if (!v) return;
      out.events.push({
        kind: 'phone_quality',
        wabaId,
        displayPhoneNumber: v.display_phone_number,
        event: v.event,
        currentLimit: v.current_limit ?? null,
      });
      return;
    }
    case 'user_preferences': {
      const v = out.read(userPreferencesValue, value, at);
      if (!v) return;
      v.user_preferences.forEach((raw, i) => {
        const itemAt = `${at}.user_preferences[${i}]`;
        const pref = out.read(userPreferenceSchema, raw, itemAt);
        if (!pref) return;
        const waId = nonEmpty(pref.wa_id);
        const userId = nonEmpty(pref.user_id);
        if (waId === null && userId === null) {
          out.problems.push(`${itemAt}: neither wa_id nor user_id`);
          return;
        }
        out.events.push({
          kind: 'user_preference',
          wabaId,
          phoneNumberId: v.metadata?.phone_number_id ?? null,
          waId,
          userId,
          category: pref.category,
          value: pref.value,
          timestamp: pref.timestamp,
        });
      });
      return;
    }
    default:
      out.events.push({ kind: 'ignored', wabaId, field });
  }
}

function parseMessagesChange(out: Collector, wabaId: string, value: unknown, at: string): void {
  const v = out.read(messagesValue, value, at);
  if (!v) return;
  const phoneNumberId = v.metadata.phone_number_id;

  const contacts: Contact[] = [];
  (v.contacts ?? []).forEach((raw, i) => {
    const contact = out.read(contactSchema, raw, `${at}.contacts[${i}]`);
    if (contact) contacts.push(contact);
  });

  (v.messages ?? []).forEach((raw, i) => {
    const event = parseMessage(out, raw, contacts, wabaId, phoneNumberId, `${at}.messages[${i}]`);
    if (event) out.events.push(event);
  });

  (v.statuses ?? []).forEach((raw, i) => {
    const where = `${at}.statuses[${i}]`;
    const s = out.read(statusSchema, raw, where);
    if (!s) return;
    if (!STATUS_SET.has(s.status)) {
      out.problems.push(`${where}: unknown status ${JSON.stringify(s.status).slice(0, 64)}`);
      return;
    }
    out.events.push({
      kind: 'status',
      wabaId,
      phoneNumberId,
      providerMessageId: s.id,
      status: s.status as StatusValue,
      timestamp: s.timestamp,
      recipientId: nonEmpty(s.recipient_id),
      recipientUserId: nonEmpty(s.recipient_user_id),
      correlationId: nonEmpty(s.biz_opaque_callback_data),
      pricing: s.pricing
        ? {
            billable: s.pricing.billable ?? null,
            model: s.pricing.pricing_model ?? null,
            type: s.pricing.type ?? null,
            category: s.pricing.category ?? null,
          }
        : null,
      errors: readErrors(s.errors),
    });
  });

  if (v.errors && v.errors.length > 0) {
    out.events.push({ kind: 'error', wabaId, phoneNumberId, errors: readErrors(v.errors) });
  }
}

function parseMessage(
  out: Collector,
  raw: unknown,
  contacts: readonly Contact[],
  wabaId: string,
  phoneNumberId: string,
  where: string,
): InboundMessageEvent | undefined {
  const m = out.read(messageSchema, raw, where);
  if (!m) return undefined;
  const from = nonEmpty(m.from);
  const fromUserId = nonEmpty(m.from_user_id);
  // Username adopters may arrive with an empty `from`: then only the BSUID ties the message to its contact.
  const contact =
    (from !== null ? contacts.find((c) => c.wa_id === from) : undefined) ??
    (fromUserId !== null ? contacts.find((c) => c.user_id === fromUserId) : undefined);
  const waId = from ?? nonEmpty(contact?.wa_id);
  const userId = fromUserId ?? nonEmpty(contact?.user_id);
  if (waId === null && userId === null) {
    out.problems.push(`${where}: no sender (neither from nor from_user_id)`);
    return undefined;
  }
  const content = parseContent(out, m.type, raw, m.errors, where);
  if (!content) return undefined;
  return {
    kind: 'message',
    wabaId,
    phoneNumberId,
    wamid: m.id,
    waId,
    userId,
    profileName: nonEmpty(contact?.profile?.name),
    timestamp: m.timestamp,
    context: m.context ? toContext(m.context) : null,
    content,
    raw: raw as Record<string, unknown>,
  };
}

function toContext(c: z.infer<typeof contextSchema>): MessageContext {
  return {
    messageId: nonEmpty(c.id),
    from: nonEmpty(c.from),
    forwarded: c.forwarded === true,
    frequentlyForwarded: c.frequently_forwarded === true,
  };
}

function parseContent(out: Collector, type: string, raw: unknown, errors: unknown[] | undefined, where: string): InboundContent | undefined {
  if (MEDIA_KINDS.has(type)) {
    const m = out.read(z.looseObject({ [type]: mediaSchema }), raw, where);
    if (!m) return undefined;
    const media = m[type];
    return {
      type: type as InboundMediaKind,
      mediaId: media.id,
      mimeType: media.mime_type ?? null,
      sha256: media.sha256 ?? null,
      caption: media.caption ?? null,
      filename: media.filename ?? null,
      voice: type === 'audio' ? media.voice === true : null,
      animated: type === 'sticker' ? media.animated === true : null,
    };
  }
  switch (type) {
    case 'text': {
      const m = out.read(textMessage, raw, where);
      return m && { type: 'text', body: m.text.body };
    }
    case 'location': {
      const m = out.read(locationMessage, raw, where);
      return (
        m && {
          type: 'location',
          latitude: m.location.latitude,
          longitude: m.location.longitude,
          name: m.location.name ?? null,
          address: m.location.address ?? null,
          url: m.location.url ?? null,
        }
      );
    }
    case 'contacts': {
      const m = out.read(contactsMessage, raw, where);
      return m && { type: 'contacts', contacts: m.contacts };
    }
    case 'interactive': {
      const m = out.read(interactiveMessage, raw, where);
      if (!m) return undefined;
      const replyKind = m.interactive.type;
      if (replyKind !== 'button_reply' && replyKind !== 'list_reply') return { type: 'other', rawType: `interactive.${replyKind}` };
      const reply = m.interactive[replyKind];
      if (!reply) {
        out.problems.push(`${where}: interactive.${replyKind}: missing`);
        return undefined;
      }
      return { type: 'interactive_reply', replyKind, id: reply.id, title: reply.title, description: reply.description ?? null };
    }
    case 'button': {
      const m = out.read(buttonMessage, raw, where);
      // Meta echoes the button text as payload when the template defines none.
      return m && { type: 'button', payload: m.button.payload ?? m.button.text, text: m.button.text };
    }
    case 'reaction': {
      const m = out.read(reactionMessage, raw, where);
      return m && { type: 'reaction', messageId: m.reaction.message_id, emoji: nonEmpty(m.reaction.emoji) };
    }
    // Older Graph versions call it "unknown"; both carry the reason in errors[] (131051, 131060).
    case 'unsupported':
    case 'unknown': {
      const m = out.read(unsupportedMessage, raw, where);
      return m && { type: 'unsupported', unsupportedType: nonEmpty(m.unsupported?.type), errors: readErrors(errors) };
    }
    default:
      return { type: 'other', rawType: type };
  }
}

/** Error lists are read leniently: an error we can only half read is still worth keeping. */
function readErrors(raw: readonly unknown[] | undefined): ProviderErrorInfo[] {
  return (raw ?? []).map((item) => {
    const parsed = errorSchema.safeParse(item);
    if (!parsed.success) return { code: null, title: null, message: null, details: null };
    const e = parsed.data;
    return { code: e.code ?? null, title: e.title ?? null, message: e.message ?? null, details: e.error_data?.details ?? null };
  });
}

function nonEmpty(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}
