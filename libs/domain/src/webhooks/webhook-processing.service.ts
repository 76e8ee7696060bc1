import { Injectable, Logger } from '@nestjs/common';
import {
  asNumberId,
  newId,
  type ContactId,
  type InboundMessageId,
  type MediaFileId,
  type NumberId,
  type ProviderAppId,
  type TenantId,
} from '#common';
import {
  contactKey,
  ContactRepository,
  InboundMessageRepository,
  MediaFileRepository,
  WebhookDeadLetterRepository,
  WebhookEventRepository,
  WhatsappNumberRepository,
  WhatsappTemplateRepository,
  type MessagingTier,
  type NewDeadLetter,
  type NewInboundMessage,
  type NewMediaFile,
} from '#database';
import { QueueProducer } from '#queue';
import { classifyErrorCode, parseWebhookBody, type InboundMessageEvent, type StatusEvent, type WebhookEvent } from '#whatsapp';
import { NumberHealthService } from '../messaging/number-health.service.js';
import { NumberPacer } from '../messaging/number-pacer.js';
import { ReceiptsService } from '../messaging/receipts.service.js';
import { webhookDeadLetters } from './webhook.metrics.js';

/** Attempts before a webhook event that keeps failing is parked as failed for an operator. */
const MAX_EVENT_ATTEMPTS = 8;

interface RoutedChange {
  eventId: string;
  tenantId: TenantId;
  numberId: NumberId | null;
  /** A one-change envelope: parsed on its own, so one tenant's change never mixes with another's. */
  envelope: Record<string, unknown>;
}

interface Target {
  tenantId: TenantId;
  numberId: NumberId | null;
}

export interface ProcessOutcome {
  processed: number;
  deadLetters: number;
  inbound: number;
  receipts: number;
}

/**
 * Turns stored webhook bodies into tenant rows, in the worker. Routing goes by
 * value.metadata.phone_number_id (never the display number); account-level changes go by the WABA
 * id of the entry. A change nobody owns becomes a dead letter. Everything here is idempotent, so
 * a batch can be processed again after a crash: wamids dedupe inbound messages, receipts only move
 * messages forward, and contacts only move their window forward.
 */
@Injectable()
export class WebhookProcessingService {
  private readonly logger = new Logger('WebhookProcessing');

  constructor(
    private readonly events: WebhookEventRepository,
    private readonly deadLetters: WebhookDeadLetterRepository,
    private readonly numbers: WhatsappNumberRepository,
    private readonly contacts: ContactRepository,
    private readonly inbound: InboundMessageRepository,
    private readonly media: MediaFileRepository,
    private readonly templates: WhatsappTemplateRepository,
    private readonly receipts: ReceiptsService,
    private readonly health: NumberHealthService,
    private readonly producer: QueueProducer,
    private readonly pacer: NumberPacer,
  ) {}

