import { Injectable, Logger } from '@nestjs/common';
import { newId, NotFoundError, ValidationError, type ContactId, type NumberId, type OutboundMessageId, type TenantId } from '#common';
import {
  ContactRepository,
  OutboundMessageRepository,
  WhatsappNumberRepository,
  type MessageCategory,
  type OutboundKind,
  type OutboundMessageEntity,
} from '#database';
import { QueueProducer } from '#queue';
import {
  buildSendBody,
  classifyProviderError,
  MAX_SEND_ATTEMPTS,
  ProviderError,
  retryDelayMs,
  type MessageContent,
  type Recipient,
  type SendAccepted,
  type SendFailureAction,
} from '#whatsapp';
import { NumberDirectory, type SendingNumber } from './number-directory.js';
import { NumberHealthService } from './number-health.service.js';
import { NumberPacer } from './number-pacer.js';
import { ProviderRegistry } from './provider-registry.js';
import { ReceiptsService } from './receipts.service.js';
import { isServiceWindowOpen } from './window-rules.js';

export interface SendMessageInput {
  numberId: NumberId;
  to: Recipient;
  content: MessageContent;
  kind: OutboundKind;
  /** Pricing category: 'service' for free-form inside the window; a template's category otherwise. */
  category?: MessageCategory | null;
  replyToWamid?: string | null;
  /** Higher goes first; emergencies use 10. */
  priority?: number;
  campaignId?: string | null;
}

export class WindowClosedError extends ValidationError {
  constructor() {
    super(
      'the citizen has not written to this number in the last 24 hours: WhatsApp allows only an approved template outside that window',
      undefined,
      'WINDOW_CLOSED',
    );
  }
}

/** Waits shorter than this are slept in the job; longer ones put the message back with a delay. */
const MAX_INLINE_PACING_WAIT_MS = 1_500;
const HOLD_MS = 24 * 60 * 60 * 1000;

/**
 * The one way the platform sends a WhatsApp message. `send` records it (outbound_messages) and
 * queues it; `dispatch`, in the worker, claims the row, paces the number, calls the provider and
 * turns the outcome into the row's next state. Nothing sends around it.
 */
@Injectable()
export class OutboundService {
  private readonly logger = new Logger('Outbound');

  constructor(
    private readonly outbound: OutboundMessageRepository,
    private readonly numbers: WhatsappNumberRepository,
    private readonly contacts: ContactRepository,
    private readonly directory: NumberDirectory,
    private readonly pacer: NumberPacer,
    private readonly providers: ProviderRegistry,
    private readonly health: NumberHealthService,
    private readonly receipts: ReceiptsService,
    private readonly producer: QueueProducer,
  ) {}

  async send(tenantId: TenantId, input: SendMessageInput): Promise<OutboundMessageEntity> {
    const number = await this.numbers.findById(tenantId, input.numberId);
    if (!number) throw new NotFoundError('Number', 'NUMBER_NOT_FOUND');
    if (number.status === 'disabled') throw new ValidationError('this number is disabled and sends nothing', undefined, 'NUMBER_DISABLED');
    const id = newId<OutboundMessageId>();
    // Checks WhatsApp's limits now, so a bad message is a 400 for its author rather than a failure later.
    buildSendBody({
      from: { phoneNumberId: number.phoneNumberId, accessToken: '-' },
      to: input.to,
      content: input.content,
      correlationId: id,
      replyTo: input.replyToWamid ?? undefined,
    });

    // Someone the comune writes to first gets a contact without a window; a BSUID must be known already.
    const contact =
      input.to.kind === 'phone'
        ? await this.contacts.findOrCreateByWaId(tenantId, input.numberId, input.to.e164.slice(1))
        : await this.contacts.findByUserId(tenantId, input.numberId, input.to.userId);
    if (!contact) throw new NotFoundError('Contact', 'CONTACT_NOT_FOUND');
    if (input.content.type !== 'template' && !isServiceWindowOpen(contact.lastInboundAt, new Date())) throw new WindowClosedError();
    const contactId: ContactId = contact.id;

    const row = await this.outbound.insert(tenantId, {
      id,
      numberId: input.numberId,
      contactId,
      recipient: input.to.kind === 'phone' ? input.to.e164 : input.to.userId,
      recipientKind: input.to.kind,
      kind: input.kind,
      category: input.category ?? (input.content.type === 'template' ? null : 'service'),
      priority: input.priority ?? 0,
      campaignId: input.campaignId ?? null,
      replyToWamid: input.replyToWamid ?? null,
      content: input.content as unknown as Record<string, unknown>,
    });
    // After the commit: a lost job leaves the row queued, and the sweep enqueues it again.
    if (number.status === 'active') await this.producer.send([{ tenantId, outboundId: id, urgent: row.priority > 0 }]);
    return row;
  }

