import { Injectable } from '@nestjs/common';
import { Clock, ConflictError, ValidationError, type InboundMessageId, type TenantId, type UserId } from '#common';
import {
  CannedReplyRepository,
  ContactRepository,
  ConversationRepository,
  InboundMessageRepository,
  TenantRepository,
  uniqueViolation,
  UserRepository,
  WhatsappNumberRepository,
  WhatsappTemplateRepository,
  type ContactEntity,
  type ConversationCategory,
  type ConversationEntity,
  type ConversationFilter,
  type ConversationId,
  type ConversationStatus,
  type InboundMessageEntity,
  type OutboundMessageEntity,
  type Page,
  type PageRequest,
  type TenantEntity,
  type ThreadRow,
} from '#database';
import { QueueProducer } from '#queue';
import type { InteractiveContent, MessageContent, TemplateParameter } from '#whatsapp';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { OutboundService } from '../messaging/outbound.service.js';
import { isServiceWindowOpen, serviceWindowClosesAt } from '../messaging/window-rules.js';
import { AppointmentsService } from './appointments.service.js';
import { CitizenMessenger, recipientOf } from './citizen-messenger.js';
import { appointmentAnswerOf, autoReplyFor, canMoveConversation, categoryOfReply, isEmergency, REPLY_IDS } from './conversation-rules.js';
import {
  CannedReplyNotFoundError,
  ConversationClosedError,
  ConversationNotFoundError,
  InboxErrorCode,
  TemplateNotApprovedError,
} from './conversations.errors.js';
import { InboxSettingsService, type EffectiveInboxSettings } from './inbox-settings.service.js';
import { INBOX_IT, renderInbox } from './messages.it.js';
import { describeOpening, isOfficeOpen, nextOpening } from './office-hours.js';

/** Everything the intake of one citizen message works with. */
interface Intake {
  tenant: TenantEntity;
  settings: EffectiveInboxSettings;
  msg: InboundMessageEntity;
  contact: ContactEntity;
  conversation: ConversationEntity;
  created: boolean;
  now: Date;
}

export interface ReplyInput {
  text?: string;
  cannedReplyId?: string;
  template?: { name: string; languageCode?: string; body?: TemplateParameter[] };
}

export interface ApprovedTemplate {
  name: string;
  language: string;
  category: string;
  /** Body parameters the template expects ({{1}} or {{name}}). */
  parameters: string[];
}

export interface ReplyOptions {
  /** The citizen wrote in the last 24 hours: free text (and canned replies) can go. */
  windowOpen: boolean;
  windowClosesAt: Date | null;
  freeText: boolean;
  /** Approved templates: the only thing that can go when the window is closed. */
  templates: ApprovedTemplate[];
}

export interface ConversationView {
  conversation: ConversationEntity;
  contact: ContactEntity | null;
}

export interface ConversationPatchInput {
  status?: ConversationStatus;
  category?: ConversationCategory | null;
  assigneeId?: string | null;
  urgent?: boolean;
}

/**
 * The inbox of two-way comuni. In the worker, every citizen message that is not a keyword lands in
 * the citizen's active conversation (`receive`), with the platform's own answers: an
 * acknowledgement or when the office reopens, the category list, the appointment questions, the
 * emergency alert. In the api, editors read, assign, categorise, answer and close conversations.
 */
