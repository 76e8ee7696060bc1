import { DataSource, type DataSourceOptions } from 'typeorm';
import type { AppConfig } from '#common';
import { AuditEventEntity } from './entities/audit-event.entity.js';
import { PhoneNumberRouteEntity } from './entities/phone-number-route.entity.js';
import { ProviderAppEntity } from './entities/provider-app.entity.js';
import { RefreshTokenEntity } from './entities/refresh-token.entity.js';
import { TenantEntity } from './entities/tenant.entity.js';
import { UserEntity } from './entities/user.entity.js';
import { WhatsappNumberEntity } from './entities/whatsapp-number.entity.js';
import { ContactEntity } from './entities/contact.entity.js';
import { InboundMessageEntity } from './entities/inbound-message.entity.js';
import { MediaFileEntity } from './entities/media-file.entity.js';
import { OutboundMessageEntity } from './entities/outbound-message.entity.js';
import { PendingReceiptEntity } from './entities/pending-receipt.entity.js';
import { WebhookDeadLetterEntity } from './entities/webhook-dead-letter.entity.js';
import { WebhookEventEntity } from './entities/webhook-event.entity.js';
import { WhatsappTemplateEntity } from './entities/whatsapp-template.entity.js';
import { ConsentEventEntity } from './entities/consent-event.entity.js';
import { KeywordRuleEntity } from './entities/keyword-rule.entity.js';
import { SubscriberImportEntity } from './entities/subscriber-import.entity.js';
import { SubscriberListEntity } from './entities/subscriber-list.entity.js';
import { SubscriberEntity } from './entities/subscriber.entity.js';
import { SubscriptionSettingsEntity } from './entities/subscription-settings.entity.js';
import { BusinessPortfolioEntity } from './entities/business-portfolio.entity.js';
import { CampaignScheduleEntity } from './entities/campaign-schedule.entity.js';
import { CampaignSettingsEntity } from './entities/campaign-settings.entity.js';
import { CampaignEntity } from './entities/campaign.entity.js';
import { ConsortiumAlertEntity } from './entities/consortium-alert.entity.js';
import { MessageTemplateEntity } from './entities/message-template.entity.js';
import { Foundation1795418135129 } from './migrations/1795418135129-Foundation.js';
import { Subscriptions1795422716709 } from './migrations/1795422716709-Subscriptions.js';
import { SubscriberImports1795426000000 } from './migrations/1795426000000-SubscriberImports.js';
import { WhatsappChannel1795420655410 } from './migrations/1795420655410-WhatsappChannel.js';
import { Campaigns1795428000000 } from './migrations/1795428000000-Campaigns.js';
import { AppointmentRequestEntity } from './entities/appointment-request.entity.js';
import { CannedReplyEntity } from './entities/canned-reply.entity.js';
import { CitizenBlockEntity } from './entities/citizen-block.entity.js';
import { ConversationMessageEntity } from './entities/conversation-message.entity.js';
import { ConversationEntity } from './entities/conversation.entity.js';
import { EmergencyAlertEntity } from './entities/emergency-alert.entity.js';
import { InboxSettingsEntity } from './entities/inbox-settings.entity.js';
import { Inbox1795429000000 } from './migrations/1795429000000-Inbox.js';
import { DispatchSnapshot1795430000000 } from './migrations/1795430000000-DispatchSnapshot.js';
import { PrivacyPolicyVersions1795431207000 } from './migrations/1795431207000-PrivacyPolicyVersions.js';
import { RlsOncePerQuery1795432000000 } from './migrations/1795432000000-RlsOncePerQuery.js';
import { LeanerOutboundIndexes1795433000000 } from './migrations/1795433000000-LeanerOutboundIndexes.js';
import { InboundHandled1795434000000 } from './migrations/1795434000000-InboundHandled.js';
import { ScheduleActor1795435000000 } from './migrations/1795435000000-ScheduleActor.js';
import { ContactHandlingLease1795436000000 } from './migrations/1795436000000-ContactHandlingLease.js';
import { ConsentEvidenceRedaction1795437000000 } from './migrations/1795437000000-ConsentEvidenceRedaction.js';
import { PrivacyPolicyVersionEntity } from './entities/privacy-policy-version.entity.js';
import { MediaLibrary1795431200000 } from './migrations/1795431200000-MediaLibrary.js';
import { MediaAssetEntity, ProviderMediaUploadEntity } from './entities/media-asset.entity.js';
import { SnakeNamingStrategy } from './naming-strategy.js';

export const ENTITIES = [
  TenantEntity,
  UserEntity,
  RefreshTokenEntity,
  ProviderAppEntity,
  WhatsappNumberEntity,
  PhoneNumberRouteEntity,
  AuditEventEntity,
  WebhookEventEntity,
  WebhookDeadLetterEntity,
  ContactEntity,
  InboundMessageEntity,
  OutboundMessageEntity,
  MediaFileEntity,
  PendingReceiptEntity,
  WhatsappTemplateEntity,
  SubscriptionSettingsEntity,
  SubscriberListEntity,
  KeywordRuleEntity,
  SubscriberEntity,
  ConsentEventEntity,
  SubscriberImportEntity,
  MessageTemplateEntity,
  CampaignSettingsEntity,
  CampaignEntity,
  CampaignScheduleEntity,
  ConsortiumAlertEntity,
  BusinessPortfolioEntity,
  InboxSettingsEntity,
  ConversationEntity,
  ConversationMessageEntity,
  CannedReplyEntity,
  AppointmentRequestEntity,
  EmergencyAlertEntity,
  CitizenBlockEntity,
  PrivacyPolicyVersionEntity,
  MediaAssetEntity,
  ProviderMediaUploadEntity,
];

/** Every migration, in order. Listed rather than globbed so the compiled app and the tests agree. */
export const MIGRATIONS = [
  Foundation1795418135129,
  WhatsappChannel1795420655410,
  Subscriptions1795422716709,
  SubscriberImports1795426000000,
  Campaigns1795428000000,
  Inbox1795429000000,
  DispatchSnapshot1795430000000,
  MediaLibrary1795431200000,
  PrivacyPolicyVersions1795431207000,
  RlsOncePerQuery1795432000000,
  LeanerOutboundIndexes1795433000000,
  InboundHandled1795434000000,
  ScheduleActor1795435000000,
  ContactHandlingLease1795436000000,
  ConsentEvidenceRedaction1795437000000,
];

/** The role the application acts as: it owns no table, so Row-Level Security applies to it. */
export const APP_DB_ROLE = 'araldo_app';

export type DataSourcePurpose = 'app' | 'migrations';

/**
 * Options shared by the api, the worker, the CLI and the tests. The 'app' purpose switches the
 * session to {@link APP_DB_ROLE} at connect time; 'migrations' stays the owner of the schema.
 */
export function buildDataSourceOptions(config: AppConfig, purpose: DataSourcePurpose): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.database.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: `araldo-${purpose}`,
    extra: {
      max: purpose === 'app' ? config.database.poolSize : 2,
      connectionTimeoutMillis: 5000,
      // No JIT: its compile took 200 ms of the sweep's 330 ms look-up of lost jobs (4.3 s on a busy
      // machine); the app's statements run in milliseconds to a second without it.
      options: purpose === 'app' ? `-c role=${APP_DB_ROLE} -c jit=off` : '-c jit=off',
    },
  };
}

export function createDataSource(config: AppConfig, purpose: DataSourcePurpose): DataSource {
  return new DataSource(buildDataSourceOptions(config, purpose));
}
