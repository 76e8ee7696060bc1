import { request, type Dispatcher } from 'undici';
import type {
  CreateTemplateInput,
  DeliveriesQueryInput,
  FaultsInput,
  InboundInput,
  RawWebhookInput,
  RegisterNumberInput,
  StatusBehaviourInput,
  WindowInput,
} from './control/control.schemas.js';
import type { ConversationView } from './control/messages.controller.js';
import type { InboundResult } from './inbound/inbound.service.js';
import type { MediaUploadView } from './media/media-store.service.js';
import type { ConversationSummary, OutboundRecord } from './state/message-log.service.js';
import type { SimulatedNumberView } from './state/numbers.service.js';
import type { StatusBehaviour } from './state/status-behaviour.service.js';
import type { SimulatedTemplate, TemplateStatus } from './state/templates.service.js';
import type { WebhookDeliveryAttempt } from './webhooks/webhook-dispatcher.service.js';

export type {
  ConversationSummary,
  ConversationView,
  CreateTemplateInput,
  FaultsInput,
  InboundInput,
  InboundResult,
  MediaUploadView,
  OutboundRecord,
  RawWebhookInput,
  RegisterNumberInput,
  SimulatedNumberView,
  SimulatedTemplate,
  StatusBehaviour,
  StatusBehaviourInput,
  WebhookDeliveryAttempt,
  WindowInput,
};

export interface FaultsView {
  serverErrors: number;
  serverErrorCode: 131000 | 131016;
  latencyMs: number;
  acceptThenTimeout: number;
  holdMs: number;
  serverErrorRate: number;
  throughputErrorRate: number;
  acceptThenTimeoutRate: number;
  undeliverable: string[];
  expiredToken: boolean;
  marketingOptOut: string[];
  mediaUploadErrors: number;
}

/** A control-API call that did not succeed; `body` is the simulator's error ({statusCode, code, message}). */
export class SimulatorClientError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
    this.name = 'SimulatorClientError';
  }
}

/**
 * Typed client of the simulator's control API (/_sim), one method per route, for tests and
 * scripts. Meta's own routes are not here: those are what the Cloud API adapter calls.
 */
export class SimulatorClient {
  private readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly dispatcher?: Dispatcher,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** POST /_sim/numbers: registers a number, or replaces the one with the same phoneNumberId. */
  registerNumber(input: RegisterNumberInput): Promise<SimulatedNumberView> {
    return this.call('POST', '/_sim/numbers', input);
  }

  /** GET /_sim/numbers (never tokens or secrets). */
  listNumbers(): Promise<SimulatedNumberView[]> {
    return this.call('GET', '/_sim/numbers');
  }

  /** POST /_sim/templates: creates a template, or replaces the one with the same WABA, name and language. */
  createTemplate(input: CreateTemplateInput): Promise<SimulatedTemplate> {
    return this.call('POST', '/_sim/templates', input);
  }

  /** PATCH /_sim/templates/:id */
  setTemplateStatus(id: string, status: TemplateStatus): Promise<SimulatedTemplate> {
    return this.call('PATCH', `/_sim/templates/${encodeURIComponent(id)}`, { status });
  }

  /** GET /_sim/templates?wabaId= */
  listTemplates(wabaId?: string): Promise<SimulatedTemplate[]> {
    return this.call('GET', `/_sim/templates${query({ wabaId })}`);
  }

  /** POST /_sim/inbound: a citizen writes; resolves once the webhook's first delivery attempt has answered. */
  sendInbound(input: InboundInput): Promise<InboundResult> {
    return this.call('POST', '/_sim/inbound', input);
  }

  /** POST /_sim/webhooks/raw: posts arbitrary bytes to the number's webhook, signed as asked. */
  postRawWebhook(input: RawWebhookInput): Promise<WebhookDeliveryAttempt> {
    return this.call('POST', '/_sim/webhooks/raw', input);
  }

