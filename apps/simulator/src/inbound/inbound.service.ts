import { Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { NotFoundError, ValidationError } from '#common';
import { SimulatorSettings } from '../config/simulator-settings.js';
import type { inboundSchema } from '../control/control.schemas.js';
import { newWamid } from '../graph/wamid.js';
import { MediaStoreService } from '../media/media-store.service.js';
import { MessageLogService, type OutboundRecord } from '../state/message-log.service.js';
import { NumbersService, type SimulatedNumber } from '../state/numbers.service.js';
import { ThroughputService } from '../state/throughput.service.js';
import { toMetaJson } from '../webhooks/meta-json.js';
import { WebhookDispatcherService } from '../webhooks/webhook-dispatcher.service.js';
import { inboundPayload, unixSeconds } from '../webhooks/webhook-payloads.js';
import { generatePhoto } from './generated-photo.js';

export type InboundRequest = z.output<typeof inboundSchema>;
type InboundMessage = InboundRequest['message'];

export interface InboundResult {
  wamid: string;
  /** HTTP status of the first delivery attempt; null when the webhook did not answer. */
  webhookStatus: number | null;
  deliveryId: string;
  error: string | null;
}

const DEFAULT_MIME: Record<string, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  document: 'application/pdf',
  audio: 'audio/ogg; codecs=opus',
  sticker: 'image/webp',
};

/** A citizen writes to a comune: builds Meta's webhook, opens the 24 h window and posts it signed. */
@Injectable()
export class InboundService {
  constructor(
    private readonly numbers: NumbersService,
    private readonly media: MediaStoreService,
    private readonly log: MessageLogService,
    private readonly dispatcher: WebhookDispatcherService,
    private readonly settings: SimulatorSettings,
    private readonly throughput: ThroughputService,
  ) {}

  async send(input: InboundRequest): Promise<InboundResult> {
    const number = this.numbers.find(input.phoneNumberId);
    if (!number) throw new NotFoundError(`Number ${input.phoneNumberId}`);
    const waId = input.from.replace(/\D/g, '');
    const now = new Date();
    const wamid = newWamid(waId, 'inbound');
    const { context, type, payload } = this.buildContent(number, waId, input.message);
    const quoted = input.replyTo ? { from: number.displayPhoneNumber.replace(/\D/g, ''), id: input.replyTo } : undefined;
    const message: Record<string, unknown> = {
      ...((context ?? quoted) ? { context: context ?? quoted } : {}),
      from: waId,
      ...(input.userId ? { from_user_id: input.userId } : {}),
      id: wamid,
      timestamp: unixSeconds(now),
      type,
      ...payload,
    };
    const contact = { profile: { name: input.profileName }, wa_id: waId, ...(input.userId ? { user_id: input.userId } : {}) };
    const record = {
      direction: 'inbound' as const,
      wamid,
      phoneNumberId: number.phoneNumberId,
      from: waId,
      userId: input.userId ?? null,
      profileName: input.profileName,
      type,
      message,
      receivedAt: now.toISOString(),
      webhookStatus: null as number | null,
      readAt: null,
    };
    // Writing opens (or refreshes) the window whether or not the platform's webhook answers.
    this.log.addInbound(record, now.getTime());
    // Meta counts a citizen's message in the number's throughput with the business's sends.
    this.throughput.countInbound(number.phoneNumberId, now.getTime());
    const attempt = await this.dispatcher.deliver({
      phoneNumberId: number.phoneNumberId,
      kind: 'inbound',
      body: toMetaJson(inboundPayload(number, contact, message)),
      retry: true,
      wamid,
    });
    record.webhookStatus = attempt.httpStatus;
    return { wamid, webhookStatus: attempt.httpStatus, deliveryId: attempt.deliveryId, error: attempt.error };
  }

