/** Every queue of the platform. Jobs carry ids and tenantId, never entities (STYLE.md). */
export const QueueName = {
  Maintenance: 'maintenance',
  Webhooks: 'webhooks',
  Outbound: 'outbound',
  Media: 'media',
  /** Starting campaigns (materialising recipients) and running recurring schedules: heavy, kept off the send path. */
  Campaigns: 'campaigns',
  /** The inbox's side work: alerting the on-duty contact about an emergency. */
  Inbox: 'inbox',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const MaintenanceJob = {
  PurgeExpiredRefreshTokens: 'purge-expired-refresh-tokens',
  /** Every minute: the safety net for lost jobs and the settling of unknown outcomes. */
  Sweep: 'sweep',
  /** Daily: purge raw webhook bodies, message contents and media past their retention. */
  Retention: 'retention',
} as const;
export type MaintenanceJob = (typeof MaintenanceJob)[keyof typeof MaintenanceJob];

export interface PurgeExpiredRefreshTokensPayload {
  /** Tokens that expired more than this many days ago are deleted. */
  graceDays: number;
}

export const WebhookJob = {
  Process: 'process',
  /** A citizen's new message: keywords, sign-up dialogue, auto-reply. */
  HandleInbound: 'handle-inbound',
} as const;

export interface HandleInboundPayload {
  tenantId: string;
  inboundMessageId: string;
}

/** A micro-batch of stored webhook events (ids of webhook_events rows) to process. */
export interface ProcessWebhookEventsPayload {
  eventIds: string[];
}

export const OutboundJob = {
  Send: 'send',
} as const;

/**
 * A batch of a number's queued messages (one for a reply, tens to a hundred for a campaign). Jobs
 * that Redis lost are rebuilt from Postgres, so a batch is a hint, not a record.
 */
export interface SendOutboundPayload {
  tenantId: string;
  outboundIds: string[];
  /**
   * A campaign batch's number and pacing lane: the job reserves its slots before it claims rows and
   * claims no more than it may send (jobs queued before these fields existed claim first).
   */
  numberId?: string;
  lane?: 'normal' | 'emergency';
  /**
   * A campaign batch: the earliest planned time (epoch ms) its rows show in PostgreSQL. A batch put
   * back for want of slots writes its rows' new time only when the sweep would otherwise soon take
   * them for lost; absent (older jobs): always.
   */
  plannedAt?: number;
}

export const CampaignJob = {
  Start: 'start',
} as const;

export interface StartCampaignPayload {
  tenantId: string;
  campaignId: string;
}

export const MediaJob = {
  Download: 'download',
} as const;

export interface DownloadMediaPayload {
  tenantId: string;
  mediaFileId: string;
}

export const InboxJob = {
  /** A citizen wrote the emergency keyword: WhatsApp and/or e-mail to the comune's on-duty contact. */
  NotifyOnDuty: 'notify-on-duty',
} as const;

export interface NotifyOnDutyPayload {
  tenantId: string;
  conversationId: string;
  inboundMessageId: string;
}

export const ALL_QUEUES: QueueName[] = Object.values(QueueName);