@Injectable()
export class ConversationsService {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly inbound: InboundMessageRepository,
    private readonly contacts: ContactRepository,
    private readonly tenants: TenantRepository,
    private readonly users: UserRepository,
    private readonly numbers: WhatsappNumberRepository,
    private readonly templates: WhatsappTemplateRepository,
    private readonly canned: CannedReplyRepository,
    private readonly settings: InboxSettingsService,
    private readonly appointments: AppointmentsService,
    private readonly messenger: CitizenMessenger,
    private readonly outbound: OutboundService,
    private readonly audit: AuditService,
    private readonly producer: QueueProducer,
    private readonly clock: Clock,
  ) {}

  /**
   * A citizen's message that no keyword claimed (handle-inbound job). Idempotent: a message
   * already in a thread is not handled again, so a retried job answers nothing twice.
   */
  async receive(tenantId: TenantId, inboundMessageId: InboundMessageId): Promise<void> {
    const msg = await this.inbound.findById(tenantId, inboundMessageId);
    if (!msg || msg.contentPurgedAt) return;
    const [tenant, contact] = await Promise.all([this.tenants.findById(tenantId), this.contacts.findById(tenantId, msg.contactId)]);
    if (!tenant || tenant.mode !== 'two_way' || !contact) return;
    const settings = await this.settings.get(tenantId);
    const now = this.clock.now();
    const { conversation, created } = await this.conversations.openOrFind(tenantId, { numberId: msg.numberId, contactId: contact.id, at: now });
    if (!(await this.conversations.addInbound(tenantId, conversation.id, msg.id, now))) return;
    const x: Intake = { tenant, settings, msg, contact, conversation, created, now };

    const tapped = replyIdOf(msg);
    if (isEmergency(textOf(msg), settings.emergencyKeyword)) return this.raiseEmergency(x);
    const answer = appointmentAnswerOf(tapped);
    if (answer) {
      const outcome = await this.appointments.citizenAnswered(tenantId, answer.appointmentId, contact.id, answer.accept);
      if (outcome) return this.say(x, outcome);
    }
    const category = categoryOfReply(tapped);
    if (category) return this.citizenChose(x, category);
    if (conversation.intakeStep) return this.continueAppointmentIntake(x, tapped);
    return this.autoReply(x);
  }

  list(tenantId: TenantId, filter: ConversationFilter, page: PageRequest): Promise<Page<ConversationEntity>> {
    return this.conversations.list(tenantId, filter, page);
  }

  /** The contacts of some conversations, by id (for list responses). */
  async contactsOf(tenantId: TenantId, items: readonly ConversationEntity[]): Promise<Map<string, ContactEntity>> {
    const contacts = await this.conversations.contacts(
      tenantId,
      items.map((c) => c.contactId),
    );
    return new Map(contacts.map((c) => [c.id, c]));
  }

  async get(tenantId: TenantId, id: ConversationId): Promise<ConversationView> {
    const conversation = await this.find(tenantId, id);
    return { conversation, contact: await this.contacts.findById(tenantId, conversation.contactId) };
  }

  async update(actor: Actor, tenantId: TenantId, id: ConversationId, input: ConversationPatchInput): Promise<ConversationEntity> {
    const current = await this.find(tenantId, id);
    const patch: Parameters<ConversationRepository['update']>[2] = {};
    if (input.status !== undefined && input.status !== current.status) {
      if (!canMoveConversation(current.status, input.status)) {
        throw new ValidationError(
          `a conversation cannot go from ${current.status} to ${input.status}`,
          undefined,
          InboxErrorCode.ConversationStatusChange,
        );
      }
      patch.status = input.status;
      if (input.status === 'closed') Object.assign(patch, { closedAt: this.clock.now(), closedBy: actor.userId, unreadCount: 0, intakeStep: null });
      if (current.status === 'closed') Object.assign(patch, { closedAt: null, closedBy: null });
    }
    if (input.category !== undefined) Object.assign(patch, { category: input.category, categorySource: input.category ? 'editor' : null });
    if (input.urgent !== undefined) patch.urgent = input.urgent;
    if (input.assigneeId !== undefined) patch.assigneeId = input.assigneeId === null ? null : await this.assignee(tenantId, input.assigneeId);
    let updated: ConversationEntity | null;
    try {
      updated = await this.conversations.update(tenantId, id, patch);
    } catch (err) {
      if (uniqueViolation(err)) {
        throw new ConflictError('the citizen has another conversation open: continue that one', InboxErrorCode.ActiveConversationExists);
      }
      throw err;
    }
    if (!updated) throw new ConversationNotFoundError();
    await this.audit.record(tenantId, actor, 'conversation.updated', { type: 'conversation', id }, { fields: Object.keys(patch) });
    return updated;
  }

  /** Closes a conversation, first sending the closing message when one is given (refused outside the window). */
  async close(actor: Actor, tenantId: TenantId, id: ConversationId, closingMessage: string | null): Promise<ConversationEntity> {
    const current = await this.find(tenantId, id);
    if (current.status === 'closed') return current;
    if (closingMessage) await this.reply(actor, tenantId, id, { text: closingMessage });
    return this.update(actor, tenantId, id, { status: 'closed' });
  }

  async markRead(tenantId: TenantId, id: ConversationId): Promise<ConversationEntity> {
    await this.find(tenantId, id);
    const updated = await this.conversations.update(tenantId, id, { unreadCount: 0 });
    if (!updated) throw new ConversationNotFoundError();
    return updated;
  }

  async thread(tenantId: TenantId, id: ConversationId, page: PageRequest): Promise<Page<ThreadRow>> {
    await this.find(tenantId, id);
    return this.conversations.thread(tenantId, id, page);
  }

  /** What an editor may send now: free text only inside the citizen's 24-hour window, an approved template always. */
  async replyOptions(tenantId: TenantId, id: ConversationId): Promise<ReplyOptions> {
    const conversation = await this.find(tenantId, id);
    const contact = await this.contacts.findById(tenantId, conversation.contactId);
    // The window is WhatsApp's real-time rule (OutboundService applies the same one), not the office clock.
    const now = new Date();
    const windowOpen = isServiceWindowOpen(contact?.lastInboundAt ?? null, now);
    return {
      windowOpen,
      windowClosesAt: serviceWindowClosesAt(contact?.lastInboundAt ?? null, now),
      freeText: windowOpen && conversation.status !== 'closed',
      templates: await this.approvedTemplates(tenantId, conversation),
    };
  }

  /** An editor's answer: free text or a canned reply inside the window, otherwise an approved template. */
  async reply(actor: Actor, tenantId: TenantId, id: ConversationId, input: ReplyInput): Promise<OutboundMessageEntity> {
    const given = [input.text, input.cannedReplyId, input.template].filter((v) => v !== undefined).length;
    if (given !== 1)
      throw new ValidationError('give exactly one of text, cannedReplyId and template', { fields: ['text', 'cannedReplyId', 'template'] });
    const conversation = await this.find(tenantId, id);
    if (conversation.status === 'closed') throw new ConversationClosedError();
    const contact = await this.contacts.findById(tenantId, conversation.contactId);
    if (!contact) throw new ConversationNotFoundError();
    let content: MessageContent;
    if (input.template) {
      const language = input.template.languageCode ?? 'it';
      const approved = (await this.approvedTemplates(tenantId, conversation)).find((t) => t.name === input.template!.name && t.language === language);
      if (!approved) throw new TemplateNotApprovedError(input.template.name, language);
      content = { type: 'template', name: approved.name, languageCode: language, body: input.template.body };
    } else {
      let text = input.text;
      if (input.cannedReplyId !== undefined) {
        const canned = await this.canned.findById(tenantId, input.cannedReplyId);
        if (!canned) throw new CannedReplyNotFoundError();
        text = canned.body;
      }
      content = { type: 'text', body: text ?? '', previewUrl: true };
    }
    // Throws WindowClosedError (400 WINDOW_CLOSED) for free text outside the window: nothing is recorded then.
    const message = await this.outbound.send(tenantId, {
      numberId: conversation.numberId,
      to: recipientOf(contact),
      content,
      kind: 'editor_reply',
      category: content.type === 'template' ? null : 'service',
    });
    await this.conversations.addOutbound(tenantId, id, message.id, this.clock.now(), actor.userId);
    // Answered: the conversation waits for the citizen (their next message opens it again).
    if (conversation.status === 'open') await this.conversations.update(tenantId, id, { status: 'pending' });
    return message;
  }

  private async find(tenantId: TenantId, id: ConversationId): Promise<ConversationEntity> {
    const conversation = await this.conversations.findById(tenantId, id);
    if (!conversation) throw new ConversationNotFoundError();
    return conversation;
  }

  /** Only the comune's own active editors and admins can be assigned a conversation. */
  private async assignee(tenantId: TenantId, userId: string): Promise<UserId> {
    const user = /^[0-9a-f-]{36}$/i.test(userId) ? await this.users.findInTenant(tenantId, userId as UserId) : null;
    if (!user || user.disabled || (user.role !== 'editor' && user.role !== 'tenant_admin')) {
      throw new ValidationError('assigneeId must be an active editor of this comune', { field: 'assigneeId' }, InboxErrorCode.AssigneeNotEditor);
    }
    return user.id;
  }

  private async approvedTemplates(tenantId: TenantId, conversation: ConversationEntity): Promise<ApprovedTemplate[]> {
    const number = await this.numbers.findById(tenantId, conversation.numberId);
    const all = await this.templates.list(tenantId, { limit: 1000, offset: 0 });
    return all.items
      .filter((t) => t.status === 'APPROVED' && (!number || t.wabaId === number.wabaId))
      .map((t) => ({ name: t.name, language: t.language, category: t.category, parameters: bodyParameters(t.components) }));
  }

  // --- the citizen's side, in the worker ---

  private async raiseEmergency(x: Intake): Promise<void> {
    const tenantId = x.tenant.id;
    await this.conversations.update(tenantId, x.conversation.id, {
      urgent: true,
      category: 'emergenza',
      categorySource: 'keyword',
      status: 'open',
      lastAutoReplyAt: x.now,
      lastAutoReplyKind: 'emergency',
    });
    const onDuty = x.settings.onDutyPhone !== null || x.settings.onDutyEmail !== null;
    // After the commit; the job's id is the message's, so a retried intake alerts once.
    if (onDuty) await this.producer.notifyOnDuty({ tenantId, conversationId: x.conversation.id, inboundMessageId: x.msg.id });
    await this.say(x, onDuty ? (x.settings.emergencyText ?? INBOX_IT.emergency) : INBOX_IT.emergencyNoOnDuty, 10);
  }

  private async citizenChose(x: Intake, category: ConversationCategory): Promise<void> {
    const tenantId = x.tenant.id;
    // The editor's choice stands; the citizen's tap is still in the thread.
    if (x.conversation.categorySource !== 'editor') {
      await this.conversations.update(tenantId, x.conversation.id, { category, categorySource: 'citizen' });
    }
    const offices = x.settings.appointmentOffices;
    if (category === 'appuntamento' && offices.length > 0) {
      if (offices.length === 1) {
        await this.conversations.update(tenantId, x.conversation.id, { intakeStep: 'days', intakeDraft: { office: offices[0] } });
        return this.say(x, INBOX_IT.askDays);
      }
      await this.conversations.update(tenantId, x.conversation.id, { intakeStep: 'office', intakeDraft: {} });
      return this.askOffice(x, INBOX_IT.askOffice);
    }
    return this.say(x, renderInbox(INBOX_IT.categoryNoted, { categoria: INBOX_IT.categories[category] }));
  }

  /** The appointment questions, one at a time: office, preferred days, reason. */
  private async continueAppointmentIntake(x: Intake, tapped: string | null): Promise<void> {
    const tenantId = x.tenant.id;
    const text = textOf(x.msg)?.trim() ?? '';
    const draft = x.conversation.intakeDraft;
    switch (x.conversation.intakeStep) {
      case 'office': {
        const office = officeOf(x.settings.appointmentOffices, tapped, text);
        if (!office) return this.askOffice(x, renderInbox(INBOX_IT.unknownOffice, { uffici: x.settings.appointmentOffices.join(', ') }));
        await this.conversations.update(tenantId, x.conversation.id, { intakeStep: 'days', intakeDraft: { ...draft, office } });
        return this.say(x, INBOX_IT.askDays);
      }
      case 'days':
        if (!text) return this.say(x, INBOX_IT.askDays);
        await this.conversations.update(tenantId, x.conversation.id, {
          intakeStep: 'reason',
          intakeDraft: { ...draft, preferredDays: text.slice(0, 500) },
        });
        return this.say(x, INBOX_IT.askReason);
      case 'reason': {
        if (!text) return this.say(x, INBOX_IT.askReason);
        const office = draft.office ?? INBOX_IT.unspecified;
        const preferredDays = draft.preferredDays ?? INBOX_IT.unspecified;
        await this.appointments.createFromIntake(tenantId, x.conversation, { office, preferredDays, reason: text.slice(0, 2000) });
        await this.conversations.update(tenantId, x.conversation.id, { intakeStep: null, intakeDraft: {} });
        return this.say(x, renderInbox(INBOX_IT.appointmentRequested, { ufficio: office, giorni: preferredDays }));
      }
      case null:
        return;
    }
  }

  private async askOffice(x: Intake, text: string): Promise<void> {
    const offices = x.settings.appointmentOffices;
    if (offices.length > 10) return this.say(x, `${text} ${offices.join(', ')}`);
    const content: InteractiveContent = {
      type: 'interactive',
      body: text,
      action: {
        kind: 'list',
        button: INBOX_IT.officeButton,
        sections: [
          {
            rows: offices.map((o, i) => ({
              id: `${REPLY_IDS.office}${i}`,
              title: o.slice(0, 24),
              ...(o.length > 24 ? { description: o.slice(0, 72) } : {}),
            })),
          },
        ],
      },
    };
    await this.messenger.send(x.tenant.id, this.target(x), content, { kind: 'auto_reply' });
  }

  /** The acknowledgement inside hours, when the office reopens outside them; with the category list on a new conversation. */
  private async autoReply(x: Intake): Promise<void> {
    // A comune that has not set up its inbox (no office hours) files messages without answering for it.
    if (!x.settings.configured) return;
    const { hours } = x.settings;
    const kind = autoReplyFor({
      created: x.created,
      openNow: isOfficeOpen(hours, x.now),
      last: { kind: x.conversation.lastAutoReplyKind, at: x.conversation.lastAutoReplyAt },
      now: x.now,
      hours,
    });
    if (!kind) return;
    const vars = { comune: x.tenant.displayName, emergenza: x.settings.emergencyKeyword };
    let text: string;
    if (kind === 'ack') text = renderInbox(x.settings.ackText ?? INBOX_IT.ack, vars);
    else {
      const opening = nextOpening(hours, x.now);
      const template = opening ? (x.settings.closedText ?? INBOX_IT.closed) : INBOX_IT.closedNoReopening;
      text = renderInbox(template, { ...vars, riapertura: opening ? describeOpening(opening, x.now, hours.timezone) : null });
    }
    await this.conversations.update(x.tenant.id, x.conversation.id, { lastAutoReplyAt: x.now, lastAutoReplyKind: kind });
    const offerList = x.created && x.settings.offerCategories && x.conversation.category === null;
    const content: MessageContent = offerList
      ? {
          type: 'interactive',
          body: `${text}\n\n${INBOX_IT.chooseCategory}`.slice(0, 1024),
          action: {
            kind: 'list',
            button: INBOX_IT.categoryButton,
            sections: [
              {
                // Emergencies are raised by their keyword, which alerts the on-duty contact at once.
                rows: (['segnalazione', 'appuntamento', 'informazioni', 'altro'] as const).map((c) => ({
                  id: `${REPLY_IDS.category}${c}`,
                  title: INBOX_IT.categories[c],
                  description: INBOX_IT.categoryDescriptions[c],
                })),
              },
            ],
          },
        }
      : { type: 'text', body: text, previewUrl: false };
    await this.messenger.send(x.tenant.id, this.target(x), content, { kind: 'auto_reply' });
  }

  private async say(x: Intake, text: string, priority = 0): Promise<void> {
    const body = renderInbox(text, { comune: x.tenant.displayName, emergenza: x.settings.emergencyKeyword });
    await this.messenger.send(x.tenant.id, this.target(x), { type: 'text', body, previewUrl: false }, { kind: 'auto_reply', priority });
  }

  private target(x: Intake): Parameters<CitizenMessenger['send']>[1] {
    return { numberId: x.msg.numberId, contact: x.contact, conversationId: x.conversation.id, replyToWamid: x.msg.wamid };
  }
}

