import { Module, type DynamicModule } from '@nestjs/common';
import { SimulatorSettings } from './config/simulator-settings.js';
import { ControlService } from './control/control.service.js';
import { FaultsController } from './control/faults.controller.js';
import { InboundController } from './control/inbound.controller.js';
import { MessagesLogController } from './control/messages.controller.js';
import { NumbersController } from './control/numbers.controller.js';
import { TemplatesController } from './control/templates.controller.js';
import { WebhooksController } from './control/webhooks.controller.js';
import { GraphAuthService } from './graph/graph-auth.service.js';
import { MessageTemplatesController } from './graph/message-templates.controller.js';
import { MessageTemplatesService } from './graph/message-templates.service.js';
import { MessagesService } from './graph/messages.service.js';
import { InboundService } from './inbound/inbound.service.js';
import { MediaStoreService } from './media/media-store.service.js';
import { MediaController } from './media/media.controller.js';
import { MediaService } from './media/media.service.js';
import { PhonePageController } from './phone/phone-page.controller.js';
import { FaultsService } from './state/faults.service.js';
import { MessageLogService } from './state/message-log.service.js';
import { NumbersService } from './state/numbers.service.js';
import { SchedulerService } from './state/scheduler.service.js';
import { StatusBehaviourService } from './state/status-behaviour.service.js';
import { TemplatesService } from './state/templates.service.js';
import { ThroughputService } from './state/throughput.service.js';
import { StatusWebhooksService } from './webhooks/status-webhooks.service.js';
import { WebhookDispatcherService } from './webhooks/webhook-dispatcher.service.js';

/**
 * The whole simulator: Meta's Graph surface (messages, media, templates), the control API under
 * /_sim and the citizen-phone page. State lives in memory, one instance per app.
 */
@Module({})
export class SimulatorModule {
  static forRoot(settings: SimulatorSettings): DynamicModule {
    return {
      module: SimulatorModule,
      controllers: [
        // Control routes first: their static prefixes must win over Meta's /:version/:id patterns.
        NumbersController,
        TemplatesController,
        InboundController,
        WebhooksController,
        MessagesLogController,
        FaultsController,
        PhonePageController,
        MessageTemplatesController,
        MediaController,
      ],
      providers: [
        { provide: SimulatorSettings, useValue: settings },
        SchedulerService,
        NumbersService,
        TemplatesService,
        ThroughputService,
        MediaStoreService,
        MessageLogService,
        FaultsService,
        StatusBehaviourService,
        WebhookDispatcherService,
        StatusWebhooksService,
        GraphAuthService,
        MessagesService,
        MessageTemplatesService,
        MediaService,
        InboundService,
        ControlService,
      ],
    };
  }
}