  async processEvents(eventIds: readonly string[]): Promise<ProcessOutcome> {
    const rows = await this.events.findPending(eventIds);
    const outcome: ProcessOutcome = { processed: 0, deadLetters: 0, inbound: 0, receipts: 0 };
    if (rows.length === 0) return outcome;

    const changes: { eventId: string; providerAppId: ProviderAppId; entryId: string; field: string; value: Record<string, unknown> }[] = [];
    const problemsByEvent = new Map<string, string[]>(rows.map((r) => [r.id, []]));
    for (const row of rows) {
      const problems = problemsByEvent.get(row.id)!;
      let body: unknown;
      try {
        body = JSON.parse(row.body.toString('utf8'));
      } catch {
        problems.push('body is not JSON');
        continue;
      }
      if (!isObject(body) || body.object !== 'whatsapp_business_account' || !Array.isArray(body.entry)) {
        problems.push(`not a WhatsApp Business Account webhook (object=${isObject(body) ? String(body.object) : typeof body})`);
        continue;
      }
      body.entry.forEach((entry: unknown, i) => {
        if (!isObject(entry) || !Array.isArray(entry.changes)) return void problems.push(`entry[${i}]: no changes`);
        const entryId = typeof entry.id === 'string' || typeof entry.id === 'number' ? String(entry.id) : '';
        entry.changes.forEach((change: unknown, j) => {
          if (!isObject(change) || typeof change.field !== 'string' || !isObject(change.value)) {
            return void problems.push(`entry[${i}].changes[${j}]: no field or value`);
          }
          changes.push({ eventId: row.id, providerAppId: row.providerAppId, entryId, field: change.field, value: change.value });
        });
      });
    }

    // Route every change in two queries at most.
    const pnids = new Set<string>();
    const wabas = new Set<string>();
    for (const c of changes) {
      const pnid = phoneNumberIdOf(c.value);
      if (pnid) pnids.add(pnid);
      else if (c.entryId) wabas.add(c.entryId);
    }
    const routes = await this.numbers.routeManyUnscoped([...pnids]);
    const wabaNumbers = new Map<string, Awaited<ReturnType<WhatsappNumberRepository['findByWabaUnscoped']>>>();
    for (const waba of wabas) wabaNumbers.set(waba, await this.numbers.findByWabaUnscoped(waba));

    const routed: RoutedChange[] = [];
    const dead: NewDeadLetter[] = [];
    for (const c of changes) {
      const pnid = phoneNumberIdOf(c.value);
      const envelope = { object: 'whatsapp_business_account', entry: [{ id: c.entryId, changes: [{ field: c.field, value: c.value }] }] };
      // Only numbers of the app whose secret signed the body: another app's secret (the simulator's,
      // say) must not speak for a comune's number.
      const route = pnid ? routes.get(pnid) : undefined;
      const targets = pnid
        ? route && route.providerAppId === c.providerAppId
          ? [{ tenantId: route.tenantId, numberId: asNumberId(route.numberId) }]
          : []
        : wabaTargets(wabaNumbers.get(c.entryId) ?? [], c.providerAppId, c.value);
      if (targets.length === 0) {
        webhookDeadLetters.inc({ field: c.field });
        dead.push({
          webhookEventId: c.eventId,
          providerAppId: c.providerAppId,
          phoneNumberId: pnid,
          wabaId: c.entryId || null,
          field: c.field,
          reason: pnid
            ? route
              ? `phone_number_id ${pnid} is on another provider app than the one that signed this webhook`
              : `no comune has phone_number_id ${pnid}`
            : `no comune has WABA ${c.entryId || '(none)'} on this provider app`,
          payload: c.value,
        });
        continue;
      }
      for (const t of targets) routed.push({ eventId: c.eventId, tenantId: t.tenantId, numberId: t.numberId, envelope });
    }
    await this.deadLetters.insertMany(dead);
    outcome.deadLetters = dead.length;

    const byTenant = new Map<TenantId, RoutedChange[]>();
    for (const r of routed) {
      const list = byTenant.get(r.tenantId);
      if (list) list.push(r);
      else byTenant.set(r.tenantId, [r]);
    }
    for (const [tenantId, tenantChanges] of byTenant) {
      const result = await this.applyForTenant(tenantId, tenantChanges, problemsByEvent);
      outcome.inbound += result.inbound;
      outcome.receipts += result.receipts;
    }
    await this.events.markProcessedMany(rows.map((row) => ({ id: row.id, problems: problemsByEvent.get(row.id) ?? [] })));
    outcome.processed = rows.length;
    return outcome;
  }

  /** Re-processes one dead letter's change after an operator onboarded its number. */
  async replayChange(letter: {
    webhookEventId: string;
    providerAppId: ProviderAppId;
    wabaId: string | null;
    field: string;
    payload: Record<string, unknown>;
  }): Promise<boolean> {
    const pnid = phoneNumberIdOf(letter.payload);
    let targets: Target[] = [];
    if (pnid) {
      const route = await this.numbers.routeUnscoped(pnid);
      if (route && route.providerAppId === letter.providerAppId) targets = [{ tenantId: route.tenantId, numberId: asNumberId(route.numberId) }];
    } else if (letter.wabaId) {
      targets = wabaTargets(await this.numbers.findByWabaUnscoped(letter.wabaId), letter.providerAppId, letter.payload);
    }
    if (targets.length === 0) return false;
    const envelope = {
      object: 'whatsapp_business_account',
      entry: [{ id: letter.wabaId ?? '', changes: [{ field: letter.field, value: letter.payload }] }],
    };
    for (const t of targets) await this.applyForTenant(t.tenantId, [{ eventId: letter.webhookEventId, ...t, envelope }], new Map());
    return true;
  }

