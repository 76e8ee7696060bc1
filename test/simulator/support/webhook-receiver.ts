import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  raw: string;
  json: WebhookBody;
  signature: string | undefined;
  contentType: string | undefined;
  /** Whether X-Hub-Signature-256 is the HMAC of the raw bytes with the receiver's app secret. */
  validSignature: boolean;
}

/** Enough of Meta's envelope for the assertions. */
export interface WebhookBody {
  object: string;
  entry: {
    id: string;
    changes: {
      field: string;
      value: {
        messaging_product: string;
        metadata: { display_phone_number: string; phone_number_id: string };
        contacts?: { profile: { name: string }; wa_id: string; user_id?: string }[];
        messages?: Record<string, unknown>[];
        statuses?: {
          id: string;
          status: string;
          timestamp: string;
          recipient_id: string;
          biz_opaque_callback_data?: string;
          pricing?: Record<string, unknown>;
          errors?: { code: number; title: string; message: string; error_data: { details: string }; href: string }[];
        }[];
      };
    }[];
  }[];
}

/** A stand-in for the platform's webhook endpoint: records every POST and checks its signature like our intake must. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Status codes to answer with, one per request, then 200. */
  readonly answers: number[] = [];
  private server?: Server;
  url = '';

  constructor(private readonly appSecret: string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const signature = req.headers['x-hub-signature-256'] as string | undefined;
        this.received.push({
          raw: raw.toString('utf8'),
          json: JSON.parse(raw.toString('utf8') || 'null') as WebhookBody,
          signature,
          contentType: req.headers['content-type'],
          validSignature: verify(raw, signature, this.appSecret),
        });
        res.statusCode = this.answers.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks/whatsapp`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  clear(): void {
    this.received.length = 0;
    this.answers.length = 0;
  }

  statuses(wamid?: string): NonNullable<WebhookBody['entry'][number]['changes'][number]['value']['statuses']> {
    return this.received
      .flatMap((w) => w.json.entry.flatMap((e) => e.changes.flatMap((c) => c.value.statuses ?? [])))
      .filter((s) => wamid === undefined || s.id === wamid);
  }

  /** Waits until `predicate` holds over what was received. */
  async waitUntil(predicate: () => boolean, timeoutMs = 3_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`webhook receiver: condition not met in ${timeoutMs} ms (${this.received.length} received)`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

export function verify(raw: Buffer, header: string | undefined, secret: string): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const got = Buffer.from(header.slice(7), 'hex');
  const expected = createHmac('sha256', secret).update(raw).digest();
  return got.length === expected.length && timingSafeEqual(got, expected);
}
