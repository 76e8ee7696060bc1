import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  APP_CONFIG,
  newId,
  type AppConfig,
  NotFoundError,
  ValidationError,
  type ContactId,
  type NumberId,
  type OutboundMessageId,
  type TenantId,
} from '#common';
import {
  ContactRepository,
  OutboundMessageRepository,
  TenantDb,
  WhatsappNumberRepository,
  type ClaimedContact,
  type ClaimedMessage,
  type MessageCategory,
  type OutboundKind,
  type OutboundMessageEntity,
  whileDatabaseUnavailable,
} from '#database';
import {
  buildSendBody,
  classifyProviderError,
  maxSendAttempts,
  ProviderError,
  retryDelayMs,
  type MessageContent,
  type Recipient,
  type SendFailureAction,
} from '#whatsapp';
import { NumberDirectory, type SendingNumber } from './number-directory.js';
import { NumberHealthService } from './number-health.service.js';
import { EMERGENCY_HOLD_MS, NumberPacer, type PacingLane, type Reservation } from './number-pacer.js';
import { ProviderRegistry } from './provider-registry.js';
import { ReceiptsService } from './receipts.service.js';
import { isServiceWindowOpen } from './window-rules.js';
import { EMERGENCY_PRIORITY, LOST_JOB_AFTER_MS } from './send-plan.js';
import { SendPlanner } from './send-planner.js';
import { CampaignDispatchService, type RecipientProfiles } from '../campaigns/campaign-dispatch.service.js';
import { MEDIA_REUPLOAD_ACTION } from '../campaigns/campaign-rules.js';

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

/** A campaign batch job's number and lane (SendOutboundPayload): its slots are reserved before the claim. */
export interface BatchHint {
  numberId: NumberId;
  lane: 'normal' | 'emergency';
  /** The earliest planned time its rows show in PostgreSQL (epoch ms); null: unknown (an older job). */
  plannedAt?: number | null;
}

/** A batch put back within this of LOST_JOB_AFTER_MS writes its rows' new time (the sweep's view). */
const LEASE_MARGIN_MS = 30_000;
/** An emergency's throughput retries keep its number's normal traffic held until this long after they are due. */
const HOLD_BEYOND_RETRY_MS = 1_000;
/** A normal batch refused slots comes back after up to this much more, so the batches waiting on a number do not all come back at once. */
const RETRY_SPREAD_MS = 250;

type Granted = Extract<Reservation, { tat: string }>;
/** Why a message was not sent on its reserved slot: an emergency took the slot back, or its campaign was paused or cancelled meanwhile. */
type Withheld = 'preempted' | 'stopped';
/**
 * When withheld messages are due again, and what is logged. Pre-empted: once the emergency's hold
 * would have lapsed (their jobs wait while it is renewed). Stopped: now, and the claim finds the
 * campaign paused (resume plans them again) or resumed already; a cancelled campaign's are
 * cancelled by the release itself.
 */
const WITHHELD: Record<Withheld, { dueInMs: number; event: string; message: string }> = {
  preempted: { dueInMs: EMERGENCY_HOLD_MS, event: 'send_preempted', message: "an emergency took these messages' slots: queued again" },
  stopped: { dueInMs: 0, event: 'send_stopped', message: 'campaign paused or cancelled: messages not sent' },
};

