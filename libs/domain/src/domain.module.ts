import { JwtModule } from '@nestjs/jwt';
import { Global, Module } from '@nestjs/common';
import { AuditService } from './audit/audit.service.js';
import { AuthService } from './auth/auth.service.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { PasswordHasher } from './auth/password-hasher.js';
import { NumbersService } from './numbers/numbers.service.js';
import { ProviderAppsService } from './provider-apps/provider-apps.service.js';
import { TenantsService } from './tenants/tenants.service.js';
import { UsersService } from './users/users.service.js';
import { LocalDiskMediaStorage, MEDIA_STORAGE } from './media/media-storage.js';
import { MediaService } from './media/media.service.js';
import { MediaLibraryService } from './media/media-library.service.js';
import { ProviderMediaService } from './media/provider-media.service.js';
import { ChannelMaintenanceService } from './messaging/channel-maintenance.service.js';
import { MessagesService } from './messaging/messages.service.js';
import { NumberDirectory } from './messaging/number-directory.js';
import { NumberHealthService } from './messaging/number-health.service.js';
import { NumberPacer } from './messaging/number-pacer.js';
import { OutboundService } from './messaging/outbound.service.js';
import { ProviderRegistry } from './messaging/provider-registry.js';
import { ReceiptsService } from './messaging/receipts.service.js';
import { KeywordService } from './subscriptions/keyword.service.js';
import { SubscribersService } from './subscriptions/subscribers.service.js';
import { SubscriptionConfigService } from './subscriptions/subscription-config.service.js';
import { SubscriberImportService } from './subscriptions/subscriber-import.service.js';
import { WebSignupService } from './subscriptions/web-signup.service.js';
import { WhatsappTemplatesService } from './templates/whatsapp-templates.service.js';
import { DeadLettersService } from './webhooks/dead-letters.service.js';
import { WebhookBatchWriter } from './webhooks/webhook-batch-writer.js';
import { WebhookIntakeService } from './webhooks/webhook-intake.service.js';
import { WebhookProcessingService } from './webhooks/webhook-processing.service.js';

import { AppointmentsService } from './conversations/appointments.service.js';
import { CannedRepliesService } from './conversations/canned-replies.service.js';
import { CitizenBlocksService } from './conversations/citizen-blocks.service.js';
import { CitizenMessenger } from './conversations/citizen-messenger.js';
import { ConversationsService } from './conversations/conversations.service.js';
import { InboxFiguresService } from './conversations/inbox-figures.service.js';
import { InboxSettingsService } from './conversations/inbox-settings.service.js';
import { Mailer } from './conversations/mailer.js';
import { OnDutyNotifier } from './conversations/on-duty-notifier.service.js';
import { MessageTemplatesService } from './campaigns/message-templates.service.js';
import { CampaignDispatchService } from './campaigns/campaign-dispatch.service.js';
import { CampaignMediaService } from './campaigns/campaign-media.service.js';
import { CampaignSchedulesService } from './campaigns/campaign-schedules.service.js';
import { CampaignsService } from './campaigns/campaigns.service.js';
import { ConsortiumAlertsService } from './campaigns/consortium-alerts.service.js';
import { BusinessPortfoliosService } from './campaigns/business-portfolios.service.js';
import { QueueReconciler } from './messaging/queue-reconciler.js';
import { SendPlanner } from './messaging/send-planner.js';
import { AcceptanceRequestsService } from './privacy-policies/acceptance-requests.service.js';
import { PrivacyPoliciesService } from './privacy-policies/privacy-policies.service.js';

const SERVICES = [
  AuditService,
  AuthService,
  LoginThrottle,
  PasswordHasher,
  NumbersService,
  ProviderAppsService,
  TenantsService,
  UsersService,
  ProviderRegistry,
  NumberDirectory,
  NumberPacer,
  NumberHealthService,
  ReceiptsService,
  OutboundService,
  MessagesService,
  ChannelMaintenanceService,
  MediaService,
  MediaLibraryService,
  ProviderMediaService,
  WhatsappTemplatesService,
  WebhookBatchWriter,
  WebhookIntakeService,
  WebhookProcessingService,
  DeadLettersService,
  KeywordService,
  SubscriptionConfigService,
  SubscribersService,
  WebSignupService,
  SubscriberImportService,
  InboxSettingsService,
  CitizenMessenger,
  ConversationsService,
  AppointmentsService,
  CannedRepliesService,
  CitizenBlocksService,
  OnDutyNotifier,
  InboxFiguresService,
  Mailer,
  MessageTemplatesService,
  CampaignMediaService,
  CampaignDispatchService,
  CampaignsService,
  CampaignSchedulesService,
  ConsortiumAlertsService,
  BusinessPortfoliosService,
  SendPlanner,
  QueueReconciler,
  PrivacyPoliciesService,
  AcceptanceRequestsService,
];

/** The feature services. Needs AppConfigModule, DatabaseModule, RedisModule and QueueModule in the importing app. */
@Global()
@Module({
  imports: [JwtModule.register({})],
  providers: [...SERVICES, { provide: MEDIA_STORAGE, useClass: LocalDiskMediaStorage }],
  exports: [...SERVICES, MEDIA_STORAGE, JwtModule],
})
export class DomainModule {}
