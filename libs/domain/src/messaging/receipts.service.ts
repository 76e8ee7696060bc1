import { Injectable, Logger } from '@nestjs/common';
import type { TenantId } from '#common';
import { ContactRepository, OutboundMessageRepository, PendingReceiptRepository, TenantDb, type AppliedReceipt, type ReceiptUpdate } from '#database';
import type { StatusEvent } from '#whatsapp';
import { NumberHealthService } from './number-health.service.js';
import { mergeReceiptUpdates, reduceReceipts } from './receipt-rules.js';

const HOLD_MS = 24 * 60 * 60 * 1000;

/**
 * Applies delivery receipts to outbound messages: folded per message, applied in one statement per
 * batch through the monotonic state machine, receipts for unknown messages parked until the
 * message appears, and failures turned into what they mean for the citizen or the number.
 */
@Injectable()
export class ReceiptsService {
  private readonly logger = new Logger('Receipts');

  constructor(
    private readonly outbound: OutboundMessageRepository,
    private readonly pending: PendingReceiptRepository,
    private readonly contacts: ContactRepository,
    private readonly health: NumberHealthService,
    private readonly db: TenantDb,
  ) {}

  /** Applies one comune's receipts; returns how many messages they matched and how many were parked. */
  async apply(tenantId: TenantId, events: readonly StatusEvent[]): Promise<{ matched: number; parked: number }> {
    // One transaction: a message that becomes failed and what that means for the citizen or the
    // number are recorded together, or not at all (a retry then finds the message not yet failed).
    return this.db.forTenant(tenantId, () => this.applyNow(tenantId, events));
  }

  private async applyNow(tenantId: TenantId, events: readonly StatusEvent[]): Promise<{ matched: number; parked: number }> {
    const updates = reduceReceipts(events);
    const applied = await this.outbound.applyReceipts(tenantId, updates);
    const matched = new Set(applied.map((a) => a.providerMessageId));
    const byId = new Set(applied.map((a) => a.id as string));
    const unmatched = updates.filter((u) => !matched.has(u.providerMessageId) && !(u.id !== null && byId.has(u.id)));
    await this.pending.park(
      tenantId,
      unmatched.map((u) => ({
        providerMessageId: u.providerMessageId,
        status: u.status,
        occurredAt: u.failedAt ?? u.readAt ?? u.deliveredAt ?? u.sentAt ?? new Date(),
        receipt: { ...u },
      })),
    );
    await this.effects(tenantId, applied);
    return { matched: applied.length, parked: unmatched.length };
  }

  /**
   * Applies receipts parked for these provider message ids, now that their messages may be known.
   * Those still unmatched stay parked with their original age, so the sweep drops them after a day.
   */
  applyParked(tenantId: TenantId, providerMessageIds: readonly string[]): Promise<number> {
    return this.db.forTenant(tenantId, () => this.applyParkedNow(tenantId, providerMessageIds));
  }

  private async applyParkedNow(tenantId: TenantId, providerMessageIds: readonly string[]): Promise<number> {
    const parked = await this.pending.find(tenantId, providerMessageIds);
    if (parked.length === 0) return 0;
    const applied = await this.outbound.applyReceipts(tenantId, mergeReceiptUpdates(parked.map(deserialise)));
    await this.pending.remove(tenantId, [...new Set(applied.map((a) => a.providerMessageId))]);
    await this.effects(tenantId, applied);
    return applied.length;
  }

  /** What a failure that just happened means beyond the message itself. */
  private async effects(tenantId: TenantId, applied: readonly AppliedReceipt[]): Promise<void> {
    for (const a of applied) {
      if (a.status !== 'failed' || a.oldStatus === 'failed') continue;
      const action = a.errorAction;
      if (action === 'pause_number') {
        await this.health.pauseForError(tenantId, a.numberId, a.errorCode, `receipt error ${a.errorCode ?? 'unknown'}`);
      } else if (a.contactId && (action === 'recipient_permanent' || action === 'marketing_opt_out' || action === 'hold_recipient')) {
        await this.contacts.recordDeliveryFailure(tenantId, a.contactId, {
          errorCode: a.errorCode,
          undeliverable: action === 'recipient_permanent',
          // 131050 blocks marketing only; a utility message to the same citizen still goes.
          marketingOptOutAt: action === 'marketing_opt_out' ? new Date() : undefined,
          holdUntil: action === 'hold_recipient' ? new Date(Date.now() + HOLD_MS) : undefined,
        });
      } else if (action === 'bug') {
        this.logger.error({ event: 'receipt_bug', tenantId, outboundId: a.id, code: a.errorCode }, 'a message failed because our request was wrong');
      }
    }
  }
}

function deserialise(r: Record<string, unknown>): ReceiptUpdate {
  const date = (v: unknown): Date | null => (typeof v === 'string' ? new Date(v) : null);
  return {
    id: (r.id as ReceiptUpdate['id']) ?? null,
    providerMessageId: String(r.providerMessageId),
    status: r.status as ReceiptUpdate['status'],
    sentAt: date(r.sentAt),
    deliveredAt: date(r.deliveredAt),
    readAt: date(r.readAt),
    failedAt: date(r.failedAt),
    errorCode: typeof r.errorCode === 'number' ? r.errorCode : null,
    errorReason: typeof r.errorReason === 'string' ? r.errorReason : null,
    errorAction: typeof r.errorAction === 'string' ? r.errorAction : null,
    pricing: (r.pricing as Record<string, unknown> | null) ?? null,
  };
}
