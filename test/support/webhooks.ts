import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signMetaPayload } from '#whatsapp';
import type { TestApp } from './test-app.js';
import { uniq } from './factories.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../libs/whatsapp/src/webhook/__fixtures__');
/** The phone_number_id and WABA id the reference fixtures were written with. */
export const FIXTURE_PNID = '109988776655443';
export const FIXTURE_WABA = '104857600112233';

/** A reference fixture, as bytes, with its phone_number_id (and WABA) swapped for a test number's. */
export function fixture(name: string, pnid: string, waba = FIXTURE_WABA): Buffer {
  const text = readFileSync(join(FIXTURES, name), 'utf8');
  return Buffer.from(text.replaceAll(FIXTURE_PNID, pnid).replaceAll(FIXTURE_WABA, waba), 'utf8');
}

/** Meta's serialisation: compact JSON, non-ASCII escaped as \uXXXX (what it signs). */
export function metaJson(value: unknown): Buffer {
  return Buffer.from(
    JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    'utf8',
  );
}

export const wamid = (): string => `wamid.HBgM${uniq()}${uniq()}${uniq()}`;

export interface Change {
  field: string;
  value: Record<string, unknown>;
}

export function envelope(wabaId: string, changes: Change[]): Record<string, unknown> {
  return { object: 'whatsapp_business_account', entry: [{ id: wabaId, changes }] };
}

export function messagesChange(
  pnid: string,
  value: { contacts?: unknown[]; messages?: unknown[]; statuses?: unknown[]; errors?: unknown[] },
): Change {
  return {
    field: 'messages',
    value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '393200000000', phone_number_id: pnid }, ...value },
  };
}

export function inboundText(pnid: string, from: string, body: string, opts: { id?: string; name?: string; at?: number } = {}): Change {
  const id = opts.id ?? wamid();
  return messagesChange(pnid, {
    contacts: [{ profile: { name: opts.name ?? 'Giulia Bianchi' }, wa_id: from }],
    messages: [{ from, id, timestamp: String(opts.at ?? Math.floor(Date.now() / 1000)), type: 'text', text: { body } }],
  });
}

export function statusChange(
  pnid: string,
  s: { id: string; status: string; correlation?: string; recipient?: string; at?: number; errors?: unknown[]; pricing?: boolean },
): Change {
  return messagesChange(pnid, {
    statuses: [
      {
        id: s.id,
        status: s.status,
        timestamp: String(s.at ?? Math.floor(Date.now() / 1000)),
        recipient_id: s.recipient ?? '393331234567',
        ...(s.correlation ? { biz_opaque_callback_data: s.correlation } : {}),
        ...(s.pricing ? { pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: 'utility' } } : {}),
        ...(s.errors ? { errors: s.errors } : {}),
      },
    ],
  });
}

/** POSTs a body to the webhook signed with `secret` (or with the given header as is). */
export function postWebhook(t: TestApp, appId: string, body: Buffer, secret: string | null, header?: string) {
  const req = t.http().post(`/webhooks/whatsapp/${appId}`).set('content-type', 'application/json');
  const sig = header ?? (secret ? signMetaPayload(body, secret) : undefined);
  if (sig !== undefined) void req.set('x-hub-signature-256', sig);
  // As a string: superagent would JSON-encode a Buffer sent as application/json.
  return req.send(body.toString('utf8'));
}
