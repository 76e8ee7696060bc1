/**
 * What the worker gets from one webhook body: Meta's envelope flattened into events, each with the
 * phone_number_id (or WABA id) that routes it to a comune. Parsing tolerates fields Meta adds later
 * (they are ignored) and reports, rather than throws on, parts it cannot read.
 */

export interface ProviderErrorInfo {
  code: number | null;
  title: string | null;
  message: string | null;
  details: string | null;
}

export type InboundMediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

export type InboundContent =
  | { type: 'text'; body: string }
  | {
      type: InboundMediaKind;
      mediaId: string;
      mimeType: string | null;
      /** As Meta sends it. */
      sha256: string | null;
      caption: string | null;
      filename: string | null;
      /** audio: a voice note; sticker: animated. */
      voice: boolean | null;
      animated: boolean | null;
    }
  | { type: 'location'; latitude: number; longitude: number; name: string | null; address: string | null; url: string | null }
  | { type: 'contacts'; contacts: unknown[] }
  /** A tap on our interactive buttons or list. */
  | { type: 'interactive_reply'; replyKind: 'button_reply' | 'list_reply'; id: string; title: string; description: string | null }
  /** A tap on a template's quick-reply button. */
  | { type: 'button'; payload: string; text: string }
  /** emoji null = the reaction was removed. */
  | { type: 'reaction'; messageId: string; emoji: string | null }
  | { type: 'unsupported'; unsupportedType: string | null; errors: ProviderErrorInfo[] }
  /** system, order, request_welcome and any type Meta adds later: kept, not interpreted. */
  | { type: 'other'; rawType: string };

export type InboundContentType = InboundContent['type'];

export interface MessageContext {
  /** The wamid of our message this one answers (button taps, quoted replies). */
  messageId: string | null;
  from: string | null;
  forwarded: boolean;
  frequentlyForwarded: boolean;
}

export interface InboundMessageEvent {
  kind: 'message';
  wabaId: string;
  phoneNumberId: string;
  /** wamid: the dedupe key. */
  wamid: string;
  /** The citizen's wa_id (digits); null when Meta sends only a business-scoped user id. */
  waId: string | null;
  /** Business-scoped user id (BSUID), when present. */
  userId: string | null;
  profileName: string | null;
  timestamp: Date;
  context: MessageContext | null;
  content: InboundContent;
  /** The message object as received, for storage. */
  raw: Record<string, unknown>;
}

export const STATUS_VALUES = ['sent', 'delivered', 'read', 'failed', 'played'] as const;
export type StatusValue = (typeof STATUS_VALUES)[number];

export interface StatusEvent {
  kind: 'status';
  wabaId: string;
  phoneNumberId: string;
  /** The wamid Meta returned when we sent. */
  providerMessageId: string;
  status: StatusValue;
  timestamp: Date;
  recipientId: string | null;
  /** recipient_user_id: the recipient's BSUID, when Meta sends it (always for sends addressed to a BSUID). */
  recipientUserId: string | null;
  /** biz_opaque_callback_data: our outbound-message id. */
  correlationId: string | null;
  pricing: { billable: boolean | null; model: string | null; type: string | null; category: string | null } | null;
  errors: ProviderErrorInfo[];
}

/** value.errors: problems not tied to one message. */
export interface ChangeErrorEvent {
  kind: 'error';
  wabaId: string;
  phoneNumberId: string | null;
  errors: ProviderErrorInfo[];
}

export interface TemplateStatusEvent {
  kind: 'template_status';
  wabaId: string;
  templateId: string | null;
  name: string;
  language: string;
  /** APPROVED, REJECTED, PAUSED, DISABLED, PENDING_DELETION, ... */
  event: string;
  reason: string | null;
}

export interface TemplateCategoryEvent {
  kind: 'template_category';
  wabaId: string;
  templateId: string | null;
  name: string;
  language: string;
  previousCategory: string | null;
  newCategory: string;
}

export interface PhoneQualityEvent {
  kind: 'phone_quality';
  wabaId: string;
  displayPhoneNumber: string;
  /** FLAGGED, UNFLAGGED, THROUGHPUT_UPGRADE, UPGRADE, DOWNGRADE, ... */
  event: string;
  currentLimit: string | null;
}

export interface UserPreferenceEvent {
  kind: 'user_preference';
  wabaId: string;
  phoneNumberId: string | null;
  waId: string | null;
  userId: string | null;
  /** marketing_messages */
  category: string;
  /** stop | resume */
  value: string;
  timestamp: Date;
}

/** A change whose field we do not act on (account_update, ...): kept, not interpreted. */
export interface IgnoredChangeEvent {
  kind: 'ignored';
  wabaId: string;
  field: string;
}

export type WebhookEvent =
  | InboundMessageEvent
  | StatusEvent
  | ChangeErrorEvent
  | TemplateStatusEvent
  | TemplateCategoryEvent
  | PhoneQualityEvent
  | UserPreferenceEvent
  | IgnoredChangeEvent;

export interface ParsedWebhook {
  events: WebhookEvent[];
  /** Parts that could not be read, with where they are (e.g. "entry[0].changes[1].value.messages[2]: missing id"). */
  problems: string[];
}
