import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { setImmediate } from 'node:timers/promises';
import type { JobOptions, Queue } from 'bull';
import {
  CampaignJob,
  InboxJob,
  MaintenanceJob,
  MediaJob,
  OutboundJob,
  QueueName,
  WebhookJob,
  type DownloadMediaPayload,
  type HandleInboundPayload,
  type NotifyOnDutyPayload,
  type ProcessWebhookEventsPayload,
  type PurgeExpiredRefreshTokensPayload,
  type SendOutboundPayload,
  type StartCampaignPayload,
} from './queues.js';

/**
 * A send job has no fixed job id: resuming a number or a retry must be able to enqueue a message
 * again while an old job of it is still kept in Redis. A duplicate is harmless, because sending
 * starts by claiming the row (queued → sending) in Postgres, which only one job can win.
 */
export interface SendJobRequest {
  tenantId: string;
  outboundId: string;
  delayMs?: number;
  /** Emergencies go ahead of everything else queued for sending. */
  urgent?: boolean;
}

/** A batch of one number's messages (same tenant), due after `delayMs`. */
export interface SendBatchRequest {
  tenantId: string;
  outboundIds: string[];
  delayMs?: number;
  urgent?: boolean;
  /** A campaign batch: its number, lane and planned time (see SendOutboundPayload). */
  numberId?: string;
  lane?: 'normal' | 'emergency';
  plannedAt?: number;
}

/** The only way code outside the processors puts work on a queue. */
/** Send jobs per MULTI block (see QueueProducer.sendBatches). */
const SEND_BULK_SIZE = 50;

/** One batch's send job. */
function sendJob(b: SendBatchRequest): { name: string; data: SendOutboundPayload; opts: JobOptions } {
  const data: SendOutboundPayload = {
    tenantId: b.tenantId,
    outboundIds: b.outboundIds,
    ...(b.numberId && b.lane ? { numberId: b.numberId, lane: b.lane } : {}),
    ...(b.numberId && b.plannedAt !== undefined ? { plannedAt: b.plannedAt } : {}),
  };
  return {
    name: OutboundJob.Send,
    data,
    opts: {
      delay: Math.max(0, Math.round(b.delayMs ?? 0)),
      priority: b.urgent ? 1 : 5,
      // Every 5 s for two minutes: a PostgreSQL restart or failover is ridden out by the job
      // itself, and sending resumes within seconds of the database's return (doubling
      // delays had left the fault benchmark without a send for 87 s after a 4 s outage).
      attempts: 25,
      backoff: { type: 'fixed', delay: 5000 },
      removeOnComplete: true,
      removeOnFail: 1000,
    },
  };
}

const handleInboundJobId = (data: HandleInboundPayload): string => `inbound-${data.inboundMessageId}`;

/** A message's handle job: one per message (a deterministic id), so a message is answered once. */
function handleInboundJob(data: HandleInboundPayload): { name: string; data: HandleInboundPayload; opts: JobOptions } {
  return {
    name: WebhookJob.HandleInbound,
    data,
    opts: { jobId: handleInboundJobId(data), attempts: 3, backoff: { type: 'exponential', delay: 2000 } },
  };
}

@Injectable()
export class QueueProducer {
  constructor(
    @InjectQueue(QueueName.Maintenance) private readonly maintenance: Queue,
    @InjectQueue(QueueName.Webhooks) private readonly webhooks: Queue,
    @InjectQueue(QueueName.Outbound) private readonly outbound: Queue,
    @InjectQueue(QueueName.Media) private readonly media: Queue,
    @InjectQueue(QueueName.Campaigns) private readonly campaigns: Queue,
    @InjectQueue(QueueName.Inbox) private readonly inbox: Queue,
  ) {}

  /**
   * Schedules the daily purge of expired refresh tokens. The repeat key is deterministic, so every
   * worker that boots schedules the same single job rather than one each.
   */
  async scheduleTokenPurge(cron = '17 3 * * *', timezone = 'Europe/Rome'): Promise<void> {
    const payload: PurgeExpiredRefreshTokensPayload = { graceDays: 7 };
    await this.maintenance.add(MaintenanceJob.PurgeExpiredRefreshTokens, payload, {
      repeat: { cron, tz: timezone },
      jobId: MaintenanceJob.PurgeExpiredRefreshTokens,
    });
  }

  /** The minute sweep and the nightly retention purge, one schedule each however many workers boot. */
  async scheduleChannelMaintenance(): Promise<void> {
    await this.maintenance.add(MaintenanceJob.Sweep, {}, { repeat: { every: 60_000 }, jobId: MaintenanceJob.Sweep, attempts: 1 });
    await this.maintenance.add(MaintenanceJob.Retention, {}, { repeat: { cron: '41 2 * * *', tz: 'Europe/Rome' }, jobId: MaintenanceJob.Retention });
  }

