import { ConflictError, NotFoundError, ValidationError } from '#common';

export enum InboxErrorCode {
  ConversationNotFound = 'CONVERSATION_NOT_FOUND',
  ConversationClosed = 'CONVERSATION_CLOSED',
  ConversationStatusChange = 'CONVERSATION_STATUS_CHANGE_NOT_ALLOWED',
  ActiveConversationExists = 'ACTIVE_CONVERSATION_EXISTS',
  AssigneeNotEditor = 'ASSIGNEE_NOT_EDITOR',
  TemplateNotApproved = 'TEMPLATE_NOT_APPROVED',
  CannedReplyNotFound = 'CANNED_REPLY_NOT_FOUND',
  AppointmentNotFound = 'APPOINTMENT_NOT_FOUND',
  AppointmentStatusChange = 'APPOINTMENT_STATUS_CHANGE_NOT_ALLOWED',
  ContactNotFound = 'CONTACT_NOT_FOUND',
  NotBlocked = 'CITIZEN_NOT_BLOCKED',
}

export class ConversationNotFoundError extends NotFoundError {
  constructor() {
    super('Conversation', InboxErrorCode.ConversationNotFound);
  }
}

export class CannedReplyNotFoundError extends NotFoundError {
  constructor() {
    super('Canned reply', InboxErrorCode.CannedReplyNotFound);
  }
}

export class AppointmentNotFoundError extends NotFoundError {
  constructor() {
    super('Appointment request', InboxErrorCode.AppointmentNotFound);
  }
}

export class InboxContactNotFoundError extends NotFoundError {
  constructor() {
    super('Contact', InboxErrorCode.ContactNotFound);
  }
}

export class ConversationClosedError extends ConflictError {
  constructor() {
    super('the conversation is closed: reopen it to write to the citizen', InboxErrorCode.ConversationClosed);
  }
}

export class TemplateNotApprovedError extends ValidationError {
  constructor(name: string, language: string) {
    super(
      `"${name}" (${language}) is not an approved template of this comune: sync the templates or choose another`,
      { field: 'template' },
      InboxErrorCode.TemplateNotApproved,
    );
  }
}
