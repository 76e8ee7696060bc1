import { Injectable, Logger } from '@nestjs/common';
import { DateTime } from 'luxon';
import { asContactId, type InboundMessageId, type TenantId } from '#common';
import {
  ContactRepository,
  ConversationRepository,
  EmergencyAlertRepository,
  InboundMessageRepository,
  TenantRepository,
  type ConversationId,
  type EmergencyAlertEntity,
} from '#database';
import { OutboundService, WindowClosedError } from '../messaging/outbound.service.js';
import { templateParameter } from './citizen-messenger.js';
import { InboxSettingsService } from './inbox-settings.service.js';
import { Mailer } from './mailer.js';
import { INBOX_IT, renderInbox } from './messages.it.js';

/**
 * Alerts the comune's on-duty contact about an emergency message (notify-on-duty job): by WhatsApp
 * (free text if they wrote to the number in the last 24 hours, else the approved template) and by
 * e-mail. Each channel is marked in emergency_alerts once done, so a retried job repeats only what
 * failed; a transient failure throws for the queue to retry.
 */
@Injectable()
export class OnDutyNotifier {
  private readonly logger = new Logger('OnDuty');

  constructor(
    private readonly alerts: EmergencyAlertRepository,
    private readonly conversations: ConversationRepository,
    private readonly inbound: InboundMessageRepository,
    private readonly contacts: ContactRepository,
    private readonly tenants: TenantRepository,
    private readonly settings: InboxSettingsService,
    private readonly outbound: OutboundService,
    private readonly mailer: Mailer,
  ) {}

  async notify(tenantId: TenantId, conversationId: ConversationId, inboundMessageId: InboundMessageId): Promise<EmergencyAlertEntity | null> {
    const [conversation, msg, tenant, settings] = await Promise.all([
      this.conversations.findById(tenantId, conversationId),
      this.inbound.findById(tenantId, inboundMessageId),
      this.tenants.findById(tenantId),
      this.settings.get(tenantId),
    ]);
    if (!conversation || !msg || !tenant) return null;
    const contact = await this.contacts.findById(tenantId, asContactId(msg.contactId));
    const alert = await this.alerts.findOrCreate(tenantId, conversationId, inboundMessageId);
    const citizen = [contact?.profileName, contact?.waId ? `+${contact.waId}` : null].filter(Boolean).join(' ') || 'un cittadino';
    const text = renderInbox(INBOX_IT.onDutyText, {
      comune: tenant.displayName,
      cittadino: citizen,
      ora: DateTime.fromJSDate(msg.sentAt, { zone: settings.hours.timezone }).toFormat('HH:mm'),
      testo: (msg.body ?? `[${msg.type}]`).slice(0, 600),
      conversazione: conversationId,
    });
    let failure: Error | null = null;

    if (settings.onDutyPhone && !alert.whatsappOutboundId) {
      try {
        const sent = await this.sendWhatsapp(tenantId, conversation.numberId, settings.onDutyPhone, text, settings);
        await this.alerts.record(tenantId, alert.id, { whatsappOutboundId: sent, whatsappError: null });
      } catch (err) {
        await this.alerts.record(tenantId, alert.id, { whatsappError: (err as Error).message.slice(0, 500) });
        if (!(err instanceof WindowClosedError)) failure = err as Error;
      }
    }

    if (settings.onDutyEmail && !alert.emailSentAt) {
      if (!this.mailer.enabled) {
        await this.alerts.record(tenantId, alert.id, { emailError: 'SMTP_URL is not configured' });
      } else {
        try {
          await this.mailer.send({
            to: settings.onDutyEmail,
            subject: renderInbox(INBOX_IT.onDutyEmailSubject, { comune: tenant.displayName }),
            text,
          });
          await this.alerts.record(tenantId, alert.id, { emailSentAt: new Date(), emailError: null });
        } catch (err) {
          await this.alerts.record(tenantId, alert.id, { emailError: (err as Error).message.slice(0, 500) });
          failure = failure ?? (err as Error);
        }
      }
    }
    this.logger.log({ event: 'on_duty_alerted', tenantId, conversationId, failed: failure !== null });
    if (failure) throw failure;
    return this.alerts.findOrCreate(tenantId, conversationId, inboundMessageId);
  }

  /** Free text inside the on-duty contact's window, otherwise the approved template (the alert text as its parameter). */
  private async sendWhatsapp(
    tenantId: TenantId,
    numberId: Parameters<OutboundService['send']>[1]['numberId'],
    phone: string,
    text: string,
    settings: Awaited<ReturnType<InboxSettingsService['get']>>,
  ): Promise<NonNullable<EmergencyAlertEntity['whatsappOutboundId']>> {
    const to = { kind: 'phone' as const, e164: phone };
    try {
      const row = await this.outbound.send(tenantId, {
        numberId,
        to,
        content: { type: 'text', body: text },
        kind: 'notification',
        category: 'service',
        priority: 10,
      });
      return row.id;
    } catch (err) {
      if (!(err instanceof WindowClosedError) || !settings.onDutyTemplateName) throw err;
    }
    const row = await this.outbound.send(tenantId, {
      numberId,
      to,
      content: {
        type: 'template',
        name: settings.onDutyTemplateName,
        languageCode: settings.templateLanguage,
        body: [{ text: templateParameter(text) }],
      },
      kind: 'notification',
      category: 'utility',
      priority: 10,
    });
    return row.id;
  }
}
