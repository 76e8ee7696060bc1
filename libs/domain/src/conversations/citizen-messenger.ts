import { Injectable, Logger } from '@nestjs/common';
import { Clock, type NumberId, type TenantId } from '#common';
import {
  ConversationRepository,
  type ContactEntity,
  type ConversationId,
  type NotificationOutcome,
  type OutboundKind,
  type OutboundMessageEntity,
} from '#database';
import type { MessageContent, Recipient } from '#whatsapp';
import { OutboundService, WindowClosedError } from '../messaging/outbound.service.js';

export interface CitizenTarget {
  numberId: NumberId;
  contact: ContactEntity;
  /** The conversation the message belongs to: it is shown in its thread. */
  conversationId: ConversationId | null;
  replyToWamid?: string | null;
}

export interface SendOptions {
  kind: OutboundKind;
  /** Outside the 24-hour window: this approved template (one body parameter) carries `fallbackText`. */
  template?: { name: string; language: string } | null;
  fallbackText?: string;
  priority?: number;
}

/** The recipient of a contact: the phone number when Meta gave one, else the business-scoped user id. */
export function recipientOf(contact: ContactEntity): Recipient {
  return contact.waId ? { kind: 'phone', e164: `+${contact.waId}` } : { kind: 'bsuid', userId: contact.userId ?? '' };
}

/**
 * Sends the inbox's own messages to a citizen through OutboundService (the only sending path).
 * Free-form content is refused by WhatsApp outside the 24-hour window, so a notice that must reach
 * the citizen anyway (an appointment's change) falls back to the comune's approved notice template.
 * A message that cannot go is reported, never thrown: the change it announces is recorded already.
 */
@Injectable()
export class CitizenMessenger {
  private readonly logger = new Logger('Inbox');

  constructor(
    private readonly outbound: OutboundService,
    private readonly conversations: ConversationRepository,
    private readonly clock: Clock,
  ) {}

  async send(
    tenantId: TenantId,
    target: CitizenTarget,
    content: MessageContent,
    options: SendOptions,
  ): Promise<{ outcome: NotificationOutcome; message: OutboundMessageEntity | null }> {
    try {
      const message = await this.outbound.send(tenantId, {
        numberId: target.numberId,
        to: recipientOf(target.contact),
        content,
        kind: options.kind,
        category: 'service',
        replyToWamid: target.replyToWamid ?? null,
        priority: options.priority ?? 0,
      });
      await this.thread(tenantId, target, message);
      return { outcome: 'text', message };
    } catch (err) {
      if (!(err instanceof WindowClosedError) || !options.template || !options.fallbackText) {
        this.logger.warn({ event: 'inbox_message_not_sent', tenantId, contactId: target.contact.id, reason: (err as Error).message });
        return { outcome: 'not_possible', message: null };
      }
    }
    try {
      const message = await this.outbound.send(tenantId, {
        numberId: target.numberId,
        to: recipientOf(target.contact),
        content: {
          type: 'template',
          name: options.template.name,
          languageCode: options.template.language,
          body: [{ text: templateParameter(options.fallbackText) }],
        },
        kind: options.kind,
        category: 'utility',
        priority: options.priority ?? 0,
      });
      await this.thread(tenantId, target, message);
      return { outcome: 'template', message };
    } catch (err) {
      this.logger.warn({ event: 'inbox_template_not_sent', tenantId, contactId: target.contact.id, reason: (err as Error).message });
      return { outcome: 'not_possible', message: null };
    }
  }

  private async thread(tenantId: TenantId, target: CitizenTarget, message: OutboundMessageEntity): Promise<void> {
    if (target.conversationId) await this.conversations.addOutbound(tenantId, target.conversationId, message.id, this.clock.now(), null);
  }
}

/** WhatsApp refuses template parameters with new lines, tabs or more than four spaces in a row. */
export function templateParameter(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 1000);
}