  /** GET /_sim/messages: every accepted outbound message, in order. */
  listMessages(filter: { phoneNumberId?: string; to?: string; since?: Date | string } = {}): Promise<OutboundRecord[]> {
    const since = filter.since instanceof Date ? filter.since.toISOString() : filter.since;
    return this.call('GET', `/_sim/messages${query({ phoneNumberId: filter.phoneNumberId, to: filter.to, since })}`);
  }

  /** GET /_sim/conversations?phoneNumberId=&waId=: one conversation, both directions. */
  getConversation(phoneNumberId: string, waId: string): Promise<ConversationView> {
    return this.call('GET', `/_sim/conversations${query({ phoneNumberId, waId })}`);
  }

  /** GET /_sim/conversations?phoneNumberId=: the number's conversations, latest first. */
  listConversations(phoneNumberId: string): Promise<ConversationSummary[]> {
    return this.call('GET', `/_sim/conversations${query({ phoneNumberId })}`);
  }

  /** GET /_sim/webhook-deliveries: every delivery attempt, retries included. */
  listWebhookDeliveries(filter: DeliveriesQueryInput = {}): Promise<WebhookDeliveryAttempt[]> {
    return this.call('GET', `/_sim/webhook-deliveries${query(filter)}`);
  }

  /** POST /_sim/windows: moves a citizen's last message in time (null: never wrote). */
  setWindow(input: WindowInput): Promise<{ windowOpenUntil: string | null }> {
    return this.call('POST', '/_sim/windows', input);
  }

  /** POST /_sim/faults: sets some of a number's faults; the others keep their value. */
  setFaults(input: FaultsInput): Promise<FaultsView> {
    return this.call('POST', '/_sim/faults', input);
  }

  /** DELETE /_sim/faults: one number's, or everyone's. */
  async clearFaults(phoneNumberId?: string): Promise<void> {
    await this.call('DELETE', `/_sim/faults${query({ phoneNumberId })}`);
  }

  /** GET /_sim/media-uploads: the business's uploads, oldest first (never the bytes). */
  listMediaUploads(phoneNumberId?: string): Promise<MediaUploadView[]> {
    return this.call('GET', `/_sim/media-uploads${query({ phoneNumberId })}`);
  }

  /** POST /_sim/media/:id/expire: Meta forgets the media id (as after 30 days); sends with it fail. */
  async expireMedia(mediaId: string): Promise<void> {
    await this.call('POST', `/_sim/media/${encodeURIComponent(mediaId)}/expire`, {});
  }

  /** POST /_sim/status-behaviour: delay, duplicates, order and last status of a number's status webhooks. */
  setStatusBehaviour(input: StatusBehaviourInput): Promise<StatusBehaviour> {
    return this.call('POST', '/_sim/status-behaviour', input);
  }

  /** POST /_sim/reset: forgets everything and cancels pending webhooks. */
  async reset(): Promise<void> {
    await this.call('POST', '/_sim/reset', {});
  }

  /** GET /_sim/health */
  health(): Promise<{ status: 'ok' }> {
    return this.call('GET', '/_sim/health');
  }

  /** Polls `probe` until it returns something other than undefined/false (messages and webhooks arrive asynchronously). */
  async waitFor<T>(probe: () => Promise<T | undefined | false>, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
    const deadline = Date.now() + (options.timeoutMs ?? 5_000);
    for (;;) {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error('SimulatorClient.waitFor timed out');
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
    }
  }

  private async call<T>(method: Dispatcher.HttpMethod, path: string, body?: unknown): Promise<T> {
    const response = await request(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
    });
    const text = await response.body.text();
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    if (response.statusCode >= 400) {
      const message = (parsed as { message?: string } | undefined)?.message ?? text;
      throw new SimulatorClientError(response.statusCode, parsed, `${method} ${path} failed with ${response.statusCode}: ${message}`);
    }
    return parsed as T;
  }
}

function query(params: Record<string, string | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined);
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries).toString()}`;
}