/** The id of the row or button a citizen tapped in one of our interactive messages. */
function replyIdOf(msg: InboundMessageEntity): string | null {
  const c = msg.content as { type?: string; id?: string; payload?: string };
  if (c.type === 'interactive_reply' && typeof c.id === 'string') return c.id;
  if (c.type === 'button' && typeof c.payload === 'string') return c.payload;
  return null;
}

/** What a citizen's message says: its text, a media caption, or the title of what they tapped. */
function textOf(msg: InboundMessageEntity): string | null {
  const c = msg.content as { type?: string; body?: string; caption?: string | null; title?: string; text?: string };
  switch (c.type ?? '') {
    case 'text':
      return c.body ?? null;
    case 'interactive_reply':
      return c.title ?? null;
    case 'button':
      return c.text ?? null;
    default:
      return c.caption ?? null;
  }
}

function officeOf(offices: readonly string[], tapped: string | null, text: string): string | null {
  if (tapped?.startsWith(REPLY_IDS.office)) return offices[Number(tapped.slice(REPLY_IDS.office.length))] ?? null;
  const wanted = text.toLowerCase();
  if (!wanted) return null;
  return offices.find((o) => o.toLowerCase() === wanted) ?? offices.find((o) => o.toLowerCase().includes(wanted)) ?? null;
}

/** The body parameters of a template as Meta lists its components ({{1}}, {{nome}}). */
function bodyParameters(components: unknown[]): string[] {
  const body = components.find(
    (c): c is { type: string; text?: string } => typeof c === 'object' && c !== null && (c as { type?: string }).type === 'BODY',
  );
  const found = [...(body?.text ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]);
  return [...new Set(found)];
}
