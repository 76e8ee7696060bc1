import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#common';
import type { ProviderKind } from '#database';
import { CloudApiAdapter, type WhatsAppProvider } from '#whatsapp';

/**
 * One Cloud API adapter per provider kind: Meta's Graph API for real numbers, the built-in
 * simulator for demo comuni. Same adapter code, same HTTP; only the base URL differs, so a
 * deployment can serve both side by side. Each adapter keeps its own keep-alive pool.
 */
@Injectable()
export class ProviderRegistry implements OnApplicationShutdown {
  private readonly adapters: Record<ProviderKind, CloudApiAdapter>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const common = {
      apiVersion: config.whatsapp.apiVersion,
      connectTimeoutMs: config.whatsapp.connectTimeoutMs,
      requestTimeoutMs: config.whatsapp.requestTimeoutMs,
      maxConnections: config.whatsapp.maxConnections,
    };
    this.adapters = {
      meta: new CloudApiAdapter({ ...common, baseUrl: config.whatsapp.graphBaseUrl }),
      simulator: new CloudApiAdapter({ ...common, baseUrl: config.whatsapp.simulatorBaseUrl }),
    };
  }

  for(kind: ProviderKind): WhatsAppProvider {
    return this.adapters[kind];
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(Object.values(this.adapters).map((a) => a.close()));
  }
}
