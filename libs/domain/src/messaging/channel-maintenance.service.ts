import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#common';
import {
  InboundMessageRepository,
  MediaAssetRepository,
  MediaFileRepository,
  OutboundMessageRepository,
  PendingReceiptRepository,
  TenantRepository,
  WebhookDeadLetterRepository,
  WebSignupRepository,
  WebhookEventRepository,
} from '#database';
import { MAX_SEND_ATTEMPTS } from '#whatsapp';
import { QueueProducer } from '#queue';
import { MEDIA_STORAGE, type MediaStorage } from '../media/media-storage.js';
import { ReceiptsService } from './receipts.service.js';
import { LOST_JOB_AFTER_MS } from './send-plan.js';
import { SendPlanner } from './send-planner.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Receipts for messages we never learn about are dropped after this. */
const PENDING_RECEIPT_TTL_MS = DAY;
const RESOLVED_DEAD_LETTER_TTL_MS = 90 * DAY;
const SWEEP_LIMIT = 5000;

export interface SweepReport {
  webhookEventsRequeued: number;
  /** Citizens' messages stored and never handled (job lost, or out of attempts), queued again. */
  inboundRequeued: number;
  messagesRequeued: number;
  staleSendingToUnknown: number;
  unknownResent: number;
  unknownExpired: number;
  parkedReceiptsApplied: number;
  parkedReceiptsDropped: number;
  webSignupsExpired: number;
}

export interface RetentionReport {
  rawWebhookEvents: number;
  inboundContents: number;
  outboundContents: number;
  mediaFiles: number;
  /** Files of the comuni's media libraries past retention and attached to nothing that may still send. */
  libraryFiles: number;
  deadLetters: number;
}

/**
 * Postgres is the record; Redis is transport that may be lost. The sweep finds work whose job went
 * missing and settles what waited too long; the retention purge enforces each comune's retention.
 */
@Injectable()
export class ChannelMaintenanceService {
  private readonly logger = new Logger('ChannelMaintenance');

  constructor(
    private readonly webhookEvents: WebhookEventRepository,
    private readonly deadLetters: WebhookDeadLetterRepository,
    private readonly outbound: OutboundMessageRepository,
    private readonly inbound: InboundMessageRepository,
    private readonly media: MediaFileRepository,
    private readonly libraryFiles: MediaAssetRepository,
    private readonly pending: PendingReceiptRepository,
    private readonly tenants: TenantRepository,
    private readonly signups: WebSignupRepository,
    private readonly receipts: ReceiptsService,
    private readonly producer: QueueProducer,
    private readonly planner: SendPlanner,
    @Inject(MEDIA_STORAGE) private readonly storage: MediaStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async sweep(now = new Date()): Promise<SweepReport> {
    const lostBefore = new Date(now.getTime() - LOST_JOB_AFTER_MS);
    const staleEvents = await this.webhookEvents.listStalePendingIds(lostBefore, SWEEP_LIMIT);
    for (let i = 0; i < staleEvents.length; i += 200) await this.producer.processWebhookEvents(staleEvents.slice(i, i + 200));

    // A citizen's STOP or ATTIVA stored but never acted on: its handle job was not queued, Redis
    // lost it, or it used up its attempts (the database away for a while).
    const unhandled = await this.inbound.listUnhandledUnscoped(lostBefore, SWEEP_LIMIT);
    const inboundRequeued = await this.producer.requeueInbound(unhandled.map((u) => ({ tenantId: u.tenantId, inboundMessageId: u.id })));

    const due = await this.outbound.listDueQueuedUnscoped(lostBefore, SWEEP_LIMIT);
    await this.planner.requeueLost(due);

    const staleSending = await this.outbound.abandonStaleSendingUnscoped(
      new Date(now.getTime() - this.config.whatsapp.staleSendingAfterSeconds * 1000),
      SWEEP_LIMIT,
    );
    const unsettled = await this.outbound.requeueUnsettledUnknownUnscoped(
      new Date(now.getTime() - this.config.whatsapp.unknownOutcomeSettleSeconds * 1000),
      MAX_SEND_ATTEMPTS,
      SWEEP_LIMIT,
    );
    const resent = unsettled.filter((u) => u.status === 'queued');
    const expired = unsettled.filter((u) => u.status === 'failed');
    if (unsettled.length > 0) {
      this.logger.warn(
        { event: 'unknown_outcomes_settled_by_silence', resent: resent.length, failed: expired.length },
        'sends with an unknown outcome got no receipt in time: Meta did not take them; sent again (or failed after the last attempt)',
      );
    }
    const resentRefs = await this.outbound.refsByIds(resent);
    await this.planner.enqueue(resentRefs);

    let applied = 0;
    for (const { tenantId, providerMessageIds } of await this.pending.listTenantsWithPendingUnscoped()) {
      applied += await this.receipts.applyParked(tenantId, providerMessageIds);
    }
    const dropped = await this.pending.purgeOlderThanUnscoped(new Date(now.getTime() - PENDING_RECEIPT_TTL_MS));
    const webSignupsExpired = await this.signups.expireDueUnscoped(now);

    const report: SweepReport = {
      webhookEventsRequeued: staleEvents.length,
      inboundRequeued,
      messagesRequeued: due.length,
      staleSendingToUnknown: staleSending,
      unknownResent: resent.length,
      unknownExpired: expired.length,
      parkedReceiptsApplied: applied,
      parkedReceiptsDropped: dropped,
      webSignupsExpired,
    };
    if (Object.values(report).some((n) => n > 0)) this.logger.log({ event: 'sweep', ...report });
    return report;
  }

  async retention(now = new Date()): Promise<RetentionReport> {
    const report: RetentionReport = { rawWebhookEvents: 0, inboundContents: 0, outboundContents: 0, mediaFiles: 0, libraryFiles: 0, deadLetters: 0 };
    report.rawWebhookEvents = await this.webhookEvents.purgeOlderThan(new Date(now.getTime() - this.config.webhooks.rawRetentionDays * DAY));
    report.deadLetters = await this.deadLetters.purgeResolvedBefore(new Date(now.getTime() - RESOLVED_DEAD_LETTER_TTL_MS));
    for (const tenant of await this.tenants.listAllUnscoped()) {
      const before = new Date(now.getTime() - tenant.messageRetentionDays * DAY);
      const tenantId = tenant.id;
      report.inboundContents += await this.inbound.purgeContentBefore(tenantId, before);
      report.outboundContents += await this.outbound.purgeContentBefore(tenantId, before);
      const keys = await this.media.purgeBefore(tenantId, before);
      for (const key of keys) await this.storage.delete(key);
      report.mediaFiles += keys.length;
      // A campaign's attachment follows the same retention as what it was sent with, counted from
      // its last use; files a live campaign or an active schedule refers to are kept (ADR 0010).
      const libraryKeys = await this.libraryFiles.purgeUnusedBefore(tenantId, before);
      for (const key of libraryKeys) await this.storage.delete(key);
      report.libraryFiles += libraryKeys.length;
    }
    this.logger.log({ event: 'retention', ...report });
    return report;
  }
}
