import { createHmac, randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Agent, request } from 'undici';
import { NotFoundError } from '#common';
import { SimulatorSettings } from '../config/simulator-settings.js';
import { NumbersService } from '../state/numbers.service.js';
import { SchedulerService } from '../state/scheduler.service.js';

export type WebhookKind = 'status' | 'inbound' | 'raw';
export type SignatureMode = 'valid' | 'invalid' | 'none';

/** One POST to a webhook URL, as GET /_sim/webhook-deliveries lists it. */
export interface WebhookDeliveryAttempt {
  /** Shared by the attempts (first try and retries) of one payload. */
  deliveryId: string;
  attempt: number;
  phoneNumberId: string;
  kind: WebhookKind;
  url: string;
  wamid: string | null;
  /** For status webhooks: sent, delivered, read or failed. */
  status: string | null;
  signature: SignatureMode;
  /** Null when no answer came (refused, timed out). */
  httpStatus: number | null;
  error: string | null;
  at: string;
  durationMs: number;
  body: string;
}

export interface WebhookDeliveryRequest {
  phoneNumberId: string;
  kind: WebhookKind;
  /** The exact bytes to post (already serialised like Meta). */
  body: string;
  signature?: SignatureMode;
  /** Retry failed attempts with backoff, like Meta (not for raw test posts unless asked). */
  retry?: boolean;
  wamid?: string;
  status?: string;
}

export function signBody(body: string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body, 'utf8').digest('hex')}`;
}

/** Posts webhooks signed with the number's app secret, retries failures and records every attempt. */
@Injectable()
export class WebhookDispatcherService implements OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcherService.name);
  private readonly agent = new Agent({ keepAliveTimeout: 4_000, connections: 64 });
  private readonly attempts: WebhookDeliveryAttempt[] = [];
  /** Aborts the POSTs in flight when the simulator is reset, so none lands after it. */
  private inFlight = new AbortController();

  constructor(
    private readonly numbers: NumbersService,
    private readonly scheduler: SchedulerService,
    private readonly settings: SimulatorSettings,
  ) {}

  /** Posts now and resolves with the first attempt; failed attempts are retried in the background. */
  async deliver(delivery: WebhookDeliveryRequest): Promise<WebhookDeliveryAttempt> {
    if (!this.numbers.find(delivery.phoneNumberId)) throw new NotFoundError(`Number ${delivery.phoneNumberId}`);
    return this.attempt({ ...delivery, signature: delivery.signature ?? 'valid' }, randomUUID(), 1, this.scheduler.generation);
  }

  list(filter: { phoneNumberId?: string; kind?: string; wamid?: string } = {}): WebhookDeliveryAttempt[] {
    return this.attempts.filter(
      (a) =>
        (filter.phoneNumberId === undefined || a.phoneNumberId === filter.phoneNumberId) &&
        (filter.kind === undefined || a.kind === filter.kind) &&
        (filter.wamid === undefined || a.wamid === filter.wamid),
    );
  }

  clear(): void {
    this.inFlight.abort();
    this.inFlight = new AbortController();
    this.attempts.length = 0;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.destroy();
  }

  private async attempt(
    delivery: WebhookDeliveryRequest & { signature: SignatureMode },
    deliveryId: string,
    attempt: number,
    generation: number,
  ): Promise<WebhookDeliveryAttempt> {
    const number = this.numbers.find(delivery.phoneNumberId);
    const record: WebhookDeliveryAttempt = {
      deliveryId,
      attempt,
      phoneNumberId: delivery.phoneNumberId,
      kind: delivery.kind,
      url: number?.webhookUrl ?? '',
      wamid: delivery.wamid ?? null,
      status: delivery.status ?? null,
      signature: delivery.signature,
      httpStatus: null,
      error: null,
      at: new Date().toISOString(),
      durationMs: 0,
      body: delivery.body,
    };
    if (!number) {
      record.error = 'number no longer registered';
      this.attempts.push(record);
      return record;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'facebookexternalua' };
    if (delivery.signature !== 'none') {
      // An invalid signature is a well-formed one made with the wrong key, the hardest kind to spot.
      const key = delivery.signature === 'valid' ? number.appSecret : `${number.appSecret}-wrong`;
      headers['x-hub-signature-256'] = signBody(delivery.body, key);
      // Meta still sends the legacy SHA-1 header beside it; receivers must not rely on it.
      headers['x-hub-signature'] = `sha1=${createHmac('sha1', key).update(delivery.body, 'utf8').digest('hex')}`;
    }
    const started = performance.now();
    try {
      const response = await request(number.webhookUrl, {
        method: 'POST',
        headers,
        body: delivery.body,
        dispatcher: this.agent,
        signal: this.inFlight.signal,
        headersTimeout: this.settings.webhookTimeoutMs,
        bodyTimeout: this.settings.webhookTimeoutMs,
      });
      await response.body.dump();
      record.httpStatus = response.statusCode;
    } catch (err) {
      record.error = (err as Error).message;
    }
    record.durationMs = Math.round(performance.now() - started);
    this.attempts.push(record);

    // Only a 200 counts as delivered for Meta.
    const delay = this.settings.webhookRetryDelaysMs[attempt - 1];
    if (record.httpStatus !== 200 && delivery.retry && delay !== undefined) {
      this.logger.warn({ msg: 'webhook delivery failed, will retry', deliveryId, attempt, httpStatus: record.httpStatus, error: record.error });
      // A reset in the meantime (generation moved on) drops the retries of what it interrupted.
      this.scheduler.later(
        delay,
        async () => {
          await this.attempt(delivery, deliveryId, attempt + 1, generation);
        },
        generation,
      );
    }
    return record;
  }
}
