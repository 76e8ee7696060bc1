import { z } from 'zod';
import { TEMPLATE_CATEGORIES, TEMPLATE_STATUSES } from '../state/templates.service.js';
import { STOP_AT } from '../state/status-behaviour.service.js';

/** Bodies and queries of the control API (/_sim), for tests, demos and the phone page. */

const id = z.string().trim().min(1).max(64);
const phone = z
  .string()
  .trim()
  .regex(/^\+?\d{6,15}$/, { message: 'must be a phone number: digits, optionally after +' });
const upper = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), z.enum(values));

export const registerNumberSchema = z.object({
  phoneNumberId: id,
  wabaId: id,
  displayPhoneNumber: z.string().trim().min(1).max(32),
  accessToken: z.string().min(1),
  appSecret: z.string().min(1),
  webhookUrl: z.url({ protocol: /^https?$/ }),
  mps: z.number().int().min(1).max(10_000).optional(),
});
export type RegisterNumberInput = z.input<typeof registerNumberSchema>;

const templateButton = z.discriminatedUnion('type', [
  z.object({ type: z.literal('QUICK_REPLY'), text: z.string().min(1).max(25) }),
  z.object({ type: z.literal('URL'), text: z.string().min(1).max(25), url: z.url() }),
  z.object({ type: z.literal('PHONE_NUMBER'), text: z.string().min(1).max(25), phone_number: z.string().min(1) }),
]);

export const createTemplateSchema = z.object({
  wabaId: id,
  name: z.string().regex(/^[a-z0-9_]{1,512}$/, { message: 'must be lowercase letters, digits and underscores' }),
  language: z.string().min(2).max(20).default('it'),
  category: upper(TEMPLATE_CATEGORIES).default('UTILITY'),
  status: upper(TEMPLATE_STATUSES).default('APPROVED'),
  body: z.string().min(1).max(1024),
  header: z
    .union([
      z.string().min(1).max(60),
      z.object({ format: z.literal('TEXT'), text: z.string().min(1).max(60) }),
      z.object({ format: z.enum(['IMAGE', 'VIDEO', 'DOCUMENT']) }),
    ])
    .optional()
    .transform((h) => (typeof h === 'string' ? { format: 'TEXT' as const, text: h } : h)),
  footer: z.string().min(1).max(60).optional(),
  buttons: z.array(templateButton).max(10).optional(),
});
export type CreateTemplateInput = z.input<typeof createTemplateSchema>;

export const updateTemplateSchema = z.object({ status: upper(TEMPLATE_STATUSES) });
export type UpdateTemplateInput = z.input<typeof updateTemplateSchema>;

export const listTemplatesQuery = z.object({ wabaId: id.optional() });

const mediaMessage = {
  caption: z.string().max(1024).optional(),
  /** The file's bytes; a small generated JPEG when left out (images only). */
  base64: z.string().optional(),
  mimeType: z.string().optional(),
  filename: z.string().max(240).optional(),
};

export const inboundMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string().min(1).max(65_536) }),
  z.object({ type: z.literal('image'), ...mediaMessage }),
  z.object({ type: z.literal('video'), ...mediaMessage }),
  z.object({ type: z.literal('document'), ...mediaMessage }),
  z.object({ type: z.literal('audio'), ...mediaMessage, voice: z.boolean().optional() }),
  z.object({ type: z.literal('sticker'), ...mediaMessage }),
  z.object({
    type: z.literal('location'),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    name: z.string().max(1000).optional(),
    address: z.string().max(1000).optional(),
  }),
  z.object({
    type: z.literal('interactive_reply'),
    /** The button or row id tapped; title and kind are looked up in the message it answers when left out. */
    id: z.string().min(1),
    title: z.string().optional(),
    description: z.string().optional(),
    kind: z.enum(['button_reply', 'list_reply']).optional(),
    /** The interactive message answered; the latest one to this citizen offering `id` when left out. */
    contextMessageId: z.string().optional(),
  }),
  z.object({
    type: z.literal('button'),
    payload: z.string().min(1),
    text: z.string().min(1),
    /** The template message answered; the latest template to this citizen when left out. */
    contextMessageId: z.string().optional(),
  }),
  z.object({ type: z.literal('reaction'), messageId: z.string().min(1), emoji: z.string().optional() }),
  z.object({ type: z.literal('unsupported'), unsupportedType: z.string().default('poll') }),
]);
export type InboundMessageInput = z.input<typeof inboundMessageSchema>;