  /** Records a failed attempt of the batch's events; they stay pending until MAX_EVENT_ATTEMPTS. */
  async recordFailure(eventIds: readonly string[], error: string): Promise<void> {
    for (const id of eventIds) await this.events.recordFailure(id, error, MAX_EVENT_ATTEMPTS);
  }

  private async applyForTenant(
    tenantId: TenantId,
    changes: RoutedChange[],
    problemsByEvent: Map<string, string[]>,
  ): Promise<{ inbound: number; receipts: number }> {
    const inboundEvents: { eventId: string; numberId: NumberId; e: InboundMessageEvent }[] = [];
    const statusEvents: StatusEvent[] = [];
    const other: { numberId: NumberId | null; e: WebhookEvent }[] = [];
    for (const c of changes) {
      const parsed = parseWebhookBody(c.envelope);
      if (parsed.problems.length > 0) problemsByEvent.get(c.eventId)?.push(...parsed.problems);
      for (const e of parsed.events) {
        if (e.kind === 'message' && c.numberId) inboundEvents.push({ eventId: c.eventId, numberId: c.numberId, e });
        else if (e.kind === 'status') statusEvents.push(e);
        else other.push({ numberId: c.numberId, e });
      }
    }

    let inboundCount = 0;
    if (inboundEvents.length > 0) {
      const contactIds = await this.contacts.upsertSightings(
        tenantId,
        inboundEvents.map(({ numberId, e }) => ({ numberId, waId: e.waId, userId: e.userId, profileName: e.profileName, at: e.timestamp })),
      );
      const rows: NewInboundMessage[] = [];
      const mediaByWamid = new Map<string, NewMediaFile>();
      for (const { eventId, numberId, e } of inboundEvents) {
        const contactId: ContactId | undefined = contactIds.get(contactKey(numberId, e.waId, e.userId));
        if (!contactId) {
          problemsByEvent.get(eventId)?.push(`message ${e.wamid}: sender has neither wa_id nor user_id`);
          continue;
        }
        const id = newId<InboundMessageId>();
        const c = e.content;
        rows.push({
          id,
          numberId,
          contactId,
          wamid: e.wamid,
          type: c.type,
          body: c.type === 'text' ? c.body : 'caption' in c ? c.caption : null,
          content: { ...c, ...(c.type === 'location' ? { mapUrl: mapLink(c.latitude, c.longitude) } : {}), context: e.context },
          contextMessageId: e.context?.messageId ?? null,
          sentAt: e.timestamp,
          webhookEventId: eventId,
        });
        if ('mediaId' in c) {
          mediaByWamid.set(e.wamid, {
            id: newId<MediaFileId>(),
            numberId,
            inboundMessageId: id,
            providerMediaId: c.mediaId,
            mimeType: c.mimeType,
            expectedSha256: c.sha256,
          });
        }
      }
      const inserted = await this.inbound.insertNew(tenantId, rows);
      inboundCount = inserted.size;
      const fresh = rows.filter((r) => inserted.has(r.wamid));
      await this.countInPacing(tenantId, fresh);
      // Keywords, the sign-up dialogue and auto-replies run in their own jobs, once per new message.
      await this.producer.handleInbound(fresh.map((r) => ({ tenantId, inboundMessageId: r.id })));
      // A message stored before, and not handled yet: this batch's earlier attempt stored it and
      // then failed to queue its job (or Redis lost it). Queued again unless its job is still there.
      const seen = rows.filter((r) => !inserted.has(r.wamid)).map((r) => r.wamid);
      const unhandled = await this.inbound.unhandledByWamid(tenantId, seen);
      await this.producer.requeueInbound(unhandled.map((inboundMessageId) => ({ tenantId, inboundMessageId })));
      // Only for messages seen for the first time: a redelivery downloads nothing again.
      const mediaRows = [...mediaByWamid.entries()].filter(([wamid]) => inserted.has(wamid)).map(([, m]) => m);
      const mediaIds = await this.media.insertNew(tenantId, mediaRows);
      await this.producer.downloadMedia(mediaIds.map((mediaFileId) => ({ tenantId, mediaFileId })));
    }

    let receiptCount = 0;
    if (statusEvents.length > 0) {
      const r = await this.receipts.apply(tenantId, statusEvents);
      receiptCount = r.matched + r.parked;
    }

    for (const { numberId, e } of other) await this.applyAccountEvent(tenantId, numberId, e);
    return { inbound: inboundCount, receipts: receiptCount };
  }