  private buildContent(
    number: SimulatedNumber,
    waId: string,
    message: InboundMessage,
  ): { context?: { from: string; id: string }; type: string; payload: Record<string, unknown> } {
    const businessDigits = number.displayPhoneNumber.replace(/\D/g, '');
    switch (message.type) {
      case 'text':
        return { type: 'text', payload: { text: { body: message.text } } };
      case 'image':
      case 'video':
      case 'document':
      case 'audio':
      case 'sticker': {
        const bytes =
          message.base64 !== undefined
            ? Buffer.from(message.base64, 'base64')
            : message.type === 'image'
              ? generatePhoto()
              : Buffer.from('simulated media');
        if (bytes.length === 0) throw new ValidationError('message.base64: must not be empty');
        const mimeType = message.mimeType ?? DEFAULT_MIME[message.type];
        const stored = this.media.store({ phoneNumberId: number.phoneNumberId, wabaId: number.wabaId, bytes, mimeType, filename: message.filename });
        const url = `${this.settings.baseUrl}/media-download/${stored.id}?token=${this.media.issueDownloadToken(stored.id)}`;
        const object: Record<string, unknown> = {
          ...(message.caption !== undefined && message.type !== 'audio' && message.type !== 'sticker' ? { caption: message.caption } : {}),
          ...(message.type === 'document' ? { filename: message.filename ?? 'documento.pdf' } : {}),
          mime_type: mimeType,
          sha256: stored.sha256,
          id: stored.id,
          url,
          ...(message.type === 'audio' ? { voice: message.voice ?? true } : {}),
        };
        return { type: message.type, payload: { [message.type]: object } };
      }
      case 'location': {
        const { latitude, longitude, name, address } = message;
        return { type: 'location', payload: { location: { latitude, longitude, ...(name ? { name } : {}), ...(address ? { address } : {}) } } };
      }
      case 'interactive_reply': {
        const answered = message.contextMessageId
          ? this.log.findOutbound(message.contextMessageId)
          : this.latestOutbound(number.phoneNumberId, waId, (m) => offeredChoice(m, message.id) !== undefined);
        const choice = answered ? offeredChoice(answered, message.id) : undefined;
        const title = message.title ?? choice?.title;
        if (title === undefined) throw new ValidationError(`message.title: required, no interactive message to ${waId} offers "${message.id}"`);
        const kind = message.kind ?? choice?.kind ?? 'button_reply';
        const reply = {
          id: message.id,
          title,
          ...(kind === 'list_reply' && (message.description ?? choice?.description)
            ? { description: message.description ?? choice?.description }
            : {}),
        };
        return {
          context: { from: businessDigits, id: message.contextMessageId ?? answered?.wamid ?? '' },
          type: 'interactive',
          payload: { interactive: { type: kind, [kind]: reply } },
        };
      }
      case 'button': {
        const answered = message.contextMessageId ?? this.latestOutbound(number.phoneNumberId, waId, (m) => m.type === 'template')?.wamid;
        return {
          ...(answered ? { context: { from: businessDigits, id: answered } } : {}),
          type: 'button',
          payload: { button: { payload: message.payload, text: message.text } },
        };
      }
      case 'reaction':
        return { type: 'reaction', payload: { reaction: { message_id: message.messageId, ...(message.emoji ? { emoji: message.emoji } : {}) } } };
      case 'unsupported':
        return {
          type: 'unsupported',
          payload: {
            errors: [
              {
                code: 131051,
                title: 'Message type unknown',
                message: 'Message type unknown',
                error_data: { details: 'Message type is currently not supported.' },
              },
            ],
            unsupported: { type: message.unsupportedType },
          },
        };
    }
  }

  private latestOutbound(phoneNumberId: string, waId: string, predicate: (m: OutboundRecord) => boolean): OutboundRecord | undefined {
    return this.log
      .conversation(phoneNumberId, waId)
      .filter((e): e is OutboundRecord => e.direction === 'outbound')
      .reverse()
      .find(predicate);
  }
}

/** The button or list row with this id in an interactive message we sent, if any. */
function offeredChoice(
  message: OutboundRecord,
  id: string,
): { kind: 'button_reply' | 'list_reply'; title: string; description?: string } | undefined {
  if (message.type !== 'interactive') return undefined;
  const interactive = (message.body as { interactive?: InteractiveBody }).interactive;
  if (interactive?.type === 'button') {
    const button = interactive.action?.buttons?.find((b) => b.reply?.id === id);
    return button?.reply ? { kind: 'button_reply', title: button.reply.title } : undefined;
  }
  if (interactive?.type === 'list') {
    const row = interactive.action?.sections?.flatMap((s) => s.rows ?? []).find((r) => r.id === id);
    return row ? { kind: 'list_reply', title: row.title, description: row.description } : undefined;
  }
  return undefined;
}

interface InteractiveBody {
  type?: string;
  action?: {
    buttons?: { reply?: { id: string; title: string } }[];
    sections?: { rows?: { id: string; title: string; description?: string }[] }[];
  };
}
