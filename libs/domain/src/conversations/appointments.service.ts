import { Injectable } from '@nestjs/common';
import { Clock, newId, ValidationError, type ContactId, type TenantId } from '#common';
import {
  AppointmentRequestRepository,
  ContactRepository,
  ConversationRepository,
  TenantRepository,
  type AppointmentRequestEntity,
  type AppointmentStatus,
  type ConversationEntity,
  type ConversationId,
  type NotificationOutcome,
  type Page,
  type PageRequest,
} from '#database';
import type { MessageContent } from '#whatsapp';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { CitizenMessenger } from './citizen-messenger.js';
import { canMoveAppointment, REPLY_IDS } from './conversation-rules.js';
import { AppointmentNotFoundError, ConversationNotFoundError, InboxErrorCode } from './conversations.errors.js';
import { InboxSettingsService } from './inbox-settings.service.js';
import { INBOX_IT, renderInbox } from './messages.it.js';

export interface AppointmentInput {
  office: string;
  preferredDays: string;
  reason: string;
}

export interface AppointmentChange {
  status: AppointmentStatus;
  proposedSlot?: string | null;
  note?: string | null;
}

/**
 * Appointment requests collected in a conversation (or entered by an editor for the citizen), and
 * their lifecycle requested → proposed → confirmed | declined. The citizen is told of every change:
 * as free text inside the 24-hour window, through the comune's approved notice template outside it;
 * a proposal comes with two buttons, so the citizen can accept or refuse it with one tap.
 */
@Injectable()
export class AppointmentsService {
  constructor(
    private readonly appointments: AppointmentRequestRepository,
    private readonly conversations: ConversationRepository,
    private readonly contacts: ContactRepository,
    private readonly tenants: TenantRepository,
    private readonly settings: InboxSettingsService,
    private readonly messenger: CitizenMessenger,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  list(
    tenantId: TenantId,
    filter: { status?: AppointmentStatus[]; conversationId?: ConversationId },
    page: PageRequest,
  ): Promise<Page<AppointmentRequestEntity>> {
    return this.appointments.list(tenantId, filter, page);
  }

  async get(tenantId: TenantId, id: string): Promise<AppointmentRequestEntity> {
    const row = /^[0-9a-f-]{36}$/i.test(id) ? await this.appointments.findById(tenantId, id) : null;
    if (!row) throw new AppointmentNotFoundError();
    return row;
  }

  /** The citizen answered the last question of the dialogue. */
  createFromIntake(tenantId: TenantId, conversation: ConversationEntity, input: AppointmentInput): Promise<AppointmentRequestEntity> {
    return this.appointments.create(tenantId, {
      id: newId(),
      conversationId: conversation.id,
      contactId: conversation.contactId,
      ...input,
      createdAt: this.clock.now(),
    });
  }

  /** An editor records a request the citizen made in their own words; the citizen is told it is registered. */
  async createByEditor(
    actor: Actor,
    tenantId: TenantId,
    conversationId: ConversationId,
    input: AppointmentInput,
  ): Promise<{ appointment: AppointmentRequestEntity; notification: NotificationOutcome }> {
    const conversation = await this.conversations.findById(tenantId, conversationId);
    if (!conversation) throw new ConversationNotFoundError();
    const appointment = await this.createFromIntake(tenantId, conversation, input);
    await this.audit.record(tenantId, actor, 'appointment.created', { type: 'appointment', id: appointment.id }, { office: input.office });
    return { appointment, notification: await this.notify(tenantId, appointment) };
  }

  async change(
    actor: Actor,
    tenantId: TenantId,
    id: string,
    input: AppointmentChange,
  ): Promise<{ appointment: AppointmentRequestEntity; notification: NotificationOutcome }> {
    const current = await this.get(tenantId, id);
    if (!canMoveAppointment(current.status, input.status)) {
      throw new ValidationError(
        `an appointment cannot go from ${current.status} to ${input.status}`,
        undefined,
        InboxErrorCode.AppointmentStatusChange,
      );
    }
    const proposedSlot = input.proposedSlot !== undefined ? input.proposedSlot : current.proposedSlot;
    if ((input.status === 'proposed' || input.status === 'confirmed') && !proposedSlot) {
      throw new ValidationError(`${input.status}: say when (proposedSlot)`, { field: 'proposedSlot' });
    }
    const updated = await this.appointments.update(tenantId, id, current.status, {
      status: input.status,
      proposedSlot,
      editorNote: input.note !== undefined ? input.note : current.editorNote,
      decidedBy: actor.userId,
    });
    // Someone else moved it in the meantime: the caller sees the 400 and reloads.
    if (!updated) throw new ValidationError('the appointment changed meanwhile: reload it', undefined, InboxErrorCode.AppointmentStatusChange);
    await this.audit.record(tenantId, actor, 'appointment.status_changed', { type: 'appointment', id }, { from: current.status, to: input.status });
    return { appointment: updated, notification: await this.notify(tenantId, updated) };
  }

  /**
   * The citizen tapped "Va bene" or "Non posso" under a proposal. Returns what to answer them, or
   * null when the tap is not theirs or no longer applies (the intake then treats it as a message).
   */
  async citizenAnswered(tenantId: TenantId, appointmentId: string, contactId: ContactId, accept: boolean): Promise<string | null> {
    const current = await this.appointments.findById(tenantId, appointmentId);
    if (!current || current.contactId !== contactId || current.status !== 'proposed') return null;
    const updated = await this.appointments.update(tenantId, appointmentId, 'proposed', {
      status: accept ? 'confirmed' : 'requested',
      ...(accept ? {} : { proposedSlot: null }),
    });
    if (!updated) return null;
    await this.audit.record(tenantId, null, 'appointment.citizen_answered', { type: 'appointment', id: appointmentId }, { accepted: accept });
    return renderInbox(accept ? INBOX_IT.appointmentAccepted : INBOX_IT.appointmentRefused, {
      proposta: current.proposedSlot,
      ufficio: current.office,
    });
  }

  private async notify(tenantId: TenantId, a: AppointmentRequestEntity): Promise<NotificationOutcome> {
    const [conversation, contact, tenant, settings] = await Promise.all([
      this.conversations.findById(tenantId, a.conversationId),
      this.contacts.findById(tenantId, a.contactId),
      this.tenants.findById(tenantId),
      this.settings.get(tenantId),
    ]);
    if (!conversation || !contact || !tenant) return 'not_possible';
    const text = renderInbox(INBOX_IT.appointment[a.status], {
      comune: tenant.displayName,
      ufficio: a.office,
      proposta: a.proposedSlot,
      nota: a.editorNote ? `${a.editorNote.trim().replace(/\.?$/, '.')} ` : '',
    });
    const content: MessageContent =
      a.status === 'proposed'
        ? {
            type: 'interactive',
            body: text.slice(0, 1024),
            action: {
              kind: 'buttons',
              buttons: [
                { id: `${REPLY_IDS.appointment}${a.id}:SI`, title: INBOX_IT.appointmentYes },
                { id: `${REPLY_IDS.appointment}${a.id}:NO`, title: INBOX_IT.appointmentNo },
              ],
            },
          }
        : { type: 'text', body: text, previewUrl: false };
    const { outcome } = await this.messenger.send(tenantId, { numberId: conversation.numberId, contact, conversationId: conversation.id }, content, {
      kind: 'notification',
      template: settings.noticeTemplateName ? { name: settings.noticeTemplateName, language: settings.templateLanguage } : null,
      fallbackText: text,
    });
    await this.appointments.recordNotification(tenantId, a.id, outcome, this.clock.now());
    return outcome;
  }
}