  /** Sends one queued message. Idempotent: a duplicate or stale job finds nothing to claim. */
  async dispatch(tenantId: TenantId, outboundId: OutboundMessageId): Promise<void> {
    const row = await this.outbound.claimForSend(tenantId, outboundId);
    if (!row) return;
    let sender: SendingNumber | null;
    try {
      sender = await this.readyToSend(tenantId, row);
    } catch (err) {
      // Nothing was sent yet: put it back for the queue's retry (or the sweep) to take again.
      await this.outbound.release(tenantId, row.id, { nextAttemptAt: null, refundAttempt: true });
      throw err;
    }
    if (!sender) return;

    let accepted: SendAccepted;
    try {
      accepted = await this.providers.for(sender.providerKind).send({
        from: sender.credentials,
        to: row.recipientKind === 'phone' ? { kind: 'phone', e164: row.recipient } : { kind: 'bsuid', userId: row.recipient },
        content: row.content as unknown as MessageContent,
        replyTo: row.replyToWamid ?? undefined,
        correlationId: row.id,
      });
    } catch (err) {
      await this.handleFailure(tenantId, row, err);
      return;
    }
    // Meta has the message. Should recording it fail, the row stays 'sending': the sweep then
    // treats it as an unknown outcome, which the receipts (carrying our id) settle. Never re-sent.
    await this.outbound.markAccepted(tenantId, row.id, accepted.providerMessageId, accepted.waId);
    // A receipt that beat this response and carried no correlation id is waiting for the wamid.
    await this.receipts.applyParked(tenantId, [accepted.providerMessageId]);
  }

  /**
   * Checks a claimed message may go now, and takes a pacing slot for it. Returns null when it was
   * put back (number paused, recipient on hold, number over its pace) or failed for good.
   */
  private async readyToSend(tenantId: TenantId, row: OutboundMessageEntity): Promise<SendingNumber | null> {
    const sender = await this.directory.get(tenantId, row.numberId);
    if (!sender || sender.number.status === 'disabled') {
      await this.outbound.markFailed(tenantId, row.id, { code: null, reason: 'the number is disabled', action: 'bug' });
      return null;
    }
    if (row.content === null) {
      await this.outbound.markFailed(tenantId, row.id, {
        code: null,
        reason: 'the content was purged by retention before it was sent',
        action: 'bug',
      });
      return null;
    }
    if (sender.number.status === 'paused') {
      // Stays queued; resuming the number enqueues it again.
      await this.outbound.release(tenantId, row.id, { nextAttemptAt: null, refundAttempt: true });
      return null;
    }
    if (row.contactId) {
      const contact = await this.contacts.findById(tenantId, row.contactId);
      if (contact?.heldUntil && contact.heldUntil > new Date()) {
        await this.requeueAt(tenantId, row, contact.heldUntil, true);
        return null;
      }
    }
    const wait = await this.pacer.take(sender.number.id, sender.number.mpsCap);
    if (wait > MAX_INLINE_PACING_WAIT_MS) {
      await this.requeueAt(tenantId, row, new Date(Date.now() + wait), true);
      return null;
    }
    if (wait > 0) await sleep(wait);
    return sender;
  }

