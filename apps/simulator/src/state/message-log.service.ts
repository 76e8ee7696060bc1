import { Injectable } from '@nestjs/common';
import type { OutboundMessageType } from '../graph/outbound-message.js';
import type { AsyncError } from '../webhooks/async-errors.js';

export type OutboundStatus = 'accepted' | 'sent' | 'delivered' | 'read' | 'failed';

/** An outbound message the simulator accepted, as GET /_sim/messages lists it. */
export interface OutboundRecord {
  direction: 'outbound';
  wamid: string;
  phoneNumberId: string;
  /** `to` (or `recipient`) exactly as sent. */
  to: string;
  waId: string | null;
  type: OutboundMessageType;
  /** The request body as received. */
  body: unknown;
  bizOpaqueCallbackData: string | null;
  acceptedAt: string;
  /** Set when the response was held (accept-then-timeout): the client most likely never read it. */
  responseHeldMs: number | null;
  /** The furthest status reached so far (webhooks may be sent out of order; this never goes back). */
  status: OutboundStatus;
  statuses: { status: Exclude<OutboundStatus, 'accepted'>; at: string }[];
  errors: AsyncError[];
}

/** A citizen's message the simulator posted to the platform. */
export interface InboundRecord {
  direction: 'inbound';
  wamid: string;
  phoneNumberId: string;
  from: string;
  userId: string | null;
  profileName: string | null;
  type: string;
  /** The `messages[]` item of the webhook. */
  message: Record<string, unknown>;
  receivedAt: string;
  /** HTTP status of the first delivery attempt (null: no answer). */
  webhookStatus: number | null;
  /** When the platform marked it (or a later message) as read. */
  readAt: string | null;
}

export type ConversationEntry = OutboundRecord | InboundRecord;

export interface ConversationSummary {
  waId: string;
  profileName: string | null;
  messages: number;
  lastAt: string;
  windowOpenUntil: string | null;
}

/** WhatsApp's customer-service window: 24 h from the citizen's last message. */
export const WINDOW_MS = 24 * 3_600_000;

