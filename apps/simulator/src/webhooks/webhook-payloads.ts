import type { AsyncError } from './async-errors.js';

/**
 * Builders of the webhook payloads Meta posts for the `messages` field (docs §1.4, fixtures).
 * Key order follows the fixtures, since receivers sometimes log or hash the raw bytes. Pure.
 */

export interface WebhookNumber {
  phoneNumberId: string;
  wabaId: string;
  displayPhoneNumber: string;
}

export interface Pricing {
  billable: boolean;
  pricing_model: 'PMP';
  type: 'regular' | 'free_customer_service';
  category: string;
}

export interface StatusItem {
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  timestamp: string;
  recipient_id: string;
  biz_opaque_callback_data?: string;
  pricing?: Pricing;
  errors?: AsyncError[];
}

export interface WebhookContact {
  profile: { name: string };
  wa_id: string;
  user_id?: string;
}

export function unixSeconds(date: Date): string {
  return String(Math.floor(date.getTime() / 1000));
}

export function messagesEnvelope(number: WebhookNumber, value: Record<string, unknown>): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: number.wabaId,
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              // Meta's metadata carries the display number as bare digits.
              metadata: { display_phone_number: number.displayPhoneNumber.replace(/\D/g, ''), phone_number_id: number.phoneNumberId },
              ...value,
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}

export function statusPayload(number: WebhookNumber, status: StatusItem): Record<string, unknown> {
  const item: Record<string, unknown> = { id: status.id, status: status.status, timestamp: status.timestamp, recipient_id: status.recipient_id };
  if (status.biz_opaque_callback_data !== undefined) item.biz_opaque_callback_data = status.biz_opaque_callback_data;
  if (status.pricing) item.pricing = status.pricing;
  if (status.errors) item.errors = status.errors;
  return messagesEnvelope(number, { statuses: [item] });
}

export function inboundPayload(number: WebhookNumber, contact: WebhookContact, message: Record<string, unknown>): Record<string, unknown> {
  return messagesEnvelope(number, { contacts: [contact], messages: [message] });
}
