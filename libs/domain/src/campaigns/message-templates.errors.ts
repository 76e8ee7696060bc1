import { NotFoundError } from '#common';

/** Codes of the message-template feature, beside the common ones (VALIDATION_FAILED, CONFLICT, ...). */
export enum MessageTemplateErrorCode {
  NotFound = 'MESSAGE_TEMPLATE_NOT_FOUND',
  NameTaken = 'MESSAGE_TEMPLATE_NAME_TAKEN',
  InUse = 'MESSAGE_TEMPLATE_IN_USE',
  InvalidVariable = 'INVALID_TEMPLATE_VARIABLE',
  MissingVariables = 'MISSING_TEMPLATE_VARIABLES',
  WhatsappTemplateUnknown = 'WHATSAPP_TEMPLATE_UNKNOWN',
  WhatsappTemplateMismatch = 'WHATSAPP_TEMPLATE_MISMATCH',
}

export class MessageTemplateNotFoundError extends NotFoundError {
  constructor() {
    super('Message template', MessageTemplateErrorCode.NotFound);
  }
}
