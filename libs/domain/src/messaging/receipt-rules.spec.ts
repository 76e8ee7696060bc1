import type { OutboundStatus } from '#database';
import type { StatusEvent } from '#whatsapp';
import { mergeReceiptUpdates, nextOutboundStatus, reduceReceipts } from './receipt-rules.js';
import { isServiceWindowOpen, serviceWindowClosesAt } from './window-rules.js';

const ID = '0b7e4c1e-7a57-4a5e-9f0e-6d0f6f3d1a11';

function status(s: StatusEvent['status'], at: number, extra: Partial<StatusEvent> = {}): StatusEvent {
  return {
    kind: 'status',
    wabaId: '1',
    phoneNumberId: '2',
    providerMessageId: 'wamid.A',
    status: s,
    timestamp: new Date(at * 1000),
    recipientId: '393331234567',
    recipientUserId: null,
    correlationId: ID,
    pricing: null,
    errors: [],
    ...extra,
  };
}

describe('nextOutboundStatus', () => {
  it.each<[OutboundStatus, string | null, 'sent' | 'delivered' | 'read' | 'failed', OutboundStatus]>([
    ['sending', null, 'sent', 'sent'],
    ['unknown', 'unknown_outcome', 'delivered', 'delivered'],
    ['accepted', null, 'read', 'read'],
    ['read', null, 'sent', 'read'],
    ['read', null, 'delivered', 'read'],
    ['delivered', null, 'sent', 'delivered'],
    ['sent', null, 'failed', 'failed'],
    ['accepted', null, 'failed', 'failed'],
    ['delivered', null, 'failed', 'delivered'],
    ['failed', '131026', 'sent', 'failed'],
    ['failed', 'recipient_permanent', 'read', 'failed'],
    ['failed', 'unknown_expired', 'sent', 'sent'],
    ['cancelled', null, 'read', 'cancelled'],
  ])('%s (%s) + %s receipt → %s', (current, action, receipt, expected) => {
    expect(nextOutboundStatus(current, action, receipt)).toBe(expected);
  });

  it('reaches the same final state whatever order the receipts come in', () => {
    const receipts = ['sent', 'delivered', 'read', 'sent', 'delivered'] as const;
    const orders = [receipts, [...receipts].reverse(), ['read', 'sent', 'delivered', 'read', 'sent'] as const];
    for (const order of orders) {
      let s: OutboundStatus = 'accepted';
      for (const r of order) s = nextOutboundStatus(s, null, r);
      expect(s).toBe('read');
    }
  });
});

describe('reduceReceipts', () => {
  it('keeps the first time of each state and the furthest state, deduplicating', () => {
    const [u] = reduceReceipts([status('read', 30), status('sent', 10), status('sent', 12), status('delivered', 20), status('delivered', 20)]);
    expect(u).toMatchObject({ id: ID, providerMessageId: 'wamid.A', status: 'read' });
    expect(u.sentAt).toEqual(new Date(10_000));
    expect(u.deliveredAt).toEqual(new Date(20_000));
    expect(u.readAt).toEqual(new Date(30_000));
  });

  it('classifies a failure from its error code, never from its text', () => {
    const [u] = reduceReceipts([
      status('failed', 5, { errors: [{ code: 131047, title: 'Re-engagement message', message: null, details: 'More than 24 hours have passed' }] }),
    ]);
    expect(u).toMatchObject({ status: 'failed', errorCode: 131047, errorAction: 'template' });
    expect(u.errorReason).toContain('Re-engagement message');
  });

  it('does not let a failure undo a delivery in the same batch', () => {
    const [u] = reduceReceipts([
      status('delivered', 5),
      status('failed', 6, { errors: [{ code: 131026, title: 'x', message: null, details: null }] }),
    ]);
    expect(u.status).toBe('delivered');
  });

  it('falls back to the provider id when the correlation id is not ours', () => {
    const [u] = reduceReceipts([status('sent', 1, { correlationId: 'campaign-42' })]);
    expect(u.id).toBeNull();
  });

  it('counts played as read and keeps the pricing', () => {
    const pricing = { billable: true, model: 'PMP', type: 'regular', category: 'utility' };
    const [u] = reduceReceipts([status('played', 9, { pricing })]);
    expect(u).toMatchObject({ status: 'read', pricing });
  });

  it('keeps different messages apart', () => {
    expect(reduceReceipts([status('sent', 1), status('sent', 1, { providerMessageId: 'wamid.B' })])).toHaveLength(2);
  });
});

describe('service window', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  it('is open within 24 h less the margin, closed after or without any message', () => {
    expect(isServiceWindowOpen(new Date('2026-11-23T00:00:00Z'), now)).toBe(true);
    expect(isServiceWindowOpen(new Date('2026-11-22T12:05:00Z'), now)).toBe(false);
    expect(isServiceWindowOpen(new Date('2026-11-22T11:00:00Z'), now)).toBe(false);
    expect(isServiceWindowOpen(null, now)).toBe(false);
  });
  it('says when it closes', () => {
    expect(serviceWindowClosesAt(new Date('2026-11-23T00:00:00Z'), now)).toEqual(new Date('2026-11-24T00:00:00Z'));
    expect(serviceWindowClosesAt(new Date('2026-11-22T00:00:00Z'), now)).toBeNull();
  });
});

describe('mergeReceiptUpdates', () => {
  it('folds parked receipts of one message into a single update', () => {
    const a = reduceReceipts([status('sent', 10, { correlationId: null })])[0];
    const b = reduceReceipts([status('read', 30)])[0];
    const merged = mergeReceiptUpdates([b, a]);
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ id: ID, status: 'read', sentAt: new Date(10_000), readAt: new Date(30_000) });
  });
});