  /**
   * Citizens' messages count in their number's throughput at Meta, with ours: the new ones go into
   * the number's inbound rate (NumberPacer.takeForInbound), which its sends leave room for, so
   * replies flooding in after an alert slow the number's campaigns instead of being refused as
   * 130429s. A redelivered message was counted the first time. Best effort: the messages are
   * recorded whatever Redis answers, and the slow-down on 130429s stays the backstop.
   */
  private async countInPacing(tenantId: TenantId, rows: readonly NewInboundMessage[]): Promise<void> {
    const byNumber = new Map<NumberId, number>();
    for (const r of rows) byNumber.set(r.numberId, (byNumber.get(r.numberId) ?? 0) + 1);
    for (const [numberId, count] of byNumber) {
      try {
        await this.pacer.takeForInbound(numberId, count);
      } catch (err) {
        this.logger.warn(
          { event: 'inbound_not_counted_in_pacing', tenantId, numberId, count, reason: (err as Error).message },
          "citizens' messages not counted in their number's pacing",
        );
      }
    }
  }

  private async applyAccountEvent(tenantId: TenantId, numberId: NumberId | null, e: WebhookEvent): Promise<void> {
    switch (e.kind) {
      case 'error':
        for (const err of e.errors) {
          const action = err.code === null ? 'bug' : classifyErrorCode(err.code);
          this.logger.warn({ event: 'webhook_error', tenantId, numberId, code: err.code, action, title: err.title });
          if (action === 'pause_number' && numberId) await this.health.pauseForError(tenantId, numberId, err.code, err.title ?? `error ${err.code}`);
        }
        return;
      case 'template_status':
        await this.templates.applyStatus(tenantId, e.wabaId, {
          providerTemplateId: e.templateId,
          name: e.name,
          language: e.language,
          status: e.event,
          reason: e.reason,
        });
        return;
      case 'template_category':
        await this.templates.applyCategory(tenantId, e.wabaId, { name: e.name, language: e.language, category: e.newCategory });
        return;
      case 'phone_quality':
        if (numberId) await this.numbers.recordQualityEvent(tenantId, numberId, e.event, tierOf(e.currentLimit));
        return;
      case 'user_preference':
        if (numberId && e.category === 'marketing_messages') {
          await this.contacts.setMarketingPreference(tenantId, numberId, { waId: e.waId, userId: e.userId }, e.value === 'stop' ? e.timestamp : null);
        }
        return;
      case 'ignored':
      case 'message':
      case 'status':
        return;
    }
  }
}

/**
 * Where an account-level change (template and quality updates, carrying the WABA id rather than a
 * phone_number_id) goes: every comune number on that WABA and on the app that signed it (normally
 * one comune), or the one number its display_phone_number names.
 */
function wabaTargets(
  numbers: readonly { tenantId: TenantId; id: NumberId; displayNumber: string; providerAppId: ProviderAppId }[],
  providerAppId: ProviderAppId,
  value: Record<string, unknown>,
): Target[] {
  const display = typeof value.display_phone_number === 'string' ? value.display_phone_number : null;
  const byTenant = new Map<string, Target>();
  for (const n of numbers) {
    if (n.providerAppId !== providerAppId) continue;
    if (display && `+${display.replace(/\D/g, '')}` !== n.displayNumber) continue;
    byTenant.set(display ? `${n.tenantId}/${n.id}` : n.tenantId, { tenantId: n.tenantId, numberId: display ? n.id : null });
  }
  return [...byTenant.values()];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function phoneNumberIdOf(value: Record<string, unknown>): string | null {
  const metadata = value.metadata;
  if (!isObject(metadata)) return null;
  const id = metadata.phone_number_id;
  return typeof id === 'string' && id.length > 0 ? id : typeof id === 'number' ? String(id) : null;
}

function mapLink(lat: number, lng: number): string {
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lng}#map=17/${lat}/${lng}`;
}

const TIERS: Record<string, MessagingTier> = {
  TIER_250: 'tier_250',
  TIER_1K: 'tier_2k',
  TIER_2K: 'tier_2k',
  TIER_10K: 'tier_10k',
  TIER_100K: 'tier_100k',
  TIER_UNLIMITED: 'unlimited',
};

function tierOf(limit: string | null): MessagingTier | null {
  return limit ? (TIERS[limit.toUpperCase()] ?? null) : null;
}