/** A claimed message with what goes to the provider. */
interface Ready {
  row: ClaimedMessage;
  content: MessageContent;
  category: MessageCategory | null;
  /** Campaign messages record the content each recipient got (it is rendered at send time). */
  record: boolean;
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

/** A batch job claims messages due up to this far ahead: its slots spread over about a second. */
const CLAIM_AHEAD_MS = 2_000;
const HOLD_MS = 24 * 60 * 60 * 1000;
/**
 * How long a number stays slowed down after a cluster of 130429s (Meta: pace, retry in 1–5 s).
 * Each new cluster renews it and slows further; most clusters are a passing backlog, and a minute,
 * then 10 s, at half pace cost a newsletter far more than the errors did.
 */
const SLOW_DOWN_MS = 5_000;

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
    private readonly planner: SendPlanner,
    private readonly campaignContent: CampaignDispatchService,
    private readonly db: TenantDb,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
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
    if (number.status === 'active') {
      await this.planner.enqueue([{ tenantId, id, numberId: row.numberId, campaignId: null, priority: row.priority, nextAttemptAt: null }]);
    }
    return row;
  }

  /**
   * Sends a batch of queued messages (one reply, or a campaign's tens to a hundred). Idempotent: a
   * duplicate or stale job finds nothing to claim. Claims the rows in one statement, decides each
   * message's content, reserves the number's slots, sends at those slots and records what Meta
   * accepted in one statement.
   */
  async dispatchBatch(tenantId: TenantId, ids: readonly OutboundMessageId[], hint?: BatchHint): Promise<void> {
    // A campaign batch counts towards its number's backlog in this process from its reservation
    // until it is done (NumberPacer.backlogWait).
    const holding: { numberId: NumberId | null; count: number } = { numberId: null, count: 0 };
    try {
      await this.dispatchHeldBatch(tenantId, ids, hint, holding);
    } finally {
      if (holding.numberId !== null) this.pacer.unhold(holding.numberId, holding.count);
    }
  }

  private async dispatchHeldBatch(
    tenantId: TenantId,
    ids: readonly OutboundMessageId[],
    hint: BatchHint | undefined,
    holding: { numberId: NumberId | null; count: number },
  ): Promise<void> {
    // A campaign batch reserves its number's slots first and claims no more rows than it got: a row
    // is 'sending' only when it is about to go, so a worker that dies leaves few in doubt (ADR 0009).
    let reserved: Granted | null = null;
    if (hint) {
      const sender = await this.directory.get(tenantId, hint.numberId);
      if (sender?.number.status === 'active') {
        // This process is behind the batches it already holds for the number: no more rows claimed
        // until it catches up. Checked and held in one step, so concurrent jobs cannot all pass.
        const behind = this.pacer.backlogWait(hint.numberId, sender.number.mpsCap);
        if (behind > 0) {
          await this.postponeBatch(tenantId, ids, hint, behind);
          return;
        }
        this.pacer.hold(hint.numberId, ids.length);
        holding.numberId = hint.numberId;
        holding.count = ids.length;
        const slots = await this.pacer.reserve(hint.numberId, sender.number.mpsCap, ids.length, hint.lane);
        if (!('startInMs' in slots)) {
          // The number is at its pace, or an emergency holds it: the batch comes back, nothing claimed.
          // Normal batches spread their return over about their own length, so the ones waiting
          // behind a slowed-down number do not all ask again together (one wins, the rest bounce);
          // the one next in line comes back exactly when it fits, or the number would idle until it did.
          const spread =
            hint.lane === 'normal' && !slots.nextInLine ? Math.random() * Math.min(RETRY_SPREAD_MS, (ids.length * 1000) / sender.number.mpsCap) : 0;
          await this.postponeBatch(tenantId, ids, hint, slots.retryInMs + Math.round(spread));
          return;
        }
        reserved = slots;
      }
    }
    // The claim and what deciding each message needs (contacts, campaign recipients' profiles), in
    // one statement: should it fail, nothing is claimed and the rows stay queued for the retry.
    const { rows, contacts, profiles, departed } = await this.outbound.claimBatch(tenantId, ids, CLAIM_AHEAD_MS, reserved?.granted);
    if (rows.length === 0) {
      if (reserved && hint) await this.pacer.refund(hint.numberId, reserved, reserved.granted);
      return;
    }
    if (reserved && hint && rows.length === reserved.granted && reserved.granted < ids.length) {
      // More of the batch than the slots: the rest follows once these slots have gone.
      const taken = new Set<string>(rows.map((r) => r.id));
      await this.postponeBatch(
        tenantId,
        ids.filter((id) => !taken.has(id)),
        hint,
        reserved.startInMs + reserved.granted * reserved.intervalMs,
      );
    }
    const byNumber = new Map<NumberId, ClaimedMessage[]>();
    for (const r of rows) {
      const group = byNumber.get(r.numberId);
      if (group) group.push(r);
      else byNumber.set(r.numberId, [r]);
    }
    for (const [numberId, group] of byNumber) {
      // Rows handed to the provider are never put back: Meta may have them (docs/adr/0006).
      const handedOff = new Set<OutboundMessageId>();
      try {
        await this.dispatchNumber(tenantId, numberId, group, { contacts, profiles, departed }, handedOff, reserved);
      } catch (err) {
        // What never left goes back for the job's retry (or the sweep). A row that did leave and
        // whose outcome could not be recorded stays 'sending': the sweep makes it an unknown
        // outcome, settled by its receipt.
        const untouched = group.filter((r) => !handedOff.has(r.id)).map((r) => r.id);
        await this.outbound.releaseMany(tenantId, untouched, { nextAttemptAt: null, refundAttempt: true });
        this.logger.error(
          { event: 'dispatch_batch_failed', tenantId, numberId, released: untouched.length, inDoubt: handedOff.size, reason: (err as Error).message },
          'a send batch failed',
        );
        if (handedOff.size === 0) throw err;
      }
    }
  }

  /**
   * Rows of a campaign batch that did not get slots now: due again in `delayMs`, with a job for
   * then. Their planned time in PostgreSQL moves only when the sweep would otherwise take them for
   * lost before the job is back (LOST_JOB_AFTER_MS): at 1,000 msg/s behind a slowed-down number
   * batches come back several times a second, and writing 100 rows each time cost PostgreSQL more
   * than sending them.
   */
  private async postponeBatch(tenantId: TenantId, ids: readonly OutboundMessageId[], hint: BatchHint, delayMs: number): Promise<void> {
    if (ids.length === 0) return;
    const due = Date.now() + delayMs;
    let plannedAt = hint.plannedAt ?? null;
    if (plannedAt === null || due > plannedAt + LOST_JOB_AFTER_MS - LEASE_MARGIN_MS) {
      // Still queued, nothing else changes; never earlier than planned.
      await this.outbound.postpone(tenantId, ids, new Date(due));
      plannedAt = due;
    }
    await this.planner.requeueBatch({ tenantId, outboundIds: [...ids], delayMs, numberId: hint.numberId, lane: hint.lane, plannedAt });
  }

  /** One message (tests and tools); the worker uses dispatchBatch. */
  dispatch(tenantId: TenantId, outboundId: OutboundMessageId): Promise<void> {
    return this.dispatchBatch(tenantId, [outboundId]);
  }

  private async dispatchNumber(
    tenantId: TenantId,
    numberId: NumberId,
    rows: ClaimedMessage[],
    lookups: { contacts: ReadonlyMap<ContactId, ClaimedContact>; profiles: RecipientProfiles; departed: ReadonlySet<OutboundMessageId> },
    handedOff: Set<OutboundMessageId>,
    reserved: Granted | null = null,
  ): Promise<void> {
    const ids = rows.map((r) => r.id);
    const campaignIds = [...new Set(rows.flatMap((r) => (r.campaignId ? [r.campaignId] : [])))];
    const sender = await this.directory.get(tenantId, numberId);
    if (!sender || sender.number.status === 'disabled') {
      await this.outbound.finishUnsent(tenantId, ids, 'failed', { code: null, reason: 'the number is disabled', action: 'bug' });
      return;
    }
    if (sender.number.status === 'paused') {
      // Stays queued; resuming the number enqueues it again.
      await this.outbound.releaseMany(tenantId, ids, { nextAttemptAt: null, refundAttempt: true });
      return;
    }

    const now = Date.now();
    const { contacts } = lookups;
    const campaignPlans = await this.campaignContent.prepare(
      tenantId,
      rows.filter((r) => r.campaignId !== null),
      contacts,
      lookups.profiles,
      lookups.departed,
    );
    const ready: Ready[] = [];
    const deferred = new Map<number, OutboundMessageId[]>();
    const defer = (id: OutboundMessageId, at: number): void => {
      const list = deferred.get(at);
      if (list) list.push(id);
      else deferred.set(at, [id]);
    };
    for (const row of rows) {
      const held = row.contactId ? contacts.get(row.contactId)?.heldUntil : null;
      if (held && held.getTime() > now) {
        defer(row.id, held.getTime());
        continue;
      }
      if (row.campaignId === null) {
        if (row.content === null) {
          await this.outbound.finishUnsent(tenantId, [row.id], 'failed', {
            code: null,
            reason: 'the content was purged by retention before it was sent',
            action: 'bug',
          });
        } else ready.push({ row, content: row.content as unknown as MessageContent, category: null, record: false });
        continue;
      }
      const plan = campaignPlans.get(row.id);
      if (!plan) continue;
      switch (plan.kind) {
        case 'send':
          ready.push({ row, content: plan.content, category: plan.category, record: true });
          break;
        case 'defer':
          defer(row.id, plan.until.getTime());
          break;
        case 'skip':
        case 'fail':
          await this.outbound.finishUnsent(tenantId, [row.id], plan.kind === 'skip' ? 'skipped' : 'failed', {
            code: null,
            reason: plan.reason,
            action: plan.action,
          });
          break;
      }
    }
    for (const [at, deferredIds] of deferred) await this.requeueMany(tenantId, rows, deferredIds, new Date(at), true);

    // Slots reserved before the claim and not needed now (rows another job had, recipients deferred,
    // skipped or failed) go back to the number, if no other reservation came after.
    const unused = reserved ? reserved.granted - ready.length : 0;
    if (reserved && unused > 0) await this.pacer.refund(numberId, reserved, unused);
    let sent = false;
    if (ready.length > 0) {
      const lane: PacingLane = ready[0].row.kind !== 'campaign' ? 'reply' : ready[0].row.priority >= EMERGENCY_PRIORITY ? 'emergency' : 'normal';
      // A campaign batch reserved before its claim, for at least as many rows as are ready now.
      const slots = reserved ?? (await this.pacer.reserve(numberId, sender.number.mpsCap, ready.length, lane));
      if (!('startInMs' in slots)) {
        await this.requeueMany(
          tenantId,
          rows,
          ready.map((r) => r.row.id),
          new Date(Date.now() + slots.retryInMs),
          true,
        );
      } else {
        const later = ready.splice(slots.granted);
        if (later.length > 0) {
          const at = Date.now() + slots.startInMs + slots.granted * slots.intervalMs;
          await this.requeueMany(
            tenantId,
            rows,
            later.map((r) => r.row.id),
            new Date(at),
            true,
          );
        }
        await this.sendAtSlots(tenantId, sender, ready, slots, lane, handedOff, campaignIds);
        sent = true;
      }
    }
    // Usually done by sendAtSlots with the outcomes; here for batches that sent nothing.
    if (campaignIds.length > 0 && !sent) await this.campaignContent.afterBatch(tenantId, campaignIds);
  }

  /**
   * Sends each message at its reserved slot, concurrently, and records the outcomes. A normal
   * campaign's slots that an emergency on the number took back (NumberPacer) are not used: those
   * messages go back to the queue, behind the emergency.
   */
  private async sendAtSlots(
    tenantId: TenantId,
    sender: SendingNumber,
    ready: readonly Ready[],
    slots: Granted,
    lane: PacingLane,
    handedOff: Set<OutboundMessageId>,
    campaignIds: readonly string[],
  ): Promise<void> {
    const t0 = slots.startAt;
    const numberId = sender.number.id;
    const provider = this.providers.for(sender.providerKind);
    // A slot an emergency took back, or a message of a campaign paused or cancelled since the slots were reserved.
    const withheld = (row: ClaimedMessage): Withheld | null =>
      lane === 'normal' && this.pacer.preemptedSince(numberId, slots.reservedAt)
        ? 'preempted'
        : row.campaignId !== null && this.pacer.stoppedSince(row.campaignId, slots.reservedAt)
          ? 'stopped'
          : null;
    const sendOne = async (item: Ready, i: number) => {
      const wait = t0 + i * slots.intervalMs - Date.now();
      if (wait > 1) await sleep(wait);
      // Checked before the send is counted and again after any wait for room: the nearest to the send.
      let held = withheld(item.row);
      if (held) return { item, accepted: null, error: null, withheld: held };
      const room = await this.pacer.waitForRoom(numberId, sender.number.mpsCap);
      held = withheld(item.row);
      if (held) {
        this.pacer.release(room);
        return { item, accepted: null, error: null, withheld: held };
      }
      handedOff.add(item.row.id);
      try {
        const accepted = await provider.send({
          from: sender.credentials,
          to: item.row.recipientKind === 'phone' ? { kind: 'phone', e164: item.row.recipient } : { kind: 'bsuid', userId: item.row.recipient },
          content: item.content,
          replyTo: item.row.replyToWamid ?? undefined,
          correlationId: item.row.id,
        });
        return { item, accepted, error: null, withheld: null };
      } catch (error) {
        return { item, accepted: null, error, withheld: null };
      } finally {
        // Meta counted the send by now, at the latest: it leaves this process's window a second later.
        this.pacer.answered(room);
      }
    };
    const outcomes = await Promise.all(ready.map(sendOne));
    const accepted = outcomes.flatMap((o) =>
      o.accepted
        ? [
            {
              id: o.item.row.id,
              providerMessageId: o.accepted.providerMessageId,
              providerWaId: o.accepted.waId,
              content: o.item.record ? (o.item.content as unknown as Record<string, unknown>) : null,
              category: o.item.category,
            },
          ]
        : [],
    );
    // Meta has these messages. Should recording them fail, the rows stay 'sending': the sweep then
    // treats them as unknown outcomes, which their receipts (carrying our id) settle. Never re-sent.
    // One transaction: the acceptances and the receipts that beat the responses and carried no
    // correlation id (parked, waiting for the wamids).
    const failures = outcomes.filter((o) => o.error !== null);
    // While PostgreSQL is away (a restart, a failover), what Meta answered is kept here and recorded
    // once it is back, rather than left 'sending' for the sweep to turn into unknown outcomes that
    // wait the settle period (a message Meta refused was certainly not sent).
    await this.recording(tenantId, sender.number.id, () =>
      this.db.forTenant(tenantId, async () => {
        const parked = await this.outbound.markAcceptedMany(tenantId, accepted);
        if (parked.length > 0) await this.receipts.applyParked(tenantId, parked);
      }),
    );
    // 130429s (the number over its throughput) come in clusters: a batch's go back together.
    const throttled = new Map<number | null, { rows: ClaimedMessage[]; error: ProviderError }>();
    for (const o of failures) {
      if (isThroughputRefusal(o.error)) {
        const group = throttled.get(o.error.code);
        if (group) group.rows.push(o.item.row);
        else throttled.set(o.error.code, { rows: [o.item.row], error: o.error });
      } else {
        await this.recording(tenantId, sender.number.id, () => this.handleFailure(tenantId, o.item.row, o.error, o.item.content, sender));
      }
    }
    for (const { rows, error } of throttled.values()) {
      await this.recording(tenantId, sender.number.id, () => this.retryThrottled(tenantId, sender, rows, error));
    }
    // Withheld messages were never handed to Meta: queued again, each kind due as WITHHELD says.
    for (const [reason, how] of Object.entries(WITHHELD) as [Withheld, (typeof WITHHELD)[Withheld]][]) {
      const rows = outcomes.filter((o) => o.withheld === reason).map((o) => o.item.row);
      if (rows.length === 0) continue;
      this.logger.log({ event: how.event, tenantId, numberId, count: rows.length }, how.message);
      await this.recording(tenantId, numberId, () =>
        this.requeueMany(
          tenantId,
          rows,
          rows.map((r) => r.id),
          new Date(Date.now() + how.dueInMs),
          true,
        ),
      );
    }
    // Campaigns with nothing left are completed after the outcomes are committed, never in their
    // transaction: two last batches recording at once each saw the other's rows still 'sending'
    // and neither completed the campaign (the sweep did, up to a minute later). After the commit,
    // the last batch to commit sees every other's outcome.
    if (campaignIds.length > 0) await this.recording(tenantId, sender.number.id, () => this.campaignContent.afterBatch(tenantId, campaignIds));
  }

  /**
   * Messages of a batch Meta refused because the number was over its throughput (130429): not the
   * messages' fault, so no attempt is counted (a sustained storm would otherwise fail recipients
   * after five of them). One count towards slowing the number down, one release, and for campaign
   * messages one paced batch job per lane, due in Meta's 1-5 s (the low end), rather than a
   * release, a job, a claim and a log line for each: in a storm on a busy machine those had
   * doubled the claims, and the CPU they took made the storm worse.
   */
  private async retryThrottled(tenantId: TenantId, sender: SendingNumber, rows: readonly ClaimedMessage[], err: ProviderError): Promise<void> {
    const numberId = sender.number.id;
    await this.pacer.slowDown(numberId, sender.number.mpsCap, SLOW_DOWN_MS, rows.length);
    const delayMs = retryDelayMs('pace_number', 1, { code: err.code }) ?? 60_000;
    const at = new Date(Date.now() + delayMs);
    const reason = [err.message, err.details].filter(Boolean).join(': ');
    this.logger.warn(
      { event: 'send_retry', tenantId, numberId, code: err.code, action: 'pace_number', count: rows.length, delayMs, fbtraceId: err.fbtraceId },
      `${rows.length} message(s) will be retried: the number is over its throughput`,
    );
    await this.outbound.releaseMany(
      tenantId,
      rows.map((r) => r.id),
      { nextAttemptAt: at, refundAttempt: true, error: { code: err.code, reason, action: 'pace_number' } },
    );
    for (const lane of ['emergency', 'normal'] as const) {
      const ids = rows.filter((r) => r.campaignId !== null && r.priority >= EMERGENCY_PRIORITY === (lane === 'emergency')).map((r) => r.id);
      if (ids.length === 0) continue;
      // The newsletter must not take the number while an emergency's refused messages wait to go again.
      if (lane === 'emergency') await this.pacer.holdForEmergency(numberId, delayMs + HOLD_BEYOND_RETRY_MS);
      await this.planner.requeueBatch({ tenantId, outboundIds: ids, delayMs, numberId, lane, plannedAt: at.getTime() });
    }
    const replies = rows.filter((r) => r.campaignId === null);
    if (replies.length > 0) {
      await this.planner.enqueue(
        replies.map((r) => ({ tenantId, id: r.id, numberId: r.numberId, campaignId: null, priority: r.priority, nextAttemptAt: at })),
      );
    }
  }

  /**
   * Records a send's outcome, again while the database is unreachable, for as long as the row is
   * not yet taken for stale. Every write here is conditional on the row's state, so running it
   * again is harmless, except a connection lost between a recipient's delivery-failure count and
   * the row's failure (milliseconds apart), which counts that failure twice.
   */
  private recording(tenantId: TenantId, numberId: NumberId, work: () => Promise<void>): Promise<void> {
    return whileDatabaseUnavailable(work, {
      budgetMs: Math.min(120_000, this.config.whatsapp.staleSendingAfterSeconds * 1000),
      onRetry: (err, attempt) => {
        if (attempt === 1)
          this.logger.warn(
            { event: 'send_outcome_waiting_for_database', tenantId, numberId, reason: (err as Error).message },
            'the database is unreachable: the outcome of the send is recorded once it is back',
          );
      },
    });
  }

  private async requeueMany(
    tenantId: TenantId,
    rows: readonly ClaimedMessage[],
    ids: readonly OutboundMessageId[],
    at: Date,
    refundAttempt: boolean,
  ): Promise<void> {
    if (ids.length === 0) return;
    await this.outbound.releaseMany(tenantId, ids, { nextAttemptAt: at, refundAttempt });
    const wanted = new Set<string>(ids);
    await this.planner.enqueue(
      rows
        .filter((r) => wanted.has(r.id))
        .map((r) => ({ tenantId, id: r.id, numberId: r.numberId, campaignId: r.campaignId, priority: r.priority, nextAttemptAt: at })),
    );
  }

  private async handleFailure(tenantId: TenantId, row: ClaimedMessage, err: unknown, content: MessageContent, sender: SendingNumber): Promise<void> {
    // Meta no longer knows the id of a campaign's uploaded file: once more, with a fresh upload.
    if (err instanceof ProviderError && (await this.campaignContent.retryWithFreshMedia(tenantId, row, content, err))) {
      await this.requeueAt(tenantId, row, new Date(), true, { code: err.code, reason: err.message, action: MEDIA_REUPLOAD_ACTION });
      return;
    }
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
      case 'pace_number':
        // sendAtSlots hands these to retryThrottled a batch at a time; one alone goes the same way.
        await this.retryThrottled(tenantId, sender, [row], err);
        return;
      case 'retry':
      case 'pace_recipient': {
        // Meta or the network failing (retry) gets attempts for about half an hour, so an outage
        // delays the message; one recipient's rate limit gets the usual five.
        if (row.attempts >= maxSendAttempts(action)) {
          this.logger.warn({ event: 'send_gave_up', ...log }, 'message failed after the last attempt');
          await this.outbound.markFailed(tenantId, row.id, { ...error, reason: `gave up after ${row.attempts} attempts: ${reason}` });
          return;
        }
        const delay = retryDelayMs(action, row.attempts, { code: err.code }) ?? 60_000;
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
        await this.outbound.releaseMany(tenantId, [row.id], { nextAttemptAt: null, refundAttempt: true, error });
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
        // The window closed before a campaign's free text reached Meta: its approved template goes instead.
        if (row.campaignId !== null && row.errorAction !== 'template') {
          await this.requeueAt(tenantId, row, new Date(), true, error);
          return;
        }
        await this.outbound.markFailed(tenantId, row.id, error);
        return;
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
    row: ClaimedMessage,
    at: Date,
    refundAttempt: boolean,
    error?: { code: number | null; reason: string; action: string },
  ): Promise<void> {
    await this.outbound.releaseMany(tenantId, [row.id], { nextAttemptAt: at, refundAttempt, error });
    await this.planner.enqueue([{ tenantId, id: row.id, numberId: row.numberId, campaignId: null, priority: row.priority, nextAttemptAt: at }]);
  }
}

/** Meta refused the send because the number was over its throughput (130429, or a call-rate limit). */
function isThroughputRefusal(err: unknown): err is ProviderError {
  return err instanceof ProviderError && classifyProviderError(err) === 'pace_number';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
