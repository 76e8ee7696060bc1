import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '#common';
import { buildDataSourceOptions } from './data-source.js';
import { STARTUP_WAIT_MS } from './database-readiness.js';
import { isDatabaseUnavailable } from './database-unavailable.js';
import { AuditEventRepository } from './repositories/audit-event.repository.js';
import { ProviderAppRepository } from './repositories/provider-app.repository.js';
import { RefreshTokenRepository } from './repositories/refresh-token.repository.js';
import { TenantRepository } from './repositories/tenant.repository.js';
import { UserRepository } from './repositories/user.repository.js';
import { WhatsappNumberRepository } from './repositories/whatsapp-number.repository.js';
import { ContactRepository } from './repositories/contact.repository.js';
import { InboundMessageRepository } from './repositories/inbound-message.repository.js';
import { MediaFileRepository } from './repositories/media-file.repository.js';
import { MediaAssetRepository } from './repositories/media-asset.repository.js';
import { OutboundMessageRepository } from './repositories/outbound-message.repository.js';
import { PendingReceiptRepository } from './repositories/pending-receipt.repository.js';
import { WebhookDeadLetterRepository } from './repositories/webhook-dead-letter.repository.js';
import { WebhookEventRepository } from './repositories/webhook-event.repository.js';
import { WhatsappTemplateRepository } from './repositories/whatsapp-template.repository.js';
import { SubscriberRepository } from './repositories/subscriber.repository.js';
import { SubscriptionConfigRepository } from './repositories/subscription-config.repository.js';
import { SubscriberImportRepository } from './repositories/subscriber-import.repository.js';
import { WebSignupRepository } from './repositories/web-signup.repository.js';
import { BusinessPortfolioRepository } from './repositories/business-portfolio.repository.js';
import { CampaignRepository } from './repositories/campaign.repository.js';
import { CampaignScheduleRepository } from './repositories/campaign-schedule.repository.js';
import { ConsortiumAlertRepository } from './repositories/consortium-alert.repository.js';
import { AppointmentRequestRepository } from './repositories/appointment-request.repository.js';
import { CannedReplyRepository } from './repositories/canned-reply.repository.js';
import { CitizenBlockRepository } from './repositories/citizen-block.repository.js';
import { ConversationRepository } from './repositories/conversation.repository.js';
import { EmergencyAlertRepository } from './repositories/emergency-alert.repository.js';
import { InboxSettingsRepository } from './repositories/inbox-settings.repository.js';
import { MessageTemplateRepository } from './repositories/message-template.repository.js';
import { PrivacyPolicyRepository } from './repositories/privacy-policy.repository.js';
import { TenantDb } from './tenant-db.js';

const REPOSITORIES = [
  TenantDb,
  TenantRepository,
  UserRepository,
  RefreshTokenRepository,
  ProviderAppRepository,
  WhatsappNumberRepository,
  AuditEventRepository,
  WebhookEventRepository,
  WebhookDeadLetterRepository,
  ContactRepository,
  InboundMessageRepository,
  OutboundMessageRepository,
  PendingReceiptRepository,
  MediaFileRepository,
  MediaAssetRepository,
  WhatsappTemplateRepository,
  SubscriptionConfigRepository,
  SubscriberRepository,
  WebSignupRepository,
  SubscriberImportRepository,
  CampaignRepository,
  CampaignScheduleRepository,
  ConsortiumAlertRepository,
  BusinessPortfolioRepository,
  InboxSettingsRepository,
  ConversationRepository,
  CannedReplyRepository,
  AppointmentRequestRepository,
  EmergencyAlertRepository,
  CitizenBlockRepository,
  MessageTemplateRepository,
  PrivacyPolicyRepository,
];

/** How long the application's connection waits before it is opened again at start-up (see DatabaseModule). */
const CONNECT_RETRY_DELAY_MS = 2_000;

/** The connection as the application role, and the scoped repositories on top of it. */
@Global()
@Module({})
export class DatabaseModule {
  /**
   * `connectRetryDelayMs` is for tests. A process checks that PostgreSQL answers before it starts
   * (assertDatabaseReady); should the server go away between that check and the pool's own first
   * queries (a restart: one fault run's worker exited so), the connection is opened again, every
   * `connectRetryDelayMs` for up to STARTUP_WAIT_MS. Only while the database is unreachable: any
   * other error (a missing database, a bad role) stops the start at once.
   */
  static forRoot(config: AppConfig, opts: { connectRetryDelayMs?: number } = {}): DynamicModule {
    const delay = opts.connectRetryDelayMs ?? CONNECT_RETRY_DELAY_MS;
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          ...buildDataSourceOptions(config, 'app'),
          retryAttempts: Math.ceil(STARTUP_WAIT_MS / delay),
          retryDelay: delay,
          toRetry: isDatabaseUnavailable,
        }),
      ],
      providers: REPOSITORIES,
      exports: REPOSITORIES,
    };
  }
}