  private async handleFailure(tenantId: TenantId, row: OutboundMessageEntity, err: unknown): Promise<void> {
    if (!(err instanceof ProviderError)) {
      // Our own request was invalid (the adapter refused to build it) or something unexpected: fail loudly.
      const reason = err instanceof Error ? err.message : String(err);
      this.logger.error({ event: 'send_bug', tenantId, outboundId: row.id, reason }, 'message could not be sent: bug');
      await this.outbound.markFailed(tenantId, row.id, { code: null, reason, action: 'bug' });
      return;
    }
    const action: SendFailureAction = classifyProviderError(err);
    const reason = [err.message, err.details].filter(Boolean).join(': ');
    const error = { code: err.code, reason, action };
    const log = { tenantId, outboundId: row.id, numberId: row.numberId, code: err.code, action, fbtraceId: err.fbtraceId, attempt: row.attempts };
    switch (action) {
      case 'unknown_outcome':
        this.logger.warn({ event: 'send_unknown_outcome', ...log }, 'send outcome unknown: waiting for a receipt, not re-sending');
        await this.outbound.markUnknown(tenantId, row.id, reason);
        return;
      case 'retry':
      case 'pace_number':
      case 'pace_recipient': {
        if (action === 'pace_number') await this.pacer.slowDown(row.numberId, 60_000);
        if (row.attempts >= MAX_SEND_ATTEMPTS) {
          this.logger.warn({ event: 'send_gave_up', ...log }, 'message failed after the last attempt');
          await this.outbound.markFailed(tenantId, row.id, { ...error, reason: `gave up after ${row.attempts} attempts: ${reason}` });
          return;
        }
        const delay = retryDelayMs(action, row.attempts) ?? 60_000;
        this.logger.warn({ event: 'send_retry', delayMs: delay, ...log }, 'message will be retried');
        await this.requeueAt(tenantId, row, new Date(Date.now() + delay), false, error);
        return;
      }
      case 'hold_recipient': {
        const until = new Date(Date.now() + HOLD_MS);
        if (row.contactId) await this.contacts.recordDeliveryFailure(tenantId, row.contactId, { errorCode: err.code, holdUntil: until });
        await this.requeueAt(tenantId, row, until, false, error);
        return;
      }
      case 'pause_number':
        await this.health.pauseForError(tenantId, row.numberId, err.code, reason);
        await this.outbound.release(tenantId, row.id, { nextAttemptAt: null, refundAttempt: true, error });
        return;
      case 'recipient_permanent':
      case 'marketing_opt_out':
        if (row.contactId) {
          await this.contacts.recordDeliveryFailure(tenantId, row.contactId, {
            errorCode: err.code,
            undeliverable: action === 'recipient_permanent',
            marketingOptOutAt: action === 'marketing_opt_out' ? new Date() : undefined,
          });
        }
        await this.outbound.markFailed(tenantId, row.id, error);
        return;
      case 'template':
      case 'skip':
        await this.outbound.markFailed(tenantId, row.id, error);
        return;
      case 'bug':
        this.logger.error({ event: 'send_bug', ...log }, 'WhatsApp refused our request: bug');
        await this.outbound.markFailed(tenantId, row.id, error);
        return;
    }
  }

  private async requeueAt(
    tenantId: TenantId,
    row: OutboundMessageEntity,
    at: Date,
    refundAttempt: boolean,
    error?: { code: number | null; reason: string; action: string },
  ): Promise<void> {
    await this.outbound.release(tenantId, row.id, { nextAttemptAt: at, refundAttempt, error });
    await this.producer.send([{ tenantId, outboundId: row.id, delayMs: at.getTime() - Date.now(), urgent: row.priority > 0 }]);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