export const inboundSchema = z.object({
  phoneNumberId: id,
  from: phone,
  profileName: z.string().min(1).max(256).default('Cittadino'),
  /** A business-scoped user id (BSUID), sent as contacts[].user_id and from_user_id. */
  userId: z.string().min(1).max(256).optional(),
  /** Quotes one of the conversation's messages (context.id). */
  replyTo: z.string().optional(),
  message: inboundMessageSchema,
});
export type InboundInput = z.input<typeof inboundSchema>;

export const rawWebhookSchema = z.object({
  phoneNumberId: id,
  body: z.string(),
  signature: z.enum(['valid', 'invalid', 'none']).default('valid'),
  retry: z.boolean().default(false),
});
export type RawWebhookInput = z.input<typeof rawWebhookSchema>;

const since = z
  .string()
  .refine((v) => !Number.isNaN(new Date(/^\d+$/.test(v) ? Number(v) : v).getTime()), { message: 'must be an ISO date or epoch milliseconds' })
  .transform((v) => new Date(/^\d+$/.test(v) ? Number(v) : v));

export const messagesQuery = z.object({ phoneNumberId: id.optional(), to: z.string().optional(), since: since.optional() });
export type MessagesQueryInput = z.input<typeof messagesQuery>;

export const conversationQuery = z.object({ phoneNumberId: id, waId: z.string().optional() });

export const deliveriesQuery = z.object({
  phoneNumberId: id.optional(),
  kind: z.enum(['status', 'inbound', 'raw']).optional(),
  wamid: z.string().optional(),
});
export type DeliveriesQueryInput = z.input<typeof deliveriesQuery>;

export const windowSchema = z.object({
  phoneNumberId: id,
  waId: phone,
  /** When the citizen last wrote (ISO date); null closes the window as if they never had. */
  lastInboundAt: z.iso.datetime({ offset: true }).nullable(),
});
export type WindowInput = z.input<typeof windowSchema>;

const recipients = z.array(z.string().min(1)).max(10_000);

export const faultsSchema = z.object({
  phoneNumberId: id,
  serverErrors: z.number().int().min(0).optional(),
  serverErrorCode: z.union([z.literal(131000), z.literal(131016)]).optional(),
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  acceptThenTimeout: z.number().int().min(0).optional(),
  holdMs: z.number().int().min(0).max(3_600_000).optional(),
  serverErrorRate: z.number().min(0).max(1).optional(),
  throughputErrorRate: z.number().min(0).max(1).optional(),
  acceptThenTimeoutRate: z.number().min(0).max(1).optional(),
  undeliverable: recipients.optional(),
  expiredToken: z.boolean().optional(),
  marketingOptOut: recipients.optional(),
  mediaUploadErrors: z.number().int().min(0).optional(),
});
export type FaultsInput = z.input<typeof faultsSchema>;

export const clearFaultsQuery = z.object({ phoneNumberId: id.optional() });

export const mediaUploadsQuery = z.object({ phoneNumberId: id.optional() });

export const statusBehaviourSchema = z.object({
  phoneNumberId: id,
  delayMs: z.number().int().min(0).max(600_000).optional(),
  duplicate: z.boolean().optional(),
  /** true means reverse. */
  reorder: z
    .union([z.boolean(), z.enum(['none', 'reverse', 'shuffle'])])
    .optional()
    .transform((r) => (r === true ? 'reverse' : r === false ? 'none' : r)),
  stopAt: z.enum(STOP_AT).optional(),
});
export type StatusBehaviourInput = z.input<typeof statusBehaviourSchema>;

export type RegisterNumberBody = z.output<typeof registerNumberSchema>;
export type CreateTemplateBody = z.output<typeof createTemplateSchema>;
export type InboundBody = z.output<typeof inboundSchema>;
export type RawWebhookBody = z.output<typeof rawWebhookSchema>;
export type MessagesQuery = z.output<typeof messagesQuery>;
export type DeliveriesQuery = z.output<typeof deliveriesQuery>;
export type WindowBody = z.output<typeof windowSchema>;
export type FaultsBody = z.output<typeof faultsSchema>;
export type StatusBehaviourBody = z.output<typeof statusBehaviourSchema>;
