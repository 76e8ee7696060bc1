import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  COMUNE_PRESETS,
  InboxSettingsService,
  NumbersService,
  ProviderAppsService,
  SubscriptionConfigService,
  TenantsService,
  UsersService,
} from '#domain';
import { TenantRepository } from '#database';

export interface DemoCredential {
  role: string;
  comune: string | null;
  email: string;
  password: string;
}

interface DemoComune {
  slug: string;
  /** The preset reproducing how this comune runs its channel (libs/domain/src/subscriptions/presets.ts). */
  preset: string;
  phoneNumberId: string;
  displayNumber: string;
  /** One WhatsApp Business Account per comune, as Meta recommends for public bodies (reference §4.2). */
  wabaId: string;
}

/**
 * The demo consortium: the three comuni of Carnia side by side, and the four other comuni whose
 * channels the presets reproduce, each with its number on the simulator.
 */
export const DEMO_COMUNI: DemoComune[] = [
  'amaro',
  'cavazzo-carnico',
  'verzegnis',
  'san-giuliano-milanese',
  'san-romano-in-garfagnana',
  'santa-fiora',
  'conegliano',
].map((slug, i) => ({
  slug,
  preset: slug,
  phoneNumberId: `10000000000000${i + 1}`,
  displayNumber: `+39 320 000 000${i + 1}`,
  wabaId: `20000000000000${i + 1}`,
}));

const randomSecret = (bytes = 24): string => randomBytes(bytes).toString('base64url');

@Injectable()
export class DemoSeeder {
  constructor(
    private readonly tenantRepo: TenantRepository,
    private readonly tenants: TenantsService,
    private readonly providerApps: ProviderAppsService,
    private readonly numbers: NumbersService,
    private readonly users: UsersService,
    private readonly subscriptions: SubscriptionConfigService,
    private readonly inbox: InboxSettingsService,
  ) {}

  /** True when the database holds no comune yet: the demo is seeded only on a first run. */
  async isEmpty(): Promise<boolean> {
    return (await this.tenantRepo.listUnscoped({ limit: 1, offset: 0 })).total === 0;
  }

  /** Seeds the demo and returns the generated credentials (no fixed password ships). */
  async seed(): Promise<DemoCredential[]> {
    const credentials: DemoCredential[] = [];
    const operatorPassword = randomSecret(15);
    await this.users.createOperator('operatore@araldo.local', operatorPassword, 'Operatore del consorzio');
    credentials.push({ role: 'operator', comune: null, email: 'operatore@araldo.local', password: operatorPassword });

    const app = await this.providerApps.create({
      name: 'Simulatore WhatsApp integrato',
      kind: 'simulator',
      appId: 'araldo-simulator',
      appSecret: randomSecret(),
      verifyToken: randomSecret(),
    });

    for (const c of DEMO_COMUNI) {
      const preset = COMUNE_PRESETS[c.preset];
      const tenant = await this.tenants.create(null, {
        slug: c.slug,
        displayName: preset.displayName,
        status: 'live',
        mode: preset.mode,
        timezone: 'Europe/Rome',
        websiteUrl: preset.websiteUrl,
      });
      await this.subscriptions.applyPreset(null, tenant.id, c.preset);
      // Two-way comuni (San Romano, Santa Fiora) also get their office hours and inbox settings.
      if (preset.inbox) await this.inbox.applyPreset(null, tenant.id, c.preset);
      await this.numbers.add(null, tenant.id, {
        providerAppId: app.id,
        label: 'Notizie dal Comune',
        phoneNumberId: c.phoneNumberId,
        displayNumber: c.displayNumber,
        wabaId: c.wabaId,
        businessPortfolioId: c.wabaId.replace(/^2/, '3'),
        messagingTier: 'tier_2k',
        accessToken: `sim-${randomSecret()}`,
      });
      const email = `redazione@${c.slug}.araldo.local`;
      const password = randomSecret(15);
      await this.users.createInTenant(null, tenant.id, { email, password, role: 'editor', displayName: `Redazione ${preset.displayName}` });
      credentials.push({ role: 'editor', comune: c.slug, email, password });
    }
    return credentials;
  }
}