const RANK: Record<OutboundStatus, number> = { accepted: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

const pairKey = (phoneNumberId: string, id: string): string => `${phoneNumberId}\u0000${id}`;

/** Every message in both directions, and the windows they open. */
@Injectable()
export class MessageLogService {
  private readonly outbound: OutboundRecord[] = [];
  private readonly outboundById = new Map<string, OutboundRecord>();
  private readonly inbound: InboundRecord[] = [];
  private readonly lastInbound = new Map<string, number>();
  private readonly waIdByUserId = new Map<string, string>();

  addOutbound(record: OutboundRecord): void {
    this.outbound.push(record);
    this.outboundById.set(record.wamid, record);
  }

  addInbound(record: InboundRecord, at: number): void {
    this.inbound.push(record);
    this.lastInbound.set(pairKey(record.phoneNumberId, record.from), at);
    if (record.userId) this.waIdByUserId.set(pairKey(record.phoneNumberId, record.userId), record.from);
  }

  findOutbound(wamid: string): OutboundRecord | undefined {
    return this.outboundById.get(wamid);
  }

  findInbound(phoneNumberId: string, wamid: string): InboundRecord | undefined {
    return this.inbound.find((m) => m.phoneNumberId === phoneNumberId && m.wamid === wamid);
  }

  /** Records a status that was posted; the record keeps the furthest one (failed is terminal). */
  recordStatus(wamid: string, status: Exclude<OutboundStatus, 'accepted'>, at: Date, errors: AsyncError[] = []): void {
    const record = this.outboundById.get(wamid);
    if (!record) return;
    if (!record.statuses.some((s) => s.status === status)) record.statuses.push({ status, at: at.toISOString() });
    if (record.status !== 'failed' && RANK[status] > RANK[record.status]) record.status = status;
    if (errors.length > 0) record.errors = errors;
  }

  /** Marking one message read marks the earlier ones of the conversation read too, as on WhatsApp. */
  markInboundRead(phoneNumberId: string, wamid: string, at: Date): boolean {
    const target = this.findInbound(phoneNumberId, wamid);
    if (!target) return false;
    for (const message of this.inbound) {
      if (message.phoneNumberId === phoneNumberId && message.from === target.from && message.receivedAt <= target.receivedAt && !message.readAt) {
        message.readAt = at.toISOString();
      }
    }
    return true;
  }

  /** The wa_id behind a business-scoped user id, once that user has written to the number. */
  waIdForUser(phoneNumberId: string, userId: string): string | undefined {
    return this.waIdByUserId.get(pairKey(phoneNumberId, userId));
  }

  windowOpenUntil(phoneNumberId: string, waId: string): number | null {
    const last = this.lastInbound.get(pairKey(phoneNumberId, waId));
    return last === undefined ? null : last + WINDOW_MS;
  }

  isWindowOpen(phoneNumberId: string, waId: string, now: number): boolean {
    const until = this.windowOpenUntil(phoneNumberId, waId);
    return until !== null && now < until;
  }

  /** Moves the citizen's last message in time (null forgets it), to test expired windows. */
  setLastInbound(phoneNumberId: string, waId: string, at: number | null): void {
    if (at === null) this.lastInbound.delete(pairKey(phoneNumberId, waId));
    else this.lastInbound.set(pairKey(phoneNumberId, waId), at);
  }

  listOutbound(filter: { phoneNumberId?: string; to?: string; since?: Date }): OutboundRecord[] {
    const toDigits = filter.to?.replace(/\D/g, '');
    return this.outbound.filter(
      (m) =>
        (filter.phoneNumberId === undefined || m.phoneNumberId === filter.phoneNumberId) &&
        (filter.to === undefined || m.to === filter.to || (toDigits !== '' && m.waId === toDigits)) &&
        (filter.since === undefined || new Date(m.acceptedAt) >= filter.since),
    );
  }

  conversation(phoneNumberId: string, waId: string): ConversationEntry[] {
    const entries: ConversationEntry[] = [
      ...this.inbound.filter((m) => m.phoneNumberId === phoneNumberId && m.from === waId),
      ...this.outbound.filter((m) => m.phoneNumberId === phoneNumberId && m.waId === waId),
    ];
    const at = (e: ConversationEntry): string => (e.direction === 'inbound' ? e.receivedAt : e.acceptedAt);
    // A stable sort keeps the arrival order of entries within the same millisecond.
    return entries.sort((a, b) => at(a).localeCompare(at(b)));
  }

  conversations(phoneNumberId: string): ConversationSummary[] {
    const byWaId = new Map<string, ConversationSummary>();
    for (const entry of [...this.inbound, ...this.outbound]) {
      if (entry.phoneNumberId !== phoneNumberId) continue;
      const waId = entry.direction === 'inbound' ? entry.from : entry.waId;
      if (!waId) continue;
      const at = entry.direction === 'inbound' ? entry.receivedAt : entry.acceptedAt;
      const summary = byWaId.get(waId) ?? { waId, profileName: null, messages: 0, lastAt: at, windowOpenUntil: null };
      summary.messages += 1;
      if (at > summary.lastAt) summary.lastAt = at;
      if (entry.direction === 'inbound' && entry.profileName) summary.profileName = entry.profileName;
      byWaId.set(waId, summary);
    }
    return [...byWaId.values()]
      .map((s) => {
        const until = this.windowOpenUntil(phoneNumberId, s.waId);
        return { ...s, windowOpenUntil: until === null ? null : new Date(until).toISOString() };
      })
      .sort((a, b) => b.lastAt.localeCompare(a.lastAt));
  }

  clear(): void {
    this.outbound.length = 0;
    this.outboundById.clear();
    this.inbound.length = 0;
    this.lastInbound.clear();
    this.waIdByUserId.clear();
  }
}
