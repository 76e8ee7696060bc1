import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TerminusModule } from '@nestjs/terminus';
import { AppConfigModule, RedisModule, type AppConfig } from '#common';
import { DatabaseModule } from '#database';
import { DomainModule } from '#domain';
import { QueueModule } from '#queue';
import { AuditController } from './audit/audit.controller.js';
import { AuthController } from './auth/auth.controller.js';
import { JwtStrategy } from './auth/jwt.strategy.js';
import { HealthController } from './health/health.controller.js';
import { ApiExceptionFilter } from './http/exception.filter.js';
import { JwtAuthGuard, RolesGuard, TenantGuard } from './http/guards.js';
import { NumbersController } from './numbers/numbers.controller.js';
import { OperatorNumbersController } from './numbers/operator-numbers.controller.js';
import { ProviderAppsController } from './provider-apps/provider-apps.controller.js';
import { TenantsController } from './tenants/tenants.controller.js';
import { UsersController } from './users/users.controller.js';
import { ConversationsController } from './conversations/conversations.controller.js';
import { InboxController } from './conversations/inbox.controller.js';
import { DeadLettersController } from './dead-letters/dead-letters.controller.js';
import { MessagesController } from './messages/messages.controller.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { PublicSubscriptionsController } from './public/public-subscriptions.controller.js';
import { SubscriberImportController } from './subscriptions/subscriber-import.controller.js';
import { SubscriptionsController } from './subscriptions/subscriptions.controller.js';
import { WhatsappWebhookController } from './webhooks/whatsapp-webhook.controller.js';
import { WhatsappTemplatesController } from './whatsapp-templates/whatsapp-templates.controller.js';
import { CampaignsController } from './campaigns/campaigns.controller.js';
import { ConsortiumController } from './campaigns/consortium.controller.js';
import { MessageTemplatesController } from './message-templates/message-templates.controller.js';
import { PrivacyPoliciesController } from './privacy-policies/privacy-policies.controller.js';
import { MediaController } from './media/media.controller.js';

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        AppConfigModule.forRoot(config),
        DatabaseModule.forRoot(config),
        RedisModule.forRoot(config, 'araldo-api'),
        QueueModule.forRoot(config),
        DomainModule,
        PassportModule,
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [
        AuthController,
        TenantsController,
        ProviderAppsController,
        NumbersController,
        OperatorNumbersController,
        UsersController,
        AuditController,
        HealthController,
        WhatsappWebhookController,
        MessagesController,
        WhatsappTemplatesController,
        DeadLettersController,
        MetricsController,
        SubscriptionsController,
        SubscriberImportController,
        PublicSubscriptionsController,
        ConversationsController,
        InboxController,
        MessageTemplatesController,
        MediaController,
        CampaignsController,
        ConsortiumController,
        PrivacyPoliciesController,
      ],
      providers: [
        JwtStrategy,
        // Guards run in this order: who you are, which comune you may touch (404 for any other,
        // before a role check could answer 403 and so reveal that the comune exists), your role.
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: TenantGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
      ],
    };
  }
}
