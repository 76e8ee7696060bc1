/** Every queue of the platform. Jobs carry ids and tenantId, never entities (STYLE.md). */
export const QueueName = {
  Maintenance: 'maintenance',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const MaintenanceJob = {
  PurgeExpiredRefreshTokens: 'purge-expired-refresh-tokens',
} as const;
export type MaintenanceJob = (typeof MaintenanceJob)[keyof typeof MaintenanceJob];

export interface PurgeExpiredRefreshTokensPayload {
  /** Tokens that expired more than this many days ago are deleted. */
  graceDays: number;
}

export const ALL_QUEUES: QueueName[] = Object.values(QueueName);