  /** Runs a sweep now (tests, and operators after an outage). */
  async sweepNow(): Promise<void> {
    await this.maintenance.add(MaintenanceJob.Sweep, {}, { attempts: 1 });
  }

  /**
   * Hands stored webhook events to the worker. Postgres has them already: a lost job is caught by
   * the sweep, and processing skips events that are no longer pending.
   */
  async processWebhookEvents(eventIds: string[]): Promise<void> {
    if (eventIds.length === 0) return;
    const payload: ProcessWebhookEventsPayload = { eventIds };
    await this.webhooks.add(WebhookJob.Process, payload, { attempts: 8, backoff: { type: 'exponential', delay: 1000 } });
  }

  /**
   * Queues the handling of new inbound messages, one job each with a deterministic id: a message
   * is answered once even if its webhook is processed twice.
   */
  async handleInbound(items: readonly HandleInboundPayload[]): Promise<void> {
    if (items.length === 0) return;
    await this.webhooks.addBulk(items.map(handleInboundJob));
  }

  /**
   * Queues again the handling of messages that were stored but not handled (the sweep, a retried
   * webhook batch). A failed job (attempts used up) is retried and a job that is gone (never
   * queued, or Redis lost it) is added anew. A job still waiting or running is left to it, and so
   * is a completed one: its last step marks the message handled, so it finished after the caller
   * read the message as unhandled. Returns how many were put back.
   */
  async requeueInbound(items: readonly HandleInboundPayload[]): Promise<number> {
    let requeued = 0;
    for (const data of items) {
      const job = await this.webhooks.getJob(handleInboundJobId(data));
      if (!job) {
        const { name, opts } = handleInboundJob(data);
        await this.webhooks.add(name, data, opts);
      } else if ((await job.getState()) === 'failed') {
        await job.retry();
      } else continue;
      requeued++;
    }
    return requeued;
  }

  /** One job per message: replies and retries. */
  async send(requests: readonly SendJobRequest[]): Promise<void> {
    await this.sendBatches(requests.map((r) => ({ tenantId: r.tenantId, outboundIds: [r.outboundId], delayMs: r.delayMs, urgent: r.urgent })));
  }

  /**
   * Batches of messages, added in MULTI blocks of SEND_BULK_SIZE sent one after the other without
   * waiting for Redis: Redis runs one block while this process builds the next (one block of 1,000
   * left Redis idle while the jobs were built, then this process idle while Redis added them). One
   * block is built per turn of the event loop, so other work goes on meanwhile: a snapshot's next
   * chunk, whose statements would otherwise wait 140 ms for 1,600 jobs to be built. Completed jobs
   * are removed at once: Postgres keeps the record, and a 100,000-recipient campaign must not leave
   * 1,000 jobs behind in Redis. Waits for every block, then throws the first failure.
   */
  async sendBatches(batches: readonly SendBatchRequest[]): Promise<void> {
    const blocks: Promise<unknown>[] = [];
    for (let i = 0; i < batches.length; i += SEND_BULK_SIZE) {
      if (i > 0) await setImmediate();
      const block = this.outbound.addBulk(batches.slice(i, i + SEND_BULK_SIZE).map(sendJob));
      block.catch(() => undefined); // a failure waits for the rest (below) rather than go unhandled
      blocks.push(block);
    }
    const failed = (await Promise.allSettled(blocks)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Starts a campaign now or at `delayMs`. The job id is deterministic per campaign and time, so a
   * double click enqueues one start; the start itself only wins once (status check in Postgres).
   */
  async startCampaign(tenantId: string, campaignId: string, delayMs = 0, at?: Date): Promise<void> {
    const data: StartCampaignPayload = { tenantId, campaignId };
    await this.campaigns.add(CampaignJob.Start, data, {
      jobId: `campaign-start-${campaignId}-${at ? at.getTime() : 'now'}`,
      delay: Math.max(0, Math.round(delayMs)),
      attempts: 7,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: true,
    });
  }

  /** One alert per emergency message (deterministic job id); the handler skips channels already done. */
  async notifyOnDuty(data: NotifyOnDutyPayload): Promise<void> {
    await this.inbox.add(InboxJob.NotifyOnDuty, data, {
      jobId: `on-duty-${data.inboundMessageId}`,
      attempts: 5,
      backoff: { type: 'exponential', delay: 2000 },
    });
  }

  async downloadMedia(items: readonly DownloadMediaPayload[]): Promise<void> {
    if (items.length === 0) return;
    await this.media.addBulk(
      items.map((data) => ({
        name: MediaJob.Download,
        data,
        opts: { jobId: `media-${data.mediaFileId}`, attempts: 4, backoff: { type: 'exponential', delay: 5000 } },
      })),
    );
  }
}
