import { ValidationError } from '#common';

export enum WhatsAppErrorCode {
  InvalidMessage = 'WHATSAPP_INVALID_MESSAGE',
}

/**
 * A message that breaks one of WhatsApp's documented limits (body length, buttons, rows, ...),
 * caught before the request leaves: Meta would refuse it with a 100/131008/131009 anyway, and a
 * local error names the field instead of spending a call and a retry decision on it.
 */
export class InvalidMessageError extends ValidationError {
  constructor(message: string) {
    super(message, undefined, WhatsAppErrorCode.InvalidMessage);
  }
}
