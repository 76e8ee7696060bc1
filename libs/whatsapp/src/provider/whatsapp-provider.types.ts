/**
 * The provider port: everything araldo asks of a WhatsApp provider. The Cloud API adapter
 * implements it against Meta's Graph API (or the built-in simulator, which speaks the same HTTP).
 * Meta's vocabulary (wamid, error codes) is canonical; another provider maps onto it.
 */

/** Which number sends, and with what credentials. Each number has its own token. */
export interface SenderCredentials {
  /** Meta's Graph id of the business number (path segment of /{version}/{phone-number-id}/messages). */
  phoneNumberId: string;
  /** The number's access token, decrypted just before the call; never logged. */
  accessToken: string;
}

/** Where a message goes: a phone number in E.164 with '+', or a business-scoped user id (BSUID). */
export type Recipient = { kind: 'phone'; e164: string } | { kind: 'bsuid'; userId: string };

export interface TextContent {
  type: 'text';
  body: string;
  previewUrl?: boolean;
}

export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

export interface MediaContent {
  type: MediaKind;
  /** Exactly one of id (uploaded media) and link (public HTTPS URL). */
  mediaId?: string;
  link?: string;
  caption?: string;
  /** Documents only. */
  filename?: string;
}

export interface TemplateParameter {
  /** Named parameters set parameter_name; positional ones ({{1}}) leave it out. */
  name?: string;
  text: string;
}

export interface TemplateContent {
  type: 'template';
  name: string;
  languageCode: string;
  headerMedia?: { kind: 'image' | 'video' | 'document'; mediaId?: string; link?: string; filename?: string };
  headerText?: TemplateParameter[];
  body?: TemplateParameter[];
  /** Quick-reply button payloads and URL button suffixes, by button index. */
  buttons?: ({ index: number; subType: 'quick_reply'; payload: string } | { index: number; subType: 'url'; text: string })[];
}

export interface ReplyButton {
  /** ≤ 256 chars, unique in the message. */
  id: string;
  /** ≤ 20 chars, unique in the message. */
  title: string;
}

export interface ListRow {
  id: string;
  title: string;
  description?: string;
}

export interface InteractiveContent {
  type: 'interactive';
  body: string;
  header?: string;
  footer?: string;
  action: { kind: 'buttons'; buttons: ReplyButton[] } | { kind: 'list'; button: string; sections: { title?: string; rows: ListRow[] }[] };
}

/** A contact card (vCard-like), e.g. the comune's own number so the citizen saves it with one tap. */
export interface ContactCard {
  formattedName: string;
  organization?: string;
  phones: { phone: string; waId?: string; type?: 'WORK' | 'CELL' | 'MAIN' }[];
  emails?: string[];
  urls?: string[];
}

export interface ContactsContent {
  type: 'contacts';
  contacts: ContactCard[];
}

export type MessageContent = TextContent | MediaContent | TemplateContent | InteractiveContent | ContactsContent;

export interface SendRequest {
  from: SenderCredentials;
  to: Recipient;
  content: MessageContent;
  /** Quote a citizen's message (its wamid). */
  replyTo?: string;
  /** Our outbound-message id, echoed by Meta in every status webhook (≤ 512 chars). */
  correlationId: string;
}

/** Meta accepted the request; delivery comes later through status webhooks. */
export interface SendAccepted {
  providerMessageId: string;
  /** What Meta resolved the recipient to (may differ from what we sent). */
  waId: string | null;
  input: string | null;
  /** Only under template pacing: accepted | held_for_quality_assessment | paused. */
  messageStatus: string | null;
}

export interface MediaInfo {
  id: string;
  url: string;
  mimeType: string;
  /** base64 or hex as Meta sends it (Meta documents the hex digest of the file). */
  sha256: string;
  fileSize: number;
}

export interface DownloadedMedia {
  bytes: Buffer;
  mimeType: string;
  sha256Hex: string;
}

export interface ProviderTemplate {
  id: string;
  name: string;
  language: string;
  status: string;
  category: string;
  /** The raw components as Meta returns them, for parameter counting and preview. */
  components: unknown[];
}

export interface WhatsAppProvider {
  send(request: SendRequest): Promise<SendAccepted>;
  markRead(from: SenderCredentials, providerMessageId: string, typingIndicator?: boolean): Promise<void>;
  uploadMedia(from: SenderCredentials, file: { bytes: Buffer; mimeType: string; filename: string }): Promise<{ mediaId: string }>;
  getMediaInfo(from: SenderCredentials, mediaId: string): Promise<MediaInfo>;
  /** Downloads and checks size (maxBytes) and checksum; throws a ProviderError otherwise. */
  downloadMedia(from: SenderCredentials, mediaId: string, maxBytes: number): Promise<DownloadedMedia>;
  listTemplates(from: SenderCredentials, wabaId: string): Promise<ProviderTemplate[]>;
}
