import { isUuid, type OutboundMessageId } from '#common';
import type { OutboundStatus, ReceiptUpdate } from '#database';
import { classifyErrorCode, type StatusEvent } from '#whatsapp';

/**
 * The outbound state machine. Receipts arrive duplicated and out of order, so a message only
 * moves up: queued → sending/unknown → accepted → sent → delivered → read. `failed` wins over
 * anything not yet delivered and is final, except when it only meant "the outcome stayed unknown
 * too long" ('unknown_expired'), which a real receipt corrects. `cancelled` and `skipped` (never
 * sent) are final.
 * OutboundMessageRepository.applyReceipts runs the same rule in SQL; this function is its spec.
 */
export const STATUS_RANK: Record<OutboundStatus, number> = {
  queued: 0,
  sending: 1,
  unknown: 1,
  accepted: 2,
  sent: 3,
  delivered: 4,
  read: 5,
  failed: 0,
  cancelled: 0,
  skipped: 0,
};

export type ReceiptStatus = ReceiptUpdate['status'];

export function nextOutboundStatus(current: OutboundStatus, currentErrorAction: string | null, receipt: ReceiptStatus): OutboundStatus {
  if (current === 'cancelled' || current === 'skipped') return current;
  if (current === 'failed' && currentErrorAction !== 'unknown_expired') return current;
  if (receipt === 'failed') return current === 'delivered' || current === 'read' ? current : 'failed';
  if (current === 'failed') return receipt;
  return STATUS_RANK[receipt] > STATUS_RANK[current] ? receipt : current;
}

const minDate = (a: Date | null, b: Date): Date => (a === null || b < a ? b : a);

/**
 * Folds a batch's receipts into one update per message: the first time each state was seen, the
 * furthest state, the first error, the billing info. `played` (a voice note was listened to)
 * counts as read.
 */
export function reduceReceipts(events: readonly StatusEvent[]): ReceiptUpdate[] {
  const byMessage = new Map<string, ReceiptUpdate>();
  for (const e of events) {
    let u = byMessage.get(e.providerMessageId);
    if (!u) {
      u = {
        id: null,
        providerMessageId: e.providerMessageId,
        status: 'sent',
        sentAt: null,
        deliveredAt: null,
        readAt: null,
        failedAt: null,
        errorCode: null,
        errorReason: null,
        errorAction: null,
        pricing: null,
      };
      byMessage.set(e.providerMessageId, u);
    }
    if (u.id === null && e.correlationId !== null && isUuid(e.correlationId)) u.id = e.correlationId as OutboundMessageId;
    if (e.pricing) u.pricing = { ...e.pricing };
    switch (e.status) {
      case 'sent':
        u.sentAt = minDate(u.sentAt, e.timestamp);
        break;
      case 'delivered':
        u.deliveredAt = minDate(u.deliveredAt, e.timestamp);
        break;
      case 'read':
      case 'played':
        u.readAt = minDate(u.readAt, e.timestamp);
        break;
      case 'failed': {
        u.failedAt = minDate(u.failedAt, e.timestamp);
        const err = e.errors[0];
        if (u.errorCode === null && err) {
          u.errorCode = err.code;
          u.errorReason = [err.title, err.details ?? err.message].filter(Boolean).join(': ') || null;
          u.errorAction = err.code === null ? 'bug' : classifyErrorCode(err.code);
        }
        if (u.errorAction === null) u.errorAction = 'bug';
        break;
      }
    }
  }
  for (const u of byMessage.values()) {
    // A failure reported after delivery does not undo the delivery (nextOutboundStatus).
    u.status = u.readAt ? 'read' : u.deliveredAt ? 'delivered' : u.failedAt ? 'failed' : 'sent';
  }
  return [...byMessage.values()];
}

/** Merges updates that concern the same message (parked receipts from different batches) into one. */
export function mergeReceiptUpdates(updates: readonly ReceiptUpdate[]): ReceiptUpdate[] {
  const byMessage = new Map<string, ReceiptUpdate>();
  const earliest = (a: Date | null, b: Date | null): Date | null => (a === null ? b : b === null ? a : b < a ? b : a);
  for (const u of updates) {
    const m = byMessage.get(u.providerMessageId);
    if (!m) {
      byMessage.set(u.providerMessageId, { ...u });
      continue;
    }
    m.id = m.id ?? u.id;
    m.sentAt = earliest(m.sentAt, u.sentAt);
    m.deliveredAt = earliest(m.deliveredAt, u.deliveredAt);
    m.readAt = earliest(m.readAt, u.readAt);
    if (m.failedAt === null && u.failedAt !== null) {
      m.failedAt = u.failedAt;
      m.errorCode = u.errorCode;
      m.errorReason = u.errorReason;
      m.errorAction = u.errorAction;
    }
    m.pricing = u.pricing ?? m.pricing;
  }
  for (const m of byMessage.values()) m.status = m.readAt ? 'read' : m.deliveredAt ? 'delivered' : m.failedAt ? 'failed' : 'sent';
  return [...byMessage.values()];
}
